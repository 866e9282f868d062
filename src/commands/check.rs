//! `hardline check`: validate + render in memory + diff + conform, one sorted list of findings.

use std::collections::HashMap;
use std::path::Path;

use miette::Result;

use super::{Context, analyse, conclude};
use crate::ExitStatus;

/// Everything, as CI runs it.
pub fn run(ctx: &Context, root: &Path) -> Result<ExitStatus> {
    let mut analysis = analyse(root, &[])?;
    let (drift, same) =
        crate::drift::check_same(&mut analysis.repo, &analysis.rendered, &analysis.envs)?;
    analysis.findings.extend(drift);
    // Checked-in files identical to what was rendered are not read a second time: conform
    // parses the rendered text (the same bytes).
    let known: HashMap<&str, &str> = analysis
        .rendered
        .iter()
        .zip(&same)
        .filter(|(_, same)| **same)
        .map(|(f, _)| (f.path.as_str(), f.contents.as_str()))
        .collect();
    let conform = crate::conform::check_known(
        &mut analysis.repo,
        &analysis.resolved,
        &analysis.envs,
        &analysis.patterns,
        &known,
    );
    drop(known);
    analysis.findings.extend(conform);
    let audit = super::audit::audit_repo(ctx, &mut analysis.repo, None)?;
    analysis.findings.extend(audit);
    let findings = std::mem::take(&mut analysis.findings);
    let status = conclude(ctx, &analysis.repo, findings, true);
    // The report is out; freeing thousands of rendered files and sources one by one only
    // delays the exit (about 8% of a large run). The process ends right after.
    std::mem::forget(analysis);
    status
}
