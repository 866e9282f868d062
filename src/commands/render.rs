//! `hardline render`: print, `--out DIR`, or `--write` the rendered files.
//!
//! Nothing is written when any finding reaches the fail threshold: a run that fails leaves
//! every file as it was. Writes go through `fs::WriteSet` (staged, then renamed).

use std::path::Path;

use miette::{IntoDiagnostic, Result};
use serde::Serialize;

use super::{Context, analyse, verdict};
use crate::ExitStatus;
use crate::cli::{Format, RenderArgs};
use crate::finding;
use crate::fs::WriteSet;
use crate::report;
use crate::waiver;

#[derive(Serialize)]
struct FileOut<'a> {
    environment: &'a str,
    baseline: &'a str,
    path: &'a str,
    contents: &'a str,
}

/// Renders the selected environments.
pub fn run(ctx: &Context, root: &Path, args: &RenderArgs) -> Result<ExitStatus> {
    let analysis = analyse(root, &args.env.envs)?;
    let repo = &analysis.repo;
    let mut findings = analysis.findings;
    waiver::apply(repo, &mut findings, ctx.today, false);
    let findings = finding::finish(findings);
    let verdict = verdict(ctx, repo, &findings);
    if verdict.failed || (!findings.is_empty() && (args.write || args.out.is_some())) {
        report::findings(&findings, &repo.sources, ctx.style, verdict).into_diagnostic()?;
    }
    if verdict.failed {
        return Ok(ExitStatus::Failure);
    }
    let rendered = &analysis.rendered;
    if !args.write && args.out.is_none() {
        let text = match ctx.style.format {
            Format::Json | Format::Cyclonedx => report::json::value(&serde_json::json!({
                "version": 1,
                "files": rendered.iter().map(|f| FileOut {
                    environment: &f.environment,
                    baseline: &f.baseline,
                    path: &f.path,
                    contents: &f.contents,
                }).collect::<Vec<_>>(),
            })),
            // Finding formats (markdown, sarif, …) are for findings; files print as text.
            Format::Human
            | Format::Markdown
            | Format::Sarif
            | Format::Junit
            | Format::Github
            | Format::Gitlab => rendered
                .iter()
                .map(|f| format!("==> {} <==\n{}", f.path, f.contents))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        report::out(&text).into_diagnostic()?;
        return Ok(ExitStatus::Success);
    }
    let mut set = WriteSet::default();
    let mut unchanged = 0;
    for file in rendered {
        if let Some(out) = &args.out {
            set.add(
                out,
                &format!("{}/{}", file.environment, file.target),
                file.contents.clone().into_bytes(),
            )?;
        } else {
            let Some(env) = repo.environment(&file.environment) else {
                continue;
            };
            let output = repo.root.join(env.output.trim_end_matches('/'));
            // Only a regular file can be unchanged (reading a FIFO would block).
            let target = output.join(&file.target);
            let current = target
                .is_file()
                .then(|| std::fs::read(&target).ok())
                .flatten();
            if current.as_deref() == Some(file.contents.as_bytes()) {
                unchanged += 1;
                continue;
            }
            set.add(&output, &file.target, file.contents.clone().into_bytes())?;
        }
    }
    let written = set.len();
    set.commit()?;
    if !ctx.style.quiet && ctx.style.format == Format::Human {
        let place = args.out.as_ref().map_or_else(
            || "in place".to_owned(),
            |d| format!("into `{}`", d.display()),
        );
        report::out(&format!(
            "wrote {written} file{} {place}, {unchanged} unchanged\n",
            if written == 1 { "" } else { "s" }
        ))
        .into_diagnostic()?;
    }
    Ok(ExitStatus::Success)
}
