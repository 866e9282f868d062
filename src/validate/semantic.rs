//! Semantic rules that a schema cannot express: defaults that break their own constraints,
//! constraints that cannot apply, missing templates, unsafe paths, incomplete waivers.

use crate::finding::{Finding, RuleId, Severity};
use crate::fs;
use crate::repo::{Repository, pointer_escape};
use crate::resolve::{
    self,
    constraint::{self, Patterns},
};
use crate::waiver;

/// Checks every baseline and environment of `repo`.
pub fn check(repo: &Repository, patterns: &mut Patterns) -> Vec<Finding> {
    let mut findings = Vec::new();
    for baseline in &repo.baselines {
        for (name, setting) in &baseline.settings {
            let at = |field: &str| format!("/settings/{}/{field}", pointer_escape(name));
            let key = format!("{}.{name}", baseline.name());
            if let (Some(min), Some(max)) = (setting.min, setting.max)
                && min > max
            {
                findings.push(
                    Finding::new(
                        RuleId::InvalidConstraint,
                        Severity::High,
                        format!("`{key}` has `min` {min} above `max` {max}"),
                        "swap the bounds or fix the typo",
                    )
                    .at(repo.value_location(baseline.file, &at("min")))
                    .for_setting(key.clone()),
                );
            }
            if let Some(pattern) = &setting.pattern
                && let Err(err) = patterns.get(pattern)
            {
                let first = err.lines().last().unwrap_or(err).trim().to_owned();
                findings.push(
                        Finding::new(
                            RuleId::InvalidConstraint,
                            Severity::High,
                            format!("`{key}` has an invalid `pattern`: {first}"),
                            "write the pattern in Rust regex syntax (no look-around, no back-references)",
                        )
                        .at(repo.value_location(baseline.file, &at("pattern")))
                        .for_setting(key.clone()),
                    );
            }
            for problem in constraint::violations(setting, &setting.value, &*patterns) {
                findings.push(resolve::out_of_bounds(
                    repo,
                    baseline,
                    name,
                    setting,
                    &problem,
                    baseline.file,
                    &at("value"),
                ));
            }
        }
        if let Some(render) = &baseline.render {
            if !repo.templates.contains_key(&render.template) {
                findings.push(
                    Finding::new(
                        RuleId::MissingTemplate,
                        Severity::High,
                        format!(
                            "template `{}` does not exist in `{}`",
                            render.template, repo.manifest.paths.templates
                        ),
                        match repo.templates.keys().next() {
                            Some(_) => format!(
                                "available templates: {}",
                                repo.templates
                                    .keys()
                                    .map(|k| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            None => format!("create it under `{}/`", repo.manifest.paths.templates),
                        },
                    )
                    .at(repo.value_location(baseline.file, "/render/template")),
                );
            }
            if let Err(problem) = fs::check_relative(&render.target) {
                findings.push(unsafe_path(
                    repo,
                    baseline.file,
                    "/render/target",
                    &render.target,
                    problem,
                ));
            }
        }
    }
    for env in &repo.environments {
        if let Err(problem) = repo.tree.confine(&env.output) {
            findings.push(
                unsafe_path(repo, env.file, "/output", &env.output, problem).in_env(env.name()),
            );
        }
    }
    findings.extend(waiver::check_complete(repo));
    findings
}

fn unsafe_path(
    repo: &Repository,
    file: crate::source::FileId,
    pointer: &str,
    path: &str,
    problem: fs::PathProblem,
) -> Finding {
    Finding::new(
        RuleId::UnsafePath,
        Severity::High,
        format!("path `{path}` {}", problem.describe()),
        "use a relative path that stays inside the repository",
    )
    .at(repo.value_location(file, pointer))
}
