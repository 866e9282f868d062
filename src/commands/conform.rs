//! `hardline conform`: checked-in configs against setting constraints.

use std::path::Path;

use miette::Result;

use super::{Context, analyse, conclude};
use crate::ExitStatus;
use crate::cli::EnvArgs;

/// Parses every file a baseline targets and evaluates each setting against it.
pub fn run(ctx: &Context, root: &Path, args: &EnvArgs) -> Result<ExitStatus> {
    let mut analysis = analyse(root, &args.envs)?;
    let found = crate::conform::check(
        &mut analysis.repo,
        &analysis.resolved,
        &analysis.envs,
        &analysis.patterns,
    );
    let mut findings = analysis.findings;
    findings.extend(found);
    conclude(ctx, &analysis.repo, findings, false)
}
