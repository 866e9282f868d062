//! `hardline check`: validate + render in memory + diff, one sorted list of findings.

use std::path::Path;

use miette::Result;

use super::{Context, analyse, conclude};
use crate::ExitStatus;

/// Everything, as CI runs it.
pub fn run(ctx: &Context, root: &Path) -> Result<ExitStatus> {
    let mut analysis = analyse(root, &[])?;
    let drift = crate::drift::check(&mut analysis.repo, &analysis.rendered, &analysis.envs)?;
    analysis.findings.extend(drift);
    conclude(ctx, &analysis.repo, analysis.findings, true)
}
