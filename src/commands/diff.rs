//! `hardline diff`: drift between rendered and checked-in files.

use std::path::Path;

use miette::Result;

use super::{Context, analyse, conclude};
use crate::ExitStatus;
use crate::cli::EnvArgs;

/// Renders the selected environments and compares them with what is checked in.
pub fn run(ctx: &Context, root: &Path, args: &EnvArgs) -> Result<ExitStatus> {
    let mut analysis = analyse(root, &args.envs)?;
    let drift = crate::drift::check(&mut analysis.repo, &analysis.rendered, &analysis.envs)?;
    let mut findings = analysis.findings;
    findings.extend(drift);
    conclude(ctx, &analysis.repo, findings, false)
}
