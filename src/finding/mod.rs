//! Findings: the one currency of every check.
//!
//! A [`Finding`] says what is wrong in the user's repository, where, how bad it is and what
//! to do about it. Engines return findings; they never print them. This module owns the
//! rule catalogue ([`RuleId`]), severities, locations, fingerprints and the canonical order.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How bad a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run unless `--fail-on info`.
    Info,
    /// A weakness with little impact.
    Low,
    /// A weakness to fix in the normal course of work.
    Medium,
    /// A weakness that must be fixed before merging.
    High,
    /// A weakness that exposes the system now.
    Critical,
}

impl Severity {
    /// Every severity, most severe first (the order reports list them in).
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lower-case name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lower-case severity name.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding stands in pull-request mode (`check --base REV`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Introduced by the change: on the head side only.
    New,
    /// On both sides.
    Existing,
    /// Removed by the change: on the base side only (never fails a run).
    Fixed,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 3] = [Status::New, Status::Existing, Status::Fixed];

    /// The lower-case name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Existing => "existing",
            Status::Fixed => "fixed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The component a finding is about (audit findings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComponentRef {
    /// OSV ecosystem name (`crates.io`, `npm`, `PyPI`, `Go`, `Debian`, …).
    pub ecosystem: String,
    /// Package name as the ecosystem spells it.
    pub name: String,
    /// Version, when the declaration pins one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    pub purl: String,
}

/// The advisory a finding is about (vulnerability findings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdvisoryRef {
    /// The advisory's OSV id.
    pub id: String,
    /// Other ids of the same vulnerability (CVE, GHSA, …), sorted.
    pub aliases: Vec<String>,
    /// Versions that fix it, lowest first.
    pub fixed: Vec<String>,
    /// When it was published, YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The patch deadline, YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal : $desc:literal, )*) => {
        /// A stable rule id: what kind of problem a finding reports.
        ///
        /// Ids are kebab-case, named for the problem (not the fix), and never change
        /// meaning once released: CI configurations and waivers refer to them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $( $(#[$doc])* $variant, )*
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$( RuleId::$variant, )*];

            /// The kebab-case id.
            pub fn as_str(self) -> &'static str {
                match self { $( RuleId::$variant => $id, )* }
            }

            /// One line saying what the rule reports.
            pub fn description(self) -> &'static str {
                match self { $( RuleId::$variant => $desc, )* }
            }
        }
    };
}

rules! {
    InvalidYaml = "invalid-yaml": "a YAML file cannot be read: syntax error, duplicate key, invalid UTF-8, too large or too deeply nested",
    Schema = "schema": "a manifest, baseline or environment file does not match its JSON Schema",
    DuplicateName = "duplicate-name": "two baselines or two environments share a name",
    UnknownBaseline = "unknown-baseline": "an environment names a baseline that does not exist",
    UnknownSetting = "unknown-setting": "an environment overlay sets a setting its baseline does not define",
    LockedOverride = "locked-override": "an environment overlay sets a value for a locked setting",
    OutOfBounds = "out-of-bounds": "an effective value violates its setting's constraint (min, max, oneOf, subsetOf, pattern, forbidden, required)",
    InvalidConstraint = "invalid-constraint": "a setting's constraint cannot be applied (bad regular expression, min above max)",
    MissingTemplate = "missing-template": "a baseline renders with a template that does not exist under the templates directory",
    UndefinedVariable = "undefined-variable": "a template uses a variable or setting that does not exist",
    TemplateError = "template-error": "a template fails to parse or render (syntax error, runaway loop, recursion limit)",
    UnsafePath = "unsafe-path": "a configured path is absolute, contains `..` or leads outside the repository through a symlink",
    Drift = "drift": "a checked-in file differs from what the baseline renders for its environment",
    MissingFile = "missing-file": "a file the baseline renders for an environment is not checked in",
    UnmanagedFile = "unmanaged-file": "a file under an environment's output directory is rendered by no baseline",
    Nonconformity = "nonconformity": "a checked-in config file says something a setting's constraint does not allow, or lacks a required setting",
    InvalidConfig = "invalid-config": "a checked-in config file cannot be parsed: bad syntax, include loop, include outside the repository, binary content",
    WaiverIncomplete = "waiver-incomplete": "a waiver lacks an owner, a reason or an expiry date, or its date is invalid",
    WaiverExpired = "waiver-expired": "a waiver's expiry date has passed; it no longer waives anything",
    WaiverUnused = "waiver-unused": "a waiver matches no finding",
    InvalidLockfile = "invalid-lockfile": "a lockfile, package list or Dockerfile cannot be read: bad syntax, unknown format version, an entry without name or version",
    UnpinnedComponent = "unpinned-component": "a dependency is declared without an exact version (a range or no version), so what gets deployed cannot be audited",
    InvalidAdvisory = "invalid-advisory": "an advisory database or one of its records cannot be read: corrupt zip, invalid JSON, a record that violates the OSV schema, a version that does not parse",
    VulnerableComponent = "vulnerable-component": "a component version is affected by a known vulnerability and its patch deadline has not passed",
    PatchOverdue = "patch-overdue": "a component is still affected by a vulnerability after its patch deadline (the SLA for its severity)",
    OutdatedComponent = "outdated-component": "a component version is below the minimum its policy allows",
    BannedComponent = "banned-component": "a component version is banned by policy",
    EndOfLife = "end-of-life": "a component's release line is past its end-of-life date",
    BaselineWeakened = "baseline-weakened": "a change weakens a baseline: a lock removed, a bound widened, a minimum version or patch deadline relaxed, a setting removed",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl RuleId {
    /// Looks a rule up by its kebab-case id.
    pub fn parse(text: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.as_str() == text)
    }
}

/// Where a finding points: a repo-relative path and a 1-based line and column, plus the byte
/// span used to underline the source snippet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Repository-relative path with `/` separators.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Byte offset of the span start in the file.
    #[serde(skip)]
    pub offset: usize,
    /// Byte length of the span (0 when the finding is about the whole file).
    #[serde(skip)]
    pub len: usize,
}

impl Location {
    /// The start of a file: for findings about a file as a whole.
    pub fn file(path: impl Into<String>) -> Location {
        Location {
            path: path.into(),
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)
    }
}

/// One problem found in the user's repository.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub rule: RuleId,
    /// How bad.
    pub severity: Severity,
    /// `true` when an active waiver covers the finding: it is reported but fails nothing.
    pub waived: bool,
    /// Lower-case sentence, values in backticks, no trailing period.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Stable identity that survives line shifts (see [`finish`]).
    pub fingerprint: String,
    /// Where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The environment the finding belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The setting key (`baseline.Setting`) the finding is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    /// The component an audit finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentRef>,
    /// The advisory a vulnerability finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory: Option<AdvisoryRef>,
    /// Who must review the finding (a baseline's owner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// New, existing or fixed, in pull-request mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// A unified diff (drift findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// What identifies the problem when the message does not (it may carry dates or
    /// versions that change while the problem stays the same): replaces the message in the
    /// fingerprint.
    #[serde(skip)]
    pub key: Option<String>,
}

impl Finding {
    /// A new finding; set the optional parts with the builder methods.
    pub fn new(
        rule: RuleId,
        severity: Severity,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            waived: false,
            message: message.into(),
            help: help.into(),
            fingerprint: String::new(),
            location: None,
            environment: None,
            setting: None,
            component: None,
            advisory: None,
            owner: None,
            status: None,
            diff: None,
            key: None,
        }
    }

    /// Sets the location.
    #[must_use]
    pub fn at(mut self, location: Location) -> Finding {
        self.location = Some(location);
        self
    }

    /// Sets the environment.
    #[must_use]
    pub fn in_env(mut self, environment: &str) -> Finding {
        self.environment = Some(environment.to_owned());
        self
    }

    /// Sets the setting key.
    #[must_use]
    pub fn for_setting(mut self, setting: impl Into<String>) -> Finding {
        self.setting = Some(setting.into());
        self
    }

    /// Sets the component.
    #[must_use]
    pub fn for_component(mut self, component: ComponentRef) -> Finding {
        self.component = Some(component);
        self
    }

    /// Sets the advisory.
    #[must_use]
    pub fn for_advisory(mut self, advisory: AdvisoryRef) -> Finding {
        self.advisory = Some(advisory);
        self
    }

    /// Names who must review it.
    #[must_use]
    pub fn owned_by(mut self, owner: impl Into<String>) -> Finding {
        self.owner = Some(owner.into());
        self
    }

    /// Sets the identity used instead of the message in the fingerprint.
    #[must_use]
    pub fn keyed(mut self, key: impl Into<String>) -> Finding {
        self.key = Some(key.into());
        self
    }

    /// Attaches a unified diff.
    #[must_use]
    pub fn with_diff(mut self, diff: String) -> Finding {
        self.diff = Some(diff);
        self
    }

    /// Computes the fingerprint: a hash of what identifies the problem (rule, path,
    /// environment, setting, message or key), deliberately not of line or column, so a
    /// finding keeps its identity when unrelated lines move. `occurrence` tells apart
    /// findings that would otherwise share one (the second, third… in canonical order).
    fn fingerprint_of(&self, occurrence: usize) -> String {
        let mut hasher = Sha256::new();
        for part in [
            self.rule.as_str(),
            self.location.as_ref().map_or("", |l| l.path.as_str()),
            self.environment.as_deref().unwrap_or(""),
            self.setting.as_deref().unwrap_or(""),
            self.key.as_deref().unwrap_or(&self.message),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        // The first occurrence keeps the plain hash, so fingerprints of unique findings do not
        // depend on this rule.
        if occurrence > 0 {
            hasher.update(occurrence.to_string().as_bytes());
            hasher.update([0]);
        }
        let digest = hasher.finalize();
        digest[..8]
            .iter()
            .fold(String::with_capacity(16), |mut out, b| {
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
                out
            })
    }

    fn sort_key(&self) -> (&str, usize, usize, RuleId, &str, &str) {
        let (path, line, column) = self
            .location
            .as_ref()
            .map_or(("", 0, 0), |l| (l.path.as_str(), l.line, l.column));
        (
            path,
            line,
            column,
            self.rule,
            self.environment.as_deref().unwrap_or(""),
            &self.message,
        )
    }
}

/// Puts findings in the canonical order (path, line, column, rule, environment, message),
/// removes exact duplicates and fills in fingerprints, unique within the list: findings that
/// share one (the same problem twice in a file, at different lines) are numbered in order.
pub fn finish(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.severity == b.severity);
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in &mut findings {
        let plain = f.fingerprint_of(0);
        let occurrence = seen.entry(plain.clone()).or_insert(0);
        f.fingerprint = if *occurrence == 0 {
            plain
        } else {
            f.fingerprint_of(*occurrence)
        };
        *occurrence += 1;
    }
    findings
}

/// Pull-request mode: marks each head finding `new`, or `existing` when a base finding has
/// its fingerprint, and adds the base findings the head no longer has as `fixed`, all in
/// canonical order. Both lists come from [`finish`]. A fixed finding's location is the base
/// side's: it keeps its line but no span (the head's text at that place is another text).
pub fn compare(base: Vec<Finding>, mut head: Vec<Finding>) -> Vec<Finding> {
    let in_base: std::collections::HashSet<&str> =
        base.iter().map(|f| f.fingerprint.as_str()).collect();
    for f in &mut head {
        f.status = Some(if in_base.contains(f.fingerprint.as_str()) {
            Status::Existing
        } else {
            Status::New
        });
    }
    let in_head: std::collections::HashSet<String> =
        head.iter().map(|f| f.fingerprint.clone()).collect();
    head.extend(
        base.into_iter()
            .filter(|f| !in_head.contains(&f.fingerprint))
            .map(|mut f| {
                f.status = Some(Status::Fixed);
                f.waived = false;
                f.diff = None;
                if let Some(location) = &mut f.location {
                    location.offset = 0;
                    location.len = 0;
                }
                f
            }),
    );
    head.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then(a.status.cmp(&b.status))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn rule_ids_are_unique_kebab_case() {
        let ids: BTreeSet<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(ids.len(), RuleId::ALL.len());
        for id in ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
            assert_eq!(RuleId::parse(id).map(RuleId::as_str), Some(id));
        }
    }

    #[test]
    fn fingerprint_ignores_line_shifts() {
        let at = |line| {
            Finding::new(RuleId::Drift, Severity::High, "m", "h").at(Location {
                path: "a".into(),
                line,
                column: 1,
                offset: 0,
                len: 0,
            })
        };
        let a = finish(vec![at(3)]);
        let b = finish(vec![at(9)]);
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_eq!(a[0].fingerprint.len(), 16);
    }

    #[test]
    fn repeated_findings_get_distinct_fingerprints_and_statuses_match_them() {
        let at = |line, message: &str| {
            Finding::new(RuleId::Nonconformity, Severity::High, message, "h").at(Location {
                path: "a".into(),
                line,
                column: 1,
                offset: 0,
                len: 0,
            })
        };
        let base = finish(vec![at(3, "x"), at(7, "x"), at(9, "gone")]);
        assert_eq!(base.len(), 3);
        assert_ne!(base[0].fingerprint, base[1].fingerprint);
        // One `x` left, shifted down; a new problem.
        let head = finish(vec![at(12, "x"), at(20, "new")]);
        let merged = compare(base, head);
        let statuses: Vec<(usize, &str, Status)> = merged
            .iter()
            .map(|f| {
                (
                    f.location.as_ref().map_or(0, |l| l.line),
                    f.message.as_str(),
                    f.status.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            statuses,
            [
                (7, "x", Status::Fixed),
                (9, "gone", Status::Fixed),
                (12, "x", Status::Existing),
                (20, "new", Status::New),
            ]
        );
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
    }
}

/// The rule catalogue as Markdown (`docs/rules.md` is generated from it).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n<!-- generated from src/finding/mod.rs by `UPDATE_DOCS=1 cargo test rules_doc`; do not edit -->\n\n\
         Every finding carries one of these stable rule ids. Waivers and CI configuration refer to them.\n\n\
         | rule | what it reports |\n|---|---|\n",
    );
    for rule in RuleId::ALL {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            rule.as_str(),
            rule.description()
        ));
    }
    out
}

#[cfg(test)]
mod doc_tests {
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn rules_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
        let expected = super::rules_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test rules_doc`"
        );
    }
}
