//! Overlays → effective values with provenance.
//!
//! For every environment and every baseline it uses, the effective value of each setting is
//! the baseline default ⊕ the environment overlay (maps merge deeply, lists and scalars
//! replace). Each value remembers the file and JSON Pointer that set it. Overlays for unknown
//! baselines or settings and for locked settings are findings (a locked setting keeps its
//! baseline value); every overlaid value is checked against its setting's constraints.

pub mod constraint;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::Value;

use crate::finding::{Finding, RuleId, Severity};
use crate::model::{Baseline, Environment, Setting};
use crate::repo::{Repository, pointer_escape};
use crate::source::FileId;

use self::constraint::Patterns;

/// Where an effective value was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The YAML file.
    pub file: FileId,
    /// `true` when an environment overlay set it.
    pub overlay: bool,
}

impl Origin {
    /// JSON Pointer of the value in [`Origin::file`]. Built on demand: only findings and
    /// `explain` need it, and a large repository resolves a hundred thousand values.
    pub fn pointer(&self, baseline: &str, setting: &str) -> String {
        if self.overlay {
            format!(
                "/values/{}/{}",
                pointer_escape(baseline),
                pointer_escape(setting)
            )
        } else {
            format!("/settings/{}/value", pointer_escape(setting))
        }
    }
}

/// One setting's effective value in one environment.
#[derive(Clone, Copy, Debug)]
pub struct Effective<'a> {
    /// The value.
    pub value: &'a Value,
    /// Who set it.
    pub origin: Origin,
}

/// The effective settings of one baseline in one environment: the baseline's defaults plus
/// the (merged) values the overlay set. Only overridden values are stored; a large
/// repository resolves a hundred thousand settings, nearly all of them defaults.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// Index into `Repository::environments`.
    pub environment: usize,
    /// Index into `Repository::baselines`.
    pub baseline: usize,
    /// Setting name → effective value, for settings the overlay changed.
    pub overrides: BTreeMap<String, Value>,
}

impl Resolved {
    /// The effective value of setting `name`, `None` when the baseline has no such setting.
    pub fn effective<'a>(&'a self, repo: &'a Repository, name: &str) -> Option<Effective<'a>> {
        let baseline = &repo.baselines[self.baseline];
        let setting = baseline.settings.get(name)?;
        Some(match self.overrides.get(name) {
            Some(value) => Effective {
                value,
                origin: Origin {
                    file: repo.environments[self.environment].file,
                    overlay: true,
                },
            },
            None => Effective {
                value: &setting.value,
                origin: Origin {
                    file: baseline.file,
                    overlay: false,
                },
            },
        })
    }
}

/// Deep merge: maps merge key by key, anything else is replaced by the overlay.
pub fn merge(base: &Value, overlay: &Value) -> Value {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            let mut out = b.clone();
            for (key, value) in o {
                let merged = match b.get(key) {
                    Some(existing) => merge(existing, value),
                    None => value.clone(),
                };
                out.insert(key.clone(), merged);
            }
            Value::Object(out)
        }
        (_, other) => other.clone(),
    }
}

/// Resolves every environment against every baseline it uses.
pub fn resolve(repo: &Repository, patterns: &Patterns) -> (Vec<Resolved>, Vec<Finding>) {
    // Environments resolve independently and in parallel; results are concatenated in
    // environment order, so the output does not depend on the thread count.
    let per_env: Vec<(Vec<Resolved>, Vec<Finding>)> = repo
        .environments
        .par_iter()
        .enumerate()
        .map(|(env_index, env)| {
            let mut resolved = Vec::new();
            let mut findings = Vec::new();
            check_overlay_targets(repo, env, &mut findings);
            for (baseline_index, baseline) in repo.baselines.iter().enumerate() {
                let overlay = env.values.get(baseline.name());
                if !env.renders(baseline.name()) && overlay.is_none() {
                    continue;
                }
                let overrides = resolve_one(repo, env, baseline, overlay, patterns, &mut findings);
                resolved.push(Resolved {
                    environment: env_index,
                    baseline: baseline_index,
                    overrides,
                });
            }
            (resolved, findings)
        })
        .collect();
    let mut resolved = Vec::new();
    let mut findings = Vec::new();
    for (r, f) in per_env {
        resolved.extend(r);
        findings.extend(f);
    }
    (resolved, findings)
}

fn check_overlay_targets(repo: &Repository, env: &Environment, findings: &mut Vec<Finding>) {
    for name in env.values.keys() {
        if repo.baseline(name).is_none() && !repo.unloaded_baselines.contains(name) {
            findings.push(
                Finding::new(
                    RuleId::UnknownBaseline,
                    Severity::High,
                    format!("overlay for unknown baseline `{name}`"),
                    format!(
                        "known baselines: {}",
                        known(repo.baselines.iter().map(Baseline::name))
                    ),
                )
                .at(repo.key_location(env.file, &format!("/values/{}", pointer_escape(name))))
                .in_env(env.name()),
            );
        }
    }
    for (i, name) in env.baselines.iter().flatten().enumerate() {
        if repo.baseline(name).is_none() && !repo.unloaded_baselines.contains(name) {
            findings.push(
                Finding::new(
                    RuleId::UnknownBaseline,
                    Severity::High,
                    format!("environment renders unknown baseline `{name}`"),
                    format!(
                        "known baselines: {}",
                        known(repo.baselines.iter().map(Baseline::name))
                    ),
                )
                .at(repo.value_location(env.file, &format!("/baselines/{i}")))
                .in_env(env.name()),
            );
        }
    }
}

fn known<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

fn resolve_one(
    repo: &Repository,
    env: &Environment,
    baseline: &Baseline,
    overlay: Option<&BTreeMap<String, Value>>,
    patterns: &Patterns,
    findings: &mut Vec<Finding>,
) -> BTreeMap<String, Value> {
    let bname = baseline.name();
    let mut overrides = BTreeMap::new();
    for (name, value) in overlay.into_iter().flatten() {
        let pointer = format!("/values/{}/{}", pointer_escape(bname), pointer_escape(name));
        let key = format!("{bname}.{name}");
        let Some(setting) = baseline.settings.get(name) else {
            findings.push(
                Finding::new(
                    RuleId::UnknownSetting,
                    Severity::High,
                    format!("baseline `{bname}` has no setting `{name}`"),
                    suggest(name, baseline),
                )
                .at(repo.key_location(env.file, &pointer))
                .in_env(env.name())
                .for_setting(key),
            );
            continue;
        };
        if setting.locked {
            let same = *value == setting.value;
            findings.push(
                Finding::new(
                    RuleId::LockedOverride,
                    Severity::High.max(setting.severity),
                    if same {
                        format!("`{key}` is locked; the overlay repeats its value `{}`", constraint::show(value))
                    } else {
                        format!(
                            "`{key}` is locked to `{}`; the overlay sets `{}`",
                            constraint::show(&setting.value),
                            constraint::show(value)
                        )
                    },
                    format!(
                        "remove the override; a locked setting changes only in `{}`, reviewed by its owner",
                        repo.path_of(baseline.file)
                    ),
                )
                .at(repo.key_location(env.file, &pointer))
                .in_env(env.name())
                .for_setting(key),
            );
            continue;
        }
        let merged = merge(&setting.value, value);
        for problem in constraint::violations(setting, &merged, patterns) {
            findings.push(
                out_of_bounds(repo, baseline, name, setting, &problem, env.file, &pointer)
                    .in_env(env.name()),
            );
        }
        overrides.insert(name.clone(), merged);
    }
    overrides
}

/// An `out-of-bounds` finding for `setting` at `pointer` in `file`.
pub fn out_of_bounds(
    repo: &Repository,
    baseline: &Baseline,
    name: &str,
    setting: &Setting,
    problem: &str,
    file: FileId,
    pointer: &str,
) -> Finding {
    let key = format!("{}.{name}", baseline.name());
    let bounds_at = repo.key_location(
        baseline.file,
        &format!("/settings/{}", pointer_escape(name)),
    );
    Finding::new(
        RuleId::OutOfBounds,
        setting.severity,
        format!("`{key}` {problem}"),
        format!(
            "allowed: {} (set in {}:{})",
            constraint::describe(setting),
            bounds_at.path,
            bounds_at.line
        ),
    )
    .at(repo.value_location(file, pointer))
    .for_setting(key)
}

fn suggest(name: &str, baseline: &Baseline) -> String {
    let lower = name.to_ascii_lowercase();
    if let Some(close) = baseline
        .settings
        .keys()
        .find(|k| k.to_ascii_lowercase() == lower)
    {
        return format!("did you mean `{close}`? setting names are case-sensitive");
    }
    format!(
        "add `{name}` to baseline `{}` first, or fix the spelling",
        baseline.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_merge_deeply_and_lists_replace() {
        let base = json!({"a": {"x": 1, "y": [1, 2]}, "b": 1});
        let over = json!({"a": {"y": [3]}, "c": 2});
        assert_eq!(
            merge(&base, &over),
            json!({"a": {"x": 1, "y": [3]}, "b": 1, "c": 2})
        );
        assert_eq!(merge(&json!([1, 2]), &json!([3])), json!([3]));
    }
}
