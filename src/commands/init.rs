//! `hardline init DIR [--with sshd,nginx,…]`: scaffold a working baseline repository.
//!
//! The scaffold is this project's own built-in library ([`crate::library`]): manifest,
//! schemas, the chosen components' baselines, templates and examples, and the `dev` and
//! `prod` environments with their overlays for those components. The rendered `deploy/`
//! files are then produced by the same engine as `hardline render --write`, so the new
//! repository checks clean at once.

use std::path::Path;

use miette::{IntoDiagnostic, Result};

use super::{Context, analyse};
use crate::ExitStatus;
use crate::cli::Format;
use crate::finding::Severity;
use crate::fs::WriteSet;
use crate::library::{self, COMMON, ENVIRONMENTS};
use crate::report;

/// Writes the scaffold into `dir`; refuses to touch an existing baseline repository or to
/// overwrite any file.
pub fn run(ctx: &Context, dir: &Path, with: &[String]) -> Result<ExitStatus> {
    let mut components = Vec::new();
    for name in with {
        let component = library::component(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = library::COMPONENTS.iter().map(|c| c.name).collect();
            miette::miette!(
                help = format!("choose from: {}", known.join(", ")),
                "unknown component `{name}`"
            )
        })?;
        if !components
            .iter()
            .any(|c: &&library::Component| c.name == component.name)
        {
            components.push(component);
        }
    }
    if dir.join(crate::repo::MANIFEST).exists() {
        return Err(miette::miette!(
            help = "run `hardline check` there instead, or choose an empty directory",
            "`{}` already holds a baseline repository (hardline.yaml exists)",
            dir.display()
        ));
    }
    let baselines: Vec<&str> = components
        .iter()
        .flat_map(|c| c.baselines.iter().copied())
        .collect();
    let mut files: Vec<(&str, String)> =
        COMMON.iter().map(|(p, t)| (*p, (*t).to_owned())).collect();
    files.extend(
        components
            .iter()
            .flat_map(|c| c.files.iter())
            .map(|(p, t)| (*p, (*t).to_owned())),
    );
    files.extend(
        ENVIRONMENTS
            .iter()
            .map(|(p, t)| (*p, library::filter_environment(t, &baselines))),
    );
    let mut set = WriteSet::default();
    for (rel, contents) in &files {
        if dir.join(rel).exists() {
            return Err(miette::miette!(
                help = "move the file away or choose an empty directory; init never overwrites",
                "`{}` already exists",
                dir.join(rel).display()
            ));
        }
        set.add(dir, rel, contents.clone().into_bytes())?;
    }
    set.commit()?;
    // Render the deploy tree with the engine itself.
    let analysis = analyse(dir, &[])?;
    if let Some(problem) = analysis
        .findings
        .iter()
        .find(|f| f.severity >= Severity::Medium)
    {
        return Err(miette::miette!(
            help = "this is a bug in hardline's built-in library; please report it",
            "the scaffold does not validate: {}",
            problem.message
        ));
    }
    let mut rendered = WriteSet::default();
    for file in &analysis.rendered {
        rendered.add(dir, &file.path, file.contents.clone().into_bytes())?;
    }
    let count = files.len() + rendered.len();
    rendered.commit()?;
    if ctx.style.format == Format::Human && !ctx.style.quiet {
        let names: Vec<&str> = components.iter().map(|c| c.name).collect();
        report::out(&format!(
            "created a baseline repository in `{}` ({count} files: {})\nnext: hardline -C {} check\n",
            dir.display(),
            names.join(", "),
            dir.display()
        ))
        .into_diagnostic()?;
    }
    Ok(ExitStatus::Success)
}
