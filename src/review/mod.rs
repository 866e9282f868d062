//! Baseline-change review: what a change to baselines or overlays does to the effective
//! settings of each environment, classified for the baselines' owners, and which rendered
//! files it changes.
//!
//! [`review`] compares two analyses of the same repository (the base and the head of a pull
//! request). Every changed aspect — a setting's constraint, its severity, an overlay moving
//! an effective value, a baseline no longer applied to an environment — becomes a
//! [`Change`] classified as weakened, strengthened or neutral; every weakening is also a
//! `baseline-weakened` finding naming the baseline's owner as required reviewer. The rendered
//! files whose text differs are listed with a unified diff. No IO: both sides are already
//! loaded, resolved and rendered.

#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::commands::Analysis;
use crate::drift;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::{Baseline, Environment, Setting};
use crate::repo::{Repository, pointer_escape};
use crate::resolve::{Resolved, constraint};

/// How a change moves a setting's security.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Less secure: a lock removed, a bound widened, a setting removed, a deadline lengthened.
    Weakened,
    /// More secure: the reverse.
    Strengthened,
    /// Neither (a description, an owner, a value inside unchanged bounds).
    Neutral,
}

impl Direction {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Weakened => "weakened",
            Direction::Strengthened => "strengthened",
            Direction::Neutral => "neutral",
        }
    }
}

/// One changed aspect of one setting (or policy) in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The environment, when the change is seen through one (`None`: the baseline itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// `baseline.Setting`, or a policy key such as `patch.sla.high`.
    pub subject: String,
    /// Which aspect changed: `value`, `locked`, `min`, `max`, `oneOf`, `subsetOf`, …
    pub aspect: String,
    /// Before, as YAML-ish text (`None`: absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// After (`None`: removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Weakened, strengthened or neutral.
    pub direction: Direction,
    /// The owner who must review it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The changed line on the head side (the base side for removals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// How a rendered file changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileChange {
    /// Rendered on the head side only.
    Added,
    /// Rendered on the base side only.
    Removed,
    /// Rendered on both sides, with different text.
    Changed,
}

impl FileChange {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FileChange::Added => "added",
            FileChange::Removed => "removed",
            FileChange::Changed => "changed",
        }
    }
}

/// A rendered file the change alters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// The environment.
    pub environment: String,
    /// Repository-relative path of the rendered file.
    pub path: String,
    /// The baseline that renders it (the head's, or the base's for a removed file).
    pub baseline: String,
    /// Added, removed or changed.
    pub change: FileChange,
    /// Unified diff from the base rendering to the head rendering (empty when
    /// [`Impact::diff_omitted`]).
    pub diff: String,
    /// `true` when a side is too large to diff (see [`drift::MAX_DIFF_BYTES`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub diff_omitted: bool,
}

/// The whole review of a change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Changed settings, sorted by (subject, environment, aspect).
    pub changes: Vec<Change>,
    /// Rendered files that change, sorted by (environment, path).
    pub impact: Vec<Impact>,
}

impl Review {
    /// Whether the change touched no baseline, overlay or rendered file.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.impact.is_empty()
    }

    /// The changes in `direction`.
    pub fn in_direction(&self, direction: Direction) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(move |c| c.direction == direction)
    }
}

/// Compares the base and head analyses of one repository: every baseline on either side in
/// every environment of either side. Returns the review (changes and impact, sorted) and a
/// `baseline-weakened` finding for every weakening, located on the head side.
pub fn review(base: &Analysis, head: &Analysis) -> (Review, Vec<Finding>) {
    let mut collector = Collector {
        base: Side::new(base),
        head: Side::new(head),
        items: Vec::new(),
    };
    collector.baselines();
    collector.environments();
    collector.manifest();
    let mut items = collector.items;
    items.sort_by(|a, b| change_order(&a.change, &b.change));
    items.dedup_by(|a, b| a.change == b.change);
    let findings = items.iter().filter_map(Item::finding).collect();
    let changes = items.into_iter().map(|i| i.change).collect();
    let review = Review {
        changes,
        impact: impact(base, head),
    };
    (review, findings)
}

fn change_order(a: &Change, b: &Change) -> Ordering {
    (&a.subject, &a.environment, &a.aspect, &a.before, &a.after).cmp(&(
        &b.subject,
        &b.environment,
        &b.aspect,
        &b.before,
        &b.after,
    ))
}

/// One side of the comparison.
struct Side<'a> {
    analysis: &'a Analysis,
    /// (environment, baseline) → resolved values.
    resolved: BTreeMap<(&'a str, &'a str), &'a Resolved>,
}

impl<'a> Side<'a> {
    fn new(analysis: &'a Analysis) -> Side<'a> {
        let repo = &analysis.repo;
        let resolved = analysis
            .resolved
            .iter()
            .map(|r| {
                (
                    (
                        repo.environments[r.environment].name(),
                        repo.baselines[r.baseline].name(),
                    ),
                    r,
                )
            })
            .collect();
        Side { analysis, resolved }
    }

    fn repo(&self) -> &'a Repository {
        &self.analysis.repo
    }

    fn baseline(&self, name: &str) -> Option<&'a Baseline> {
        self.repo().baseline(name)
    }

    /// A selected environment.
    fn environment(&self, name: &str) -> Option<&'a Environment> {
        if self.analysis.envs.iter().any(|e| e == name) {
            self.repo().environment(name)
        } else {
            None
        }
    }

    /// Whether a baseline file of this name exists but could not be read.
    fn unreadable(&self, name: &str) -> bool {
        self.baseline(name).is_none() && self.repo().unloaded_baselines.iter().any(|n| n == name)
    }

    fn key_location(&self, file: crate::source::FileId, pointer: &str) -> Location {
        self.repo().key_location(file, pointer)
    }
}

/// A change plus what its finding needs.
struct Item {
    change: Change,
    /// Severity of the finding, when the change weakens.
    severity: Severity,
    /// `baseline.Setting`, when the change is about one setting.
    setting: Option<String>,
    /// Said in the message when the change is a removal (where the thing was).
    note: Option<String>,
}

impl Item {
    fn finding(&self) -> Option<Finding> {
        let c = &self.change;
        if c.direction != Direction::Weakened {
            return None;
        }
        let env = c
            .environment
            .as_ref()
            .map(|e| format!(" in `{e}`"))
            .unwrap_or_default();
        let mut message = match (c.aspect.as_str(), &c.before, &c.after) {
            ("baseline", _, _) => format!("baseline `{}` removed", c.subject),
            ("environment", _, _) => {
                format!("baseline `{}` no longer applies{env}", c.subject)
            }
            ("setting", Some(before), _) => {
                format!("setting `{}` removed (it allowed {before})", c.subject)
            }
            ("value", _, Some(after)) => format!(
                "`{}` is `{after}`{env}, outside its constraints (was `{}`)",
                c.subject,
                c.before.as_deref().unwrap_or_default()
            ),
            (aspect, Some(before), Some(after)) => format!(
                "`{}` weakened{env}: `{aspect}` changed from `{before}` to `{after}`",
                c.subject
            ),
            (aspect, Some(before), None) => format!(
                "`{}` weakened{env}: `{aspect}` removed (was `{before}`)",
                c.subject
            ),
            (aspect, None, Some(after)) => format!(
                "`{}` weakened{env}: `{aspect}` added (`{after}`)",
                c.subject
            ),
            (aspect, None, None) => format!("`{}` weakened{env}: `{aspect}` changed", c.subject),
        };
        if let Some(note) = &self.note {
            message.push_str(&format!("; {note}"));
        }
        let help = match &c.owner {
            Some(owner) => format!(
                "review required from {owner}: a weakened baseline needs its owner's approval; revert the change if it was not intended"
            ),
            None => "review required from the baseline's owner (it names none: set `metadata.owner`); revert the change if it was not intended".to_owned(),
        };
        // What identifies the weakening across runs (the message carries values).
        let mut key = format!("{} {}", c.subject, c.aspect);
        if let Some(env) = &c.environment {
            key.push_str(&format!(" {env}"));
        }
        let mut finding = Finding::new(
            RuleId::BaselineWeakened,
            self.severity.max(Severity::Medium),
            message,
            help,
        )
        .keyed(key);
        if let Some(location) = &c.location {
            finding = finding.at(location.clone());
        }
        if let Some(env) = &c.environment {
            finding = finding.in_env(env);
        }
        if let Some(setting) = &self.setting {
            finding = finding.for_setting(setting.clone());
        }
        if let Some(owner) = &c.owner {
            finding = finding.owned_by(owner.clone());
        }
        Some(finding)
    }
}

struct Collector<'a> {
    base: Side<'a>,
    head: Side<'a>,
    items: Vec<Item>,
}

/// Where a change is shown: a head-side location, or (for removals) a base-side one.
enum At {
    Head(Location),
    Removed(Location),
}

impl Collector<'_> {
    /// Turns `at` into a location and, for removals, a note saying where the thing was:
    /// the head file's first line when the file still exists there, else the base location.
    fn place(&self, at: At) -> (Location, Option<String>) {
        match at {
            At::Head(location) => (location, None),
            At::Removed(base) => {
                if self.head.repo().sources.by_path(&base.path).is_some() {
                    let note = format!("it was at `{base}` on the base side");
                    (Location::file(base.path), Some(note))
                } else {
                    let note = format!("its file `{}` is gone", base.path);
                    (base, Some(note))
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        environment: Option<&str>,
        subject: String,
        aspect: &str,
        (before, after): (Option<String>, Option<String>),
        direction: Direction,
        owner: Option<String>,
        at: At,
        severity: Severity,
        setting: Option<String>,
    ) {
        let (location, note) = self.place(at);
        self.items.push(Item {
            change: Change {
                environment: environment.map(str::to_owned),
                subject,
                aspect: aspect.to_owned(),
                before,
                after,
                direction,
                owner,
                location: Some(location),
            },
            severity,
            setting,
            note,
        });
    }

    /// The manifest's audit policy: patch deadlines (longer weakens), version policies
    /// (a lower minimum, fewer banned ranges or a removed policy weaken), lockfile globs and
    /// the advisory database (auditing less weakens) and the fail threshold (a higher one
    /// blocks less).
    fn manifest(&mut self) {
        let (before, after) = (&self.base.repo().manifest, &self.head.repo().manifest);
        let owner = before
            .metadata
            .owner
            .clone()
            .or_else(|| after.metadata.owner.clone());
        let head_file = self.head.repo().manifest_file;
        let base_file = self.base.repo().manifest_file;
        let subject = crate::repo::MANIFEST.to_owned();
        let sla =
            |m: &crate::model::Manifest| crate::audit::patch::Sla::from_config(&m.patch.sla).ok();
        if let (Some(b), Some(a)) = (sla(before), sla(after)) {
            for severity in [
                Severity::Critical,
                Severity::High,
                Severity::Medium,
                Severity::Low,
            ] {
                let (db, da) = (b.days(severity), a.days(severity));
                if db == da {
                    continue;
                }
                let direction = if da > db {
                    Direction::Weakened
                } else {
                    Direction::Strengthened
                };
                let pointer = format!("/patch/sla/{severity}");
                let at = At::Head(self.head.key_location(head_file, &pointer));
                self.push(
                    None,
                    subject.clone(),
                    &format!("patch.sla.{severity}"),
                    (Some(format!("{db} days")), Some(format!("{da} days"))),
                    direction,
                    owner.clone(),
                    at,
                    severity.max(Severity::Medium),
                    None,
                );
            }
        }
        let policies = |m: &crate::model::Manifest| -> BTreeMap<
            (Option<String>, String),
            (usize, crate::model::ComponentPolicy),
        > {
            m.components
                .policy
                .iter()
                .enumerate()
                .map(|(i, p)| ((p.ecosystem.clone(), p.name.clone()), (i, p.clone())))
                .collect()
        };
        let (pb, pa) = (policies(before), policies(after));
        let keys: BTreeSet<&(Option<String>, String)> = pb.keys().chain(pa.keys()).collect();
        for key in keys {
            let who = match &key.0 {
                Some(eco) => format!("{eco}/{}", key.1),
                None => key.1.clone(),
            };
            let subject = format!("components.policy {who}");
            match (pb.get(key), pa.get(key)) {
                (Some((i, _)), None) => {
                    let at = At::Removed(
                        self.base
                            .key_location(base_file, &format!("/components/policy/{i}")),
                    );
                    self.push(
                        None,
                        subject,
                        "policy",
                        (Some(who.clone()), None),
                        Direction::Weakened,
                        owner.clone(),
                        at,
                        Severity::Medium,
                        None,
                    );
                }
                (None, Some((i, _))) => {
                    let at = At::Head(
                        self.head
                            .key_location(head_file, &format!("/components/policy/{i}")),
                    );
                    self.push(
                        None,
                        subject,
                        "policy",
                        (None, Some(who.clone())),
                        Direction::Strengthened,
                        owner.clone(),
                        at,
                        Severity::Medium,
                        None,
                    );
                }
                (Some((_, b)), Some((i, a))) => {
                    if b.min_version != a.min_version {
                        let direction = min_version_direction(
                            a.ecosystem.as_deref(),
                            b.min_version.as_deref(),
                            a.min_version.as_deref(),
                        );
                        let at = At::Head(self.head.key_location(
                            head_file,
                            &format!("/components/policy/{i}/minVersion"),
                        ));
                        self.push(
                            None,
                            subject.clone(),
                            "minVersion",
                            (b.min_version.clone(), a.min_version.clone()),
                            direction,
                            owner.clone(),
                            at,
                            a.severity.unwrap_or(Severity::Medium).max(Severity::Medium),
                            None,
                        );
                    }
                    if b.banned != a.banned {
                        let list = |v: &[String]| {
                            v.iter()
                                .map(|x| Value::String(x.clone()))
                                .collect::<Vec<_>>()
                        };
                        let (lb, la) = (list(&b.banned), list(&a.banned));
                        // Fewer banned ranges is weaker: the reverse of an allow-list.
                        let direction = reverse(set_direction(Some(&lb), Some(&la)));
                        let at = At::Head(
                            self.head
                                .key_location(head_file, &format!("/components/policy/{i}/banned")),
                        );
                        self.push(
                            None,
                            subject.clone(),
                            "banned",
                            (Some(show_list(&lb)), Some(show_list(&la))),
                            direction,
                            owner.clone(),
                            at,
                            a.severity.unwrap_or(Severity::High).max(Severity::Medium),
                            None,
                        );
                    }
                }
                (None, None) => {}
            }
        }
        let globs = |m: &crate::model::Manifest| -> Vec<Value> {
            m.components
                .lockfiles
                .iter()
                .map(|g| Value::String(g.clone()))
                .collect()
        };
        let (gb, ga) = (globs(before), globs(after));
        if gb != ga {
            let direction = reverse(set_direction(Some(&gb), Some(&ga)));
            let at = At::Head(self.head.key_location(head_file, "/components/lockfiles"));
            self.push(
                None,
                subject.clone(),
                "components.lockfiles",
                (Some(show_list(&gb)), Some(show_list(&ga))),
                direction,
                owner.clone(),
                at,
                Severity::Medium,
                None,
            );
        }
        if before.advisories != after.advisories {
            let direction =
                presence_direction(before.advisories.is_some(), after.advisories.is_some());
            let at = if after.advisories.is_some() {
                At::Head(self.head.key_location(head_file, "/advisories"))
            } else {
                At::Removed(self.base.key_location(base_file, "/advisories"))
            };
            self.push(
                None,
                subject.clone(),
                "advisories",
                (before.advisories.clone(), after.advisories.clone()),
                direction,
                owner.clone(),
                at,
                Severity::High,
                None,
            );
        }
        let fail_on = |m: &crate::model::Manifest| m.fail_on.unwrap_or(Severity::Medium);
        if fail_on(before) != fail_on(after) {
            let direction = if fail_on(after) > fail_on(before) {
                Direction::Weakened
            } else {
                Direction::Strengthened
            };
            let at = At::Head(self.head.key_location(head_file, "/failOn"));
            self.push(
                None,
                subject,
                "failOn",
                (
                    Some(fail_on(before).to_string()),
                    Some(fail_on(after).to_string()),
                ),
                direction,
                owner,
                at,
                Severity::Medium,
                None,
            );
        }
    }

    /// The owner of baseline `name`: the base side's (the owner of record: a change that
    /// also hands the baseline to someone else is still reviewed by the previous owner),
    /// else the head's.
    fn owner(&self, name: &str) -> Option<String> {
        let of = |side: &Side<'_>| side.baseline(name).and_then(|b| b.metadata.owner.clone());
        of(&self.base).or_else(|| of(&self.head))
    }

    fn baselines(&mut self) {
        let names: BTreeSet<&str> = self
            .base
            .repo()
            .baselines
            .iter()
            .chain(&self.head.repo().baselines)
            .map(Baseline::name)
            .collect();
        for name in names {
            // A baseline file that does not load on one side has its own finding there;
            // comparing against nothing would report every setting as added or removed.
            if self.base.unreadable(name) || self.head.unreadable(name) {
                continue;
            }
            match (self.base.baseline(name), self.head.baseline(name)) {
                (Some(before), Some(after)) => self.baseline_pair(before, after),
                (Some(before), None) => {
                    let at = At::Removed(self.base.key_location(before.file, "/metadata/name"));
                    self.push(
                        None,
                        name.to_owned(),
                        "baseline",
                        (Some(presence(before)), None),
                        Direction::Weakened,
                        self.owner(name),
                        at,
                        max_severity(before),
                        None,
                    );
                }
                (None, Some(after)) => {
                    let at = At::Head(self.head.key_location(after.file, "/metadata/name"));
                    self.push(
                        None,
                        name.to_owned(),
                        "baseline",
                        (None, Some(presence(after))),
                        Direction::Strengthened,
                        self.owner(name),
                        at,
                        max_severity(after),
                        None,
                    );
                }
                (None, None) => {}
            }
        }
    }

    /// Baseline-level aspects and every setting of a baseline present on both sides.
    fn baseline_pair(&mut self, before: &Baseline, after: &Baseline) {
        let name = before.name();
        let owner = self.owner(name);
        let severity = max_severity(before).max(max_severity(after));
        let simple: [(&str, &str, Option<String>, Option<String>); 6] = [
            (
                "metadata.owner",
                "/metadata/owner",
                before.metadata.owner.clone(),
                after.metadata.owner.clone(),
            ),
            (
                "metadata.version",
                "/metadata/version",
                before.metadata.version.clone(),
                after.metadata.version.clone(),
            ),
            (
                "component.minVersion",
                "/component/minVersion",
                before
                    .component
                    .as_ref()
                    .and_then(|c| c.min_version.clone()),
                after.component.as_ref().and_then(|c| c.min_version.clone()),
            ),
            (
                "render",
                "/render",
                before.render.as_ref().map(|r| r.target.clone()),
                after.render.as_ref().map(|r| r.target.clone()),
            ),
            (
                "render.template",
                "/render/template",
                before.render.as_ref().map(|r| r.template.clone()),
                after.render.as_ref().map(|r| r.template.clone()),
            ),
            (
                "render.format",
                "/render/format",
                before.render.as_ref().and_then(|r| r.format.clone()),
                after.render.as_ref().and_then(|r| r.format.clone()),
            ),
        ];
        for (aspect, pointer, b, a) in simple {
            if b == a {
                continue;
            }
            let direction = match aspect {
                "component.minVersion" => min_version_direction(
                    after
                        .component
                        .as_ref()
                        .and_then(|c| c.ecosystem.as_deref()),
                    b.as_deref(),
                    a.as_deref(),
                ),
                // Not rendering at all any more: nothing to render, diff or conform.
                "render" => presence_direction(b.is_some(), a.is_some()),
                // Sub-fields of a render section added or removed as a whole are covered
                // by `render`.
                "render.template" | "render.format"
                    if before.render.is_none() || after.render.is_none() =>
                {
                    continue;
                }
                _ => Direction::Neutral,
            };
            let at = At::Head(self.head.key_location(after.file, pointer));
            self.push(
                None,
                name.to_owned(),
                aspect,
                (b, a),
                direction,
                owner.clone(),
                at,
                if aspect == "component.minVersion" {
                    Severity::Medium
                } else {
                    severity
                },
                None,
            );
        }
        let paths = |b: &Baseline| {
            b.conform
                .as_ref()
                .map(|c| c.paths.iter().map(|p| Value::String(p.clone())).collect())
        };
        let (b, a): (Option<Vec<Value>>, Option<Vec<Value>>) = (paths(before), paths(after));
        if b != a {
            // Fewer files checked is weaker: the reverse of an allow-list.
            let direction = reverse(set_direction(b.as_deref(), a.as_deref()));
            let at = At::Head(self.head.key_location(after.file, "/conform/paths"));
            self.push(
                None,
                name.to_owned(),
                "conform.paths",
                (b.map(|v| show_list(&v)), a.map(|v| show_list(&v))),
                direction,
                owner.clone(),
                at,
                severity,
                None,
            );
        }
        let settings: BTreeSet<&String> = before
            .settings
            .keys()
            .chain(after.settings.keys())
            .collect();
        for setting in settings {
            let subject = format!("{name}.{setting}");
            let pointer = format!("/settings/{}", pointer_escape(setting));
            match (before.settings.get(setting), after.settings.get(setting)) {
                (Some(b), Some(a)) => {
                    for (aspect, bv, av) in aspects(b).into_iter().zip(aspects(a)).filter_map(
                        |((aspect, bv), (_, av))| (bv != av).then_some((aspect, bv, av)),
                    ) {
                        let direction = aspect_direction(aspect, bv.as_ref(), av.as_ref());
                        let at = At::Head(
                            self.head
                                .key_location(after.file, &format!("{pointer}/{aspect}")),
                        );
                        self.push(
                            None,
                            subject.clone(),
                            aspect,
                            (bv.as_ref().map(show), av.as_ref().map(show)),
                            direction,
                            owner.clone(),
                            at,
                            b.severity.max(a.severity),
                            Some(subject.clone()),
                        );
                    }
                }
                (Some(b), None) => {
                    let at = At::Removed(self.base.key_location(before.file, &pointer));
                    self.push(
                        None,
                        subject.clone(),
                        "setting",
                        (Some(constraint::describe(b)), None),
                        Direction::Weakened,
                        owner.clone(),
                        at,
                        b.severity,
                        Some(subject.clone()),
                    );
                }
                (None, Some(a)) => {
                    let at = At::Head(self.head.key_location(after.file, &pointer));
                    self.push(
                        None,
                        subject.clone(),
                        "setting",
                        (None, Some(constraint::describe(a))),
                        Direction::Strengthened,
                        owner.clone(),
                        at,
                        a.severity,
                        Some(subject.clone()),
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn environments(&mut self) {
        let names: BTreeSet<&str> = self
            .base
            .analysis
            .envs
            .iter()
            .chain(&self.head.analysis.envs)
            .map(String::as_str)
            .collect();
        for name in names {
            match (self.base.environment(name), self.head.environment(name)) {
                (Some(before), Some(after)) => self.environment_pair(before, after),
                (Some(before), None) => {
                    let env_owner = before.metadata.owner.clone();
                    let at = At::Removed(self.base.key_location(before.file, "/metadata/name"));
                    self.push(
                        Some(name),
                        name.to_owned(),
                        "environment",
                        (Some(before.output.clone()), None),
                        Direction::Neutral,
                        env_owner,
                        at,
                        Severity::Info,
                        None,
                    );
                    // Every baseline it applied is no longer applied there.
                    for baseline in &self.base.repo().baselines {
                        let b = baseline.name();
                        if !before.renders(b) || self.head.baseline(b).is_none() {
                            continue;
                        }
                        let at = At::Removed(self.base.key_location(before.file, "/metadata/name"));
                        self.push(
                            Some(name),
                            b.to_owned(),
                            "environment",
                            (Some("applied".to_owned()), None),
                            Direction::Weakened,
                            self.owner(b),
                            at,
                            max_severity(baseline),
                            None,
                        );
                    }
                }
                (None, Some(after)) => {
                    let at = At::Head(self.head.key_location(after.file, "/metadata/name"));
                    self.push(
                        Some(name),
                        name.to_owned(),
                        "environment",
                        (None, Some(after.output.clone())),
                        Direction::Neutral,
                        after.metadata.owner.clone(),
                        at,
                        Severity::Info,
                        None,
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn environment_pair(&mut self, before: &Environment, after: &Environment) {
        let env = after.name();
        if before.output != after.output {
            let at = At::Head(self.head.key_location(after.file, "/output"));
            self.push(
                Some(env),
                env.to_owned(),
                "output",
                (Some(before.output.clone()), Some(after.output.clone())),
                Direction::Neutral,
                after.metadata.owner.clone(),
                at,
                Severity::Info,
                None,
            );
        }
        let names: BTreeSet<&str> = self
            .base
            .repo()
            .baselines
            .iter()
            .map(Baseline::name)
            .filter(|b| self.head.baseline(b).is_some())
            .collect();
        for name in names {
            let (Some(base_b), Some(head_b)) = (self.base.baseline(name), self.head.baseline(name))
            else {
                continue;
            };
            let (was, is) = (before.renders(name), after.renders(name));
            if was != is {
                // The `baselines:` list is where an environment picks its baselines.
                // Only a `baselines:` list can leave a baseline out, so on removal it
                // exists on the head side.
                let at = At::Head(self.head.key_location(after.file, "/baselines"));
                self.push(
                    Some(env),
                    name.to_owned(),
                    "environment",
                    (
                        was.then(|| "applied".to_owned()),
                        is.then(|| "applied".to_owned()),
                    ),
                    presence_direction(was, is),
                    self.owner(name),
                    at,
                    max_severity(base_b).max(max_severity(head_b)),
                    None,
                );
            }
            let (Some(rb), Some(rh)) = (
                self.base.resolved.get(&(env, name)).copied(),
                self.head.resolved.get(&(env, name)).copied(),
            ) else {
                continue;
            };
            self.effective_values(env, before, after, (base_b, head_b), (rb, rh));
        }
    }

    /// Effective values an overlay moves (on either side) in one environment.
    fn effective_values(
        &mut self,
        env: &str,
        before: &Environment,
        after: &Environment,
        (base_b, head_b): (&Baseline, &Baseline),
        (rb, rh): (&Resolved, &Resolved),
    ) {
        let name = head_b.name();
        let owner = self.owner(name);
        for (setting, head_setting) in &head_b.settings {
            let Some(base_setting) = base_b.settings.get(setting) else {
                continue;
            };
            let (Some(eb), Some(eh)) = (
                rb.effective(self.base.repo(), setting),
                rh.effective(self.head.repo(), setting),
            ) else {
                continue;
            };
            // A default changed with no overlay on either side is the baseline's own change,
            // reported once without an environment.
            if eb.value == eh.value || !(eb.origin.overlay || eh.origin.overlay) {
                continue;
            }
            let broke =
                !constraint::violations(head_setting, eh.value, &self.head.analysis.patterns)
                    .is_empty();
            let was_broken =
                !constraint::violations(base_setting, eb.value, &self.base.analysis.patterns)
                    .is_empty();
            let direction = match (was_broken, broke) {
                (false, true) => Direction::Weakened,
                (true, false) => Direction::Strengthened,
                _ => Direction::Neutral,
            };
            let pointer = format!(
                "/values/{}/{}",
                pointer_escape(name),
                pointer_escape(setting)
            );
            let at = if eh.origin.overlay {
                At::Head(self.head.key_location(after.file, &pointer))
            } else {
                At::Removed(self.base.key_location(before.file, &pointer))
            };
            let subject = format!("{name}.{setting}");
            self.push(
                Some(env),
                subject.clone(),
                "value",
                (
                    Some(constraint::show(eb.value)),
                    Some(constraint::show(eh.value)),
                ),
                direction,
                owner.clone(),
                at,
                head_setting.severity.max(base_setting.severity),
                Some(subject),
            );
        }
    }
}

/// What a whole baseline stands for in a change's before/after text.
fn presence(baseline: &Baseline) -> String {
    format!("{} settings", baseline.settings.len())
}

/// The highest severity of a baseline's settings.
fn max_severity(baseline: &Baseline) -> Severity {
    baseline
        .settings
        .values()
        .map(|s| s.severity)
        .max()
        .unwrap_or(Severity::Medium)
}

/// A setting's comparable aspects, in a fixed order, `None` when absent (a `false` flag is
/// absent: it constrains nothing).
fn aspects(setting: &Setting) -> [(&'static str, Option<Value>); 11] {
    let flag = |on: bool| on.then_some(Value::Bool(true));
    let list = |items: &Option<Vec<Value>>| items.clone().map(Value::Array);
    [
        ("value", Some(setting.value.clone())),
        ("locked", flag(setting.locked)),
        ("min", setting.min.map(number)),
        ("max", setting.max.map(number)),
        ("oneOf", list(&setting.one_of)),
        ("subsetOf", list(&setting.subset_of)),
        ("pattern", setting.pattern.clone().map(Value::String)),
        ("forbidden", flag(setting.forbidden)),
        ("required", flag(setting.required)),
        (
            "severity",
            Some(Value::String(setting.severity.as_str().to_owned())),
        ),
        ("builtin", setting.builtin.clone()),
    ]
}

/// A bound as JSON: whole numbers without a fraction, as they are usually written.
fn number(n: f64) -> Value {
    #[allow(clippy::cast_possible_truncation)]
    if n.fract() == 0.0 && n.abs() < 1e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("[{}]", show_list(items)),
        other => constraint::show(other),
    }
}

fn show_list(items: &[Value]) -> String {
    items
        .iter()
        .map(constraint::show)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which way a change of one setting aspect moves security.
fn aspect_direction(aspect: &str, before: Option<&Value>, after: Option<&Value>) -> Direction {
    match aspect {
        "locked" | "forbidden" | "required" | "pattern" => match (before, after) {
            (Some(_), None) => Direction::Weakened,
            (None, Some(_)) => Direction::Strengthened,
            // A changed pattern may be wider or narrower: regular expressions do not say.
            _ => Direction::Neutral,
        },
        "min" | "max" => {
            let (b, a) = (
                before.and_then(Value::as_f64),
                after.and_then(Value::as_f64),
            );
            match (b, a) {
                (Some(_), None) => Direction::Weakened,
                (None, Some(_)) => Direction::Strengthened,
                (Some(b), Some(a)) => {
                    // A lower minimum or a higher maximum lets more values through.
                    let wider = if aspect == "min" { a < b } else { a > b };
                    let narrower = if aspect == "min" { a > b } else { a < b };
                    if wider {
                        Direction::Weakened
                    } else if narrower {
                        Direction::Strengthened
                    } else {
                        Direction::Neutral
                    }
                }
                (None, None) => Direction::Neutral,
            }
        }
        "oneOf" | "subsetOf" => set_direction(
            before.and_then(Value::as_array).map(Vec::as_slice),
            after.and_then(Value::as_array).map(Vec::as_slice),
        ),
        "severity" => {
            let rank = |v: Option<&Value>| v.and_then(Value::as_str).and_then(Severity::parse);
            match rank(before).cmp(&rank(after)) {
                Ordering::Greater => Direction::Weakened,
                Ordering::Less => Direction::Strengthened,
                Ordering::Equal => Direction::Neutral,
            }
        }
        _ => Direction::Neutral,
    }
}

/// An allow-list changing: gaining any member (or disappearing) weakens, only losing
/// members (or appearing) strengthens, a new order is neutral.
fn set_direction(before: Option<&[Value]>, after: Option<&[Value]>) -> Direction {
    match (before, after) {
        (Some(_), None) => Direction::Weakened,
        (None, Some(_)) => Direction::Strengthened,
        (Some(b), Some(a)) => {
            if a.iter().any(|v| !b.contains(v)) {
                Direction::Weakened
            } else if b.iter().any(|v| !a.contains(v)) {
                Direction::Strengthened
            } else {
                Direction::Neutral
            }
        }
        (None, None) => Direction::Neutral,
    }
}

fn reverse(direction: Direction) -> Direction {
    match direction {
        Direction::Weakened => Direction::Strengthened,
        Direction::Strengthened => Direction::Weakened,
        Direction::Neutral => Direction::Neutral,
    }
}

/// Something that applied before and no longer does weakens; the reverse strengthens.
fn presence_direction(was: bool, is: bool) -> Direction {
    match (was, is) {
        (true, false) => Direction::Weakened,
        (false, true) => Direction::Strengthened,
        _ => Direction::Neutral,
    }
}

/// A minimum version lowered (or dropped) weakens, raised (or added) strengthens. Versions
/// compare in their ecosystem's order when it is known (`1:9.2p1` as Debian orders it), else
/// as dotted numbers; a pair that cannot be ordered is neutral.
fn min_version_direction(
    ecosystem: Option<&str>,
    before: Option<&str>,
    after: Option<&str>,
) -> Direction {
    let ordered = |b: &str, a: &str| {
        let scheme = ecosystem
            .and_then(crate::inventory::Ecosystem::parse)
            .and_then(crate::audit::version::Scheme::of);
        match scheme {
            Some(scheme) => crate::audit::version::compare(scheme, a, b).ok(),
            None => Some(compare_dotted(&dotted(a)?, &dotted(b)?)),
        }
    };
    match (before, after) {
        (Some(_), None) => Direction::Weakened,
        (None, Some(_)) => Direction::Strengthened,
        (Some(b), Some(a)) => match ordered(b, a) {
            Some(Ordering::Less) => Direction::Weakened,
            Some(Ordering::Greater) => Direction::Strengthened,
            _ => Direction::Neutral,
        },
        (None, None) => Direction::Neutral,
    }
}

/// `1.2.3` (optionally `v1.2.3`) as numbers; `None` for anything else.
fn dotted(version: &str) -> Option<Vec<u64>> {
    let version = version.strip_prefix('v').unwrap_or(version);
    version
        .split('.')
        .map(|part| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                part.parse().ok()
            }
        })
        .collect()
}

/// Compares dotted versions, missing trailing parts counting as zero (`1.2` = `1.2.0`).
fn compare_dotted(a: &[u64], b: &[u64]) -> Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The rendered files whose text differs between base and head, per environment.
fn impact(base: &Analysis, head: &Analysis) -> Vec<Impact> {
    let (before, after) = (rendered(base), rendered(head));
    let keys: BTreeSet<(&str, &str)> = before.keys().chain(after.keys()).copied().collect();
    let mut out = Vec::new();
    for key in keys {
        let (environment, path) = key;
        let (change, baseline, old, new) = match (before.get(&key), after.get(&key)) {
            (Some((_, old)), Some((baseline, new))) if old != new => {
                (FileChange::Changed, baseline, *old, *new)
            }
            (Some((baseline, old)), None) => (FileChange::Removed, baseline, *old, ""),
            (None, Some((baseline, new))) => (FileChange::Added, baseline, "", *new),
            _ => continue,
        };
        let old_header = if change == FileChange::Added {
            "/dev/null".to_owned()
        } else {
            format!("a/{path}")
        };
        let new_header = if change == FileChange::Removed {
            "/dev/null".to_owned()
        } else {
            format!("b/{path}")
        };
        let diff = drift::unified_diff(old, new, &old_header, &new_header);
        out.push(Impact {
            environment: (*environment).to_owned(),
            path: (*path).to_owned(),
            baseline: (*baseline).to_owned(),
            change,
            diff_omitted: diff.is_none(),
            diff: diff.map(|d| d.text).unwrap_or_default(),
        });
    }
    out
}

/// (environment, path) → (baseline, text) of every rendered file of one side.
fn rendered(analysis: &Analysis) -> BTreeMap<(&str, &str), (&str, &str)> {
    analysis
        .rendered
        .iter()
        .map(|f| {
            (
                (f.environment.as_str(), f.path.as_str()),
                (f.baseline.as_str(), f.contents.as_str()),
            )
        })
        .collect()
}
