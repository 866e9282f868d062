//! `hardline inventory`: every component and version, where it is declared.

use std::path::Path;

use miette::{IntoDiagnostic, Result, WrapErr};

use super::Context;
use super::audit::{Collected, PathReader, collect_manifest, collect_paths};
use crate::ExitStatus;
use crate::audit::scan;
use crate::cli::{Format, InventoryArgs};
use crate::conform::RepoReader;
use crate::repo::Repository;
use crate::report;

/// Lists the components of the manifest's lockfiles, or of PATHs.
pub fn run(ctx: &Context, root: &Path, args: &InventoryArgs) -> Result<ExitStatus> {
    let (collected, inventory) = if args.paths.is_empty() {
        let (repo, _) = Repository::load(root)?;
        if repo.manifest.components.lockfiles.is_empty() {
            return Err(miette::miette!(
                help = "list lockfile globs under `components.lockfiles` in hardline.yaml, or pass files and folders: `hardline inventory PATH…`",
                "hardline.yaml names no lockfiles to inventory"
            ));
        }
        let collected: Collected = collect_manifest(&repo)?;
        let reader = RepoReader::with_tree(repo.tree.clone());
        let inventory = scan::inventory(&collected.files, &collected.sources, &reader);
        (collected, inventory)
    } else {
        let collected = collect_paths(root, &args.paths)?;
        let reader = PathReader::new(root);
        let inventory = scan::inventory(&collected.files, &collected.sources, &reader);
        (collected, inventory)
    };
    let text = match ctx.style.format {
        Format::Json => report::inventory::json(&inventory.components),
        Format::Cyclonedx => report::inventory::cyclonedx(&inventory.components),
        Format::Human => report::inventory::table(&inventory.components),
        other => {
            return Err(miette::miette!(
                help = "inventories come as `--format table`, `json` or `cyclonedx`",
                "`--format {}` is a findings format",
                other.as_str()
            ));
        }
    };
    let mut problems = collected.findings;
    problems.extend(inventory.findings);
    let problems = crate::finding::finish(problems);
    report::warnings(&problems).into_diagnostic()?;
    report::out(&text)
        .into_diagnostic()
        .wrap_err("cannot write the inventory")?;
    Ok(ExitStatus::Success)
}
