//! `hardline validate`.

use std::path::Path;

use miette::Result;

use super::{Context, analyse, conclude};
use crate::ExitStatus;

/// Schema + semantic validation, including a trial render of every template.
pub fn run(ctx: &Context, root: &Path) -> Result<ExitStatus> {
    let analysis = analyse(root, &[])?;
    conclude(ctx, &analysis.repo, analysis.findings, false)
}
