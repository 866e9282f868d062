//! `hardline explain ENV KEY`: an effective value, who set it, and what allowed it.

use std::path::Path;

use miette::{IntoDiagnostic, Result};
use serde_json::json;

use super::{Context, analyse};
use crate::ExitStatus;
use crate::cli::{ExplainArgs, Format};
use crate::repo::pointer_escape;
use crate::report;
use crate::resolve::constraint;

/// Explains one setting in one environment.
pub fn run(ctx: &Context, root: &Path, args: &ExplainArgs) -> Result<ExitStatus> {
    let analysis = analyse(root, std::slice::from_ref(&args.environment))?;
    let repo = &analysis.repo;
    let (bname, sname) = args.setting.split_once('.').ok_or_else(|| {
        miette::miette!(
            help = "name the setting as `baseline.Setting`, e.g. `sshd.MaxAuthTries`",
            "`{}` is not a setting key",
            args.setting
        )
    })?;
    let baseline = repo.baseline(bname).ok_or_else(|| {
        let known: Vec<String> = repo
            .baselines
            .iter()
            .map(|b| format!("`{}`", b.name()))
            .collect();
        miette::miette!(
            help = format!("known baselines: {}", known.join(", ")),
            "unknown baseline `{bname}`"
        )
    })?;
    let setting = baseline.settings.get(sname).ok_or_else(|| {
        miette::miette!(
            help = format!(
                "`{}` defines {} settings; `hardline explain` takes one of them",
                repo.path_of(baseline.file),
                baseline.settings.len()
            ),
            "baseline `{bname}` has no setting `{sname}`"
        )
    })?;
    let env_index = repo
        .environments
        .iter()
        .position(|e| e.name() == args.environment)
        .unwrap_or_default();
    let effective = analysis
        .resolved
        .iter()
        .find(|r| r.environment == env_index && repo.baselines[r.baseline].name() == bname)
        .and_then(|r| r.effective(repo, sname))
        .ok_or_else(|| {
            miette::miette!(
                help = "add the baseline to the environment's `baselines` list",
                "environment `{}` does not use baseline `{bname}`",
                args.environment
            )
        })?;
    let set_at = repo.value_location(
        effective.origin.file,
        &effective.origin.pointer(bname, sname),
    );
    let default_at = repo.value_location(
        baseline.file,
        &format!("/settings/{}/value", pointer_escape(sname)),
    );
    let rule_at = repo.key_location(
        baseline.file,
        &format!("/settings/{}", pointer_escape(sname)),
    );
    let allowed = constraint::describe(setting);
    let text = match ctx.style.format {
        Format::Json | Format::Cyclonedx => report::json::value(&json!({
            "environment": args.environment,
            "setting": args.setting,
            "value": effective.value,
            "source": if effective.origin.overlay { "overlay" } else { "baseline" },
            "location": { "path": set_at.path, "line": set_at.line, "column": set_at.column },
            "default": setting.value,
            "locked": setting.locked,
            "severity": setting.severity,
            "constraint": allowed,
            "constraint_location": { "path": rule_at.path, "line": rule_at.line, "column": rule_at.column },
            "rationale": setting.rationale,
            "references": setting.references,
        })),
        // Finding formats (markdown, sarif, …) are for findings; this prints as text.
        Format::Human
        | Format::Markdown
        | Format::Sarif
        | Format::Junit
        | Format::Github
        | Format::Gitlab => {
            let mut t = format!(
                "{} in {} = {}\n  set by      {} ({})\n",
                args.setting,
                args.environment,
                constraint::show(effective.value),
                set_at,
                if effective.origin.overlay {
                    "environment overlay"
                } else {
                    "baseline default"
                },
            );
            if effective.origin.overlay {
                t.push_str(&format!(
                    "  default     {} at {default_at}\n",
                    constraint::show(&setting.value)
                ));
            }
            t.push_str(&format!(
                "  allowed     {allowed}, by {}:{}\n",
                rule_at.path, rule_at.line
            ));
            t.push_str(&format!("  severity    {}\n", setting.severity));
            if let Some(r) = &setting.rationale {
                t.push_str(&format!("  rationale   {r}\n"));
            }
            if !setting.references.is_empty() {
                t.push_str(&format!(
                    "  references  {}\n",
                    setting.references.join("; ")
                ));
            }
            t
        }
    };
    report::out(&text).into_diagnostic()?;
    Ok(ExitStatus::Success)
}
