//! `hardline check`: validate + render in memory + diff + conform, one sorted list of findings.
//!
//! Pull-request mode (`--base REV [--head REV]`) evaluates the base side (the merge base,
//! read from git) and the head side (a revision, or the working directory) with the same
//! engines, and marks every head finding new or existing and every base-only finding fixed,
//! matching by fingerprint. A renamed file's findings are new (and the old path's fixed): the
//! path is part of a finding's identity.

use std::collections::HashMap;
use std::path::Path;

use miette::Result;

use super::{Analysis, Context, analyse_tree, conclude_with_review};
use crate::ExitStatus;
use crate::cli::CheckArgs;
use crate::finding::{self, Finding};
use crate::tree::Tree;
use crate::waiver::Date;

/// Everything, as CI runs it.
pub fn run(ctx: &Context, root: &Path, args: &CheckArgs) -> Result<ExitStatus> {
    let Some(base_rev) = &args.base else {
        if ctx.new_only {
            return Err(miette::miette!(
                help = "pass `--base REV` (the branch the change targets, e.g. `origin/main`), or a severity",
                "`--fail-on new` needs pull-request mode"
            ));
        }
        let analysis = evaluate(root, Tree::work(root), ctx.today)?;
        return finish_run(ctx, analysis, None);
    };
    let sides = crate::git::pull_request(root, base_rev, args.head.as_deref())?;
    let head_tree = sides.head.unwrap_or_else(|| Tree::work(root));
    // A base without `hardline.yaml` (the change adds hardline): everything is new.
    let base_tree = sides
        .base
        .is_file(crate::repo::MANIFEST)
        .then_some(sides.base);
    // Both sides at once: each is parallel inside, and their serial parts overlap.
    let (head, base) = rayon::join(
        || evaluate(root, head_tree, ctx.today),
        || {
            base_tree
                .map(|tree| evaluate(root, tree, ctx.today))
                .transpose()
        },
    );
    let (mut head, mut base) = (head?, base?);
    // What the change does to effective settings, for the baselines' owners: weakenings are
    // head findings (new, since the base cannot have them), the rest goes into the report.
    let review = base.as_ref().map(|base| {
        let (review, findings) = crate::review::review(base, &head);
        head.findings.extend(findings);
        review
    });
    let base_findings = match &mut base {
        Some(base) => {
            let mut findings = std::mem::take(&mut base.findings);
            crate::waiver::apply(&base.repo, &mut findings, ctx.today, true);
            finding::finish(findings)
        }
        None => Vec::new(),
    };
    std::mem::forget(base);
    let ctx = Context {
        base: Some(base_findings),
        ..ctx.clone()
    };
    finish_run(&ctx, head, review.as_ref())
}

/// Loads, validates, renders, diffs, conforms and audits the files in `tree`.
fn evaluate(root: &Path, tree: Tree, today: Date) -> Result<Analysis> {
    let mut analysis = analyse_tree(root, tree, &[])?;
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
    let audit = super::audit::audit_repo(today, &mut analysis.repo, None)?;
    analysis.findings.extend(audit);
    Ok(analysis)
}

fn finish_run(
    ctx: &Context,
    mut analysis: Analysis,
    review: Option<&crate::review::Review>,
) -> Result<ExitStatus> {
    let findings: Vec<Finding> = std::mem::take(&mut analysis.findings);
    let status = conclude_with_review(ctx, &analysis.repo, findings, true, review);
    // The report is out; freeing thousands of rendered files and sources one by one only
    // delays the exit (about 8% of a large run). The process ends right after.
    std::mem::forget(analysis);
    status
}
