#![allow(clippy::disallowed_methods)] // tests write fixture repositories with std::fs::write

use super::*;
use crate::commands::analyse;
use crate::finding;

const OWNER: &str = "platform-security@example.com";

const MANIFEST: &str = "apiVersion: hardline/v1
kind: Manifest
metadata:
  name: review-test
";

const SSHD: &str = r#"apiVersion: hardline/v1
kind: Baseline
metadata:
  name: sshd
  owner: platform-security@example.com
  version: 1.0.0
component:
  name: openssh-server
  minVersion: "9.2"
render:
  template: sshd_config.j2
  target: etc/ssh/sshd_config
settings:
  PermitRootLogin:
    value: "no"
    locked: true
    severity: high
  MaxAuthTries:
    value: 3
    min: 1
    max: 4
  Ciphers:
    value: [chacha20-poly1305@openssh.com]
    subsetOf: [chacha20-poly1305@openssh.com, aes256-gcm@openssh.com]
    severity: high
  ListenAddress:
    value: ["0.0.0.0"]
    required: true
  LogLevel:
    value: VERBOSE
    oneOf: [VERBOSE, INFO]
    severity: low
"#;

const SSHD_TEMPLATE: &str = "PermitRootLogin {{ settings.PermitRootLogin }}
MaxAuthTries {{ settings.MaxAuthTries }}
Ciphers {{ settings.Ciphers | join(\",\") }}
LogLevel {{ settings.LogLevel }}
";

const SYSCTL: &str = "apiVersion: hardline/v1
kind: Baseline
metadata:
  name: sysctl
  owner: kernel-team@example.com
render:
  template: sysctl.conf.j2
  target: etc/sysctl.d/99-hardening.conf
settings:
  kernel.kptr_restrict:
    value: 2
    min: 1
    severity: critical
";

const SYSCTL_TEMPLATE: &str = "kernel.kptr_restrict = {{ settings['kernel.kptr_restrict'] }}
";

const PROD: &str = "apiVersion: hardline/v1
kind: Environment
metadata:
  name: prod
output: deploy/prod
values:
  sshd:
    MaxAuthTries: 2
";

const DEV: &str = "apiVersion: hardline/v1
kind: Environment
metadata:
  name: dev
output: deploy/dev
";

fn base_files() -> Vec<(&'static str, String)> {
    vec![
        ("hardline.yaml", MANIFEST.to_owned()),
        ("baselines/sshd.yaml", SSHD.to_owned()),
        ("templates/sshd_config.j2", SSHD_TEMPLATE.to_owned()),
        ("environments/prod.yaml", PROD.to_owned()),
        ("environments/dev.yaml", DEV.to_owned()),
    ]
}

/// `files` with `from` replaced by `to` in `path` (which must contain `from`).
fn edit(
    mut files: Vec<(&'static str, String)>,
    edits: &[(&str, &str, &str)],
) -> Vec<(&'static str, String)> {
    for (path, from, to) in edits {
        let file = files
            .iter_mut()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("no file {path}"));
        assert!(file.1.contains(from), "{path} does not contain {from:?}");
        file.1 = file.1.replacen(from, to, 1);
    }
    files
}

fn write_repo<P: AsRef<std::path::Path>>(files: &[(P, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The analysis of a repository of `files`, with the repository it reads.
fn analysed<P: AsRef<std::path::Path>>(files: &[(P, String)]) -> (tempfile::TempDir, Analysis) {
    let dir = write_repo(files);
    let analysis = analyse(dir.path(), &[]).unwrap();
    (dir, analysis)
}

/// Like [`analysed`], for a fixture that must analyse without findings.
fn load(files: &[(&str, String)]) -> (tempfile::TempDir, Analysis) {
    let (dir, analysis) = analysed(files);
    assert!(
        analysis.findings.is_empty(),
        "fixture has findings: {:#?}",
        analysis.findings
    );
    (dir, analysis)
}

/// Reviews `base` → `head`; findings are finished (sorted, fingerprinted).
fn compare(base: &[(&str, String)], head: &[(&str, String)]) -> (Review, Vec<Finding>) {
    let (_b, base) = load(base);
    let (_h, head) = load(head);
    let (review, findings) = review(&base, &head);
    (review, finding::finish(findings))
}

/// Reviews [`base_files`] → `head`.
fn compare_with_base(head: &[(&str, String)]) -> (Review, Vec<Finding>) {
    compare(&base_files(), head)
}

/// [`base_files`] with the first `from` in `path` replaced by `to`.
fn edit_base(path: &str, from: &str, to: &str) -> Vec<(&'static str, String)> {
    edit(base_files(), &[(path, from, to)])
}

/// Reviews [`base_files`] → [`edit_base`]`(path, from, to)`.
fn review_edit(path: &str, from: &str, to: &str) -> (Review, Vec<Finding>) {
    compare_with_base(&edit_base(path, from, to))
}

/// A change's values before and after.
fn before_after(c: &Change) -> (Option<&str>, Option<&str>) {
    (c.before.as_deref(), c.after.as_deref())
}

fn change<'a>(review: &'a Review, subject: &str, aspect: &str, env: Option<&str>) -> &'a Change {
    review
        .changes
        .iter()
        .find(|c| c.subject == subject && c.aspect == aspect && c.environment.as_deref() == env)
        .unwrap_or_else(|| panic!("no change {subject} {aspect} {env:?} in {review:#?}"))
}

/// 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not found"))
        + 1
}

#[test]
fn identical_pair_gives_an_empty_review() {
    let (review, findings) = compare(&base_files(), &base_files());
    assert!(review.is_empty(), "{review:#?}");
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn removing_a_lock_weakens_and_names_the_owner() {
    let head = edit_base("baselines/sshd.yaml", "    locked: true\n", "");
    let (review, findings) = compare_with_base(&head);
    let c = change(&review, "sshd.PermitRootLogin", "locked", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(before_after(c), (Some("true"), None));
    assert_eq!(c.owner.as_deref(), Some(OWNER));
    assert_eq!(review.changes.len(), 1, "{review:#?}");
    assert!(review.impact.is_empty(), "nothing renders differently");

    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.rule, RuleId::BaselineWeakened);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.setting.as_deref(), Some("sshd.PermitRootLogin"));
    assert_eq!(f.environment, None);
    assert_eq!(f.owner.as_deref(), Some(OWNER));
    assert!(
        f.help
            .contains("review required from platform-security@example.com"),
        "{}",
        f.help
    );
    assert_eq!(
        f.message,
        "`sshd.PermitRootLogin` weakened: `locked` removed (was `true`)"
    );
    // The lock's line is gone: the setting's line on the head side.
    let location = f.location.as_ref().unwrap();
    assert_eq!(location.path, "baselines/sshd.yaml");
    assert_eq!(location.line, line_of(&head[1].1, "PermitRootLogin:"));
}

#[test]
fn the_same_weakening_keeps_its_fingerprint_when_lines_move() {
    let weaken = ("baselines/sshd.yaml", "    max: 4", "    max: 9");
    let (_, first) = compare_with_base(&edit(base_files(), &[weaken]));
    let shifted = edit(
        base_files(),
        &[
            weaken,
            (
                "baselines/sshd.yaml",
                "settings:\n",
                "# a comment\n\nsettings:\n",
            ),
        ],
    );
    let (_, second) = compare_with_base(&shifted);
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    let (a, b) = (&first[0], &second[0]);
    assert_ne!(
        a.location.as_ref().unwrap().line,
        b.location.as_ref().unwrap().line
    );
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(a.key.as_deref(), Some("sshd.MaxAuthTries max"));
}

#[test]
fn raising_max_and_lowering_min_weaken() {
    let head = edit_base(
        "baselines/sshd.yaml",
        "    min: 1\n    max: 4",
        "    min: 0\n    max: 6",
    );
    let (review, findings) = compare_with_base(&head);
    let min = change(&review, "sshd.MaxAuthTries", "min", None);
    let max = change(&review, "sshd.MaxAuthTries", "max", None);
    assert_eq!(min.direction, Direction::Weakened);
    assert_eq!(max.direction, Direction::Weakened);
    assert_eq!(before_after(max), (Some("4"), Some("6")));
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let lines: Vec<usize> = findings
        .iter()
        .map(|f| f.location.as_ref().unwrap().line)
        .collect();
    assert_eq!(
        lines,
        vec![line_of(&head[1].1, "min: 0"), line_of(&head[1].1, "max: 6")]
    );
    // Low-severity settings still make at least a medium finding.
    assert!(findings.iter().all(|f| f.severity == Severity::Medium));
}

#[test]
fn widening_subset_of_weakens_and_reordering_it_is_neutral() {
    let (review, findings) = review_edit(
        "baselines/sshd.yaml",
        "aes256-gcm@openssh.com]",
        "aes256-gcm@openssh.com, aes128-ctr]",
    );
    let c = change(&review, "sshd.Ciphers", "subsetOf", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(
        c.after.as_deref(),
        Some("[chacha20-poly1305@openssh.com, aes256-gcm@openssh.com, aes128-ctr]")
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::High);

    let (review, findings) = review_edit(
        "baselines/sshd.yaml",
        "subsetOf: [chacha20-poly1305@openssh.com, aes256-gcm@openssh.com]",
        "subsetOf: [aes256-gcm@openssh.com, chacha20-poly1305@openssh.com]",
    );
    assert_eq!(
        change(&review, "sshd.Ciphers", "subsetOf", None).direction,
        Direction::Neutral
    );
    assert!(findings.is_empty());
}

#[test]
fn removing_a_setting_weakens_and_points_at_the_head_file() {
    let head = edit(
        base_files(),
        &[
            (
                "baselines/sshd.yaml",
                "  LogLevel:\n    value: VERBOSE\n    oneOf: [VERBOSE, INFO]\n    severity: low\n",
                "",
            ),
            (
                "templates/sshd_config.j2",
                "LogLevel {{ settings.LogLevel }}\n",
                "",
            ),
        ],
    );
    let (review, findings) = compare_with_base(&head);
    let c = change(&review, "sshd.LogLevel", "setting", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(c.after, None);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.location, Some(Location::file("baselines/sshd.yaml")));
    let was = format!("baselines/sshd.yaml:{}:3", line_of(SSHD, "LogLevel:"));
    assert!(
        f.message
            .contains(&format!("it was at `{was}` on the base side")),
        "{}",
        f.message
    );
    assert_eq!(f.severity, Severity::Medium, "low, raised to medium");
    // Both environments render a different sshd_config.
    let paths: Vec<&str> = review.impact.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "deploy/dev/etc/ssh/sshd_config",
            "deploy/prod/etc/ssh/sshd_config"
        ]
    );
    assert!(review.impact[0].diff.contains("-LogLevel VERBOSE\n"));
}

#[test]
fn removing_required_weakens() {
    let head = edit_base("baselines/sshd.yaml", "    required: true\n", "");
    let (review, findings) = compare_with_base(&head);
    let c = change(&review, "sshd.ListenAddress", "required", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].setting.as_deref(), Some("sshd.ListenAddress"));
    assert_eq!(
        findings[0].location.as_ref().unwrap().line,
        line_of(&head[1].1, "ListenAddress:")
    );
}

#[test]
fn an_overlay_moving_a_value_inside_bounds_is_neutral_per_environment() {
    let head = edit_base(
        "environments/prod.yaml",
        "MaxAuthTries: 2",
        "MaxAuthTries: 3",
    );
    let (review, findings) = compare_with_base(&head);
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(review.changes.len(), 1, "{review:#?}");
    let c = change(&review, "sshd.MaxAuthTries", "value", Some("prod"));
    assert_eq!(c.direction, Direction::Neutral);
    assert_eq!(before_after(c), (Some("2"), Some("3")));
    assert_eq!(
        c.location.as_ref().map(|l| (l.path.as_str(), l.line)),
        Some((
            "environments/prod.yaml",
            line_of(&head[3].1, "MaxAuthTries")
        ))
    );

    // Impact: only prod's file, with its diff; dev renders the same.
    assert_eq!(review.impact.len(), 1, "{:#?}", review.impact);
    let impact = &review.impact[0];
    assert_eq!(impact.environment, "prod");
    assert_eq!(impact.path, "deploy/prod/etc/ssh/sshd_config");
    assert_eq!(impact.baseline, "sshd");
    assert_eq!(impact.change, FileChange::Changed);
    assert!(!impact.diff_omitted);
    assert!(
        impact.diff.starts_with(
            "--- a/deploy/prod/etc/ssh/sshd_config\n+++ b/deploy/prod/etc/ssh/sshd_config\n"
        ),
        "{}",
        impact.diff
    );
    assert!(impact.diff.contains("-MaxAuthTries 2\n+MaxAuthTries 3\n"));
}

#[test]
fn an_overlay_moving_a_value_out_of_bounds_weakens_in_that_environment() {
    let head = edit_base(
        "environments/prod.yaml",
        "MaxAuthTries: 2",
        "MaxAuthTries: 7",
    );
    let (_h, head_analysis) = analysed(&head);
    let (_b, base) = load(&base_files());
    let (review, findings) = review(&base, &head_analysis);
    let c = change(&review, "sshd.MaxAuthTries", "value", Some("prod"));
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].environment.as_deref(), Some("prod"));
    assert_eq!(
        findings[0].key.as_deref(),
        Some("sshd.MaxAuthTries value prod")
    );
}

#[test]
fn removing_an_overlay_is_reported_at_the_head_file() {
    let (review, findings) = review_edit(
        "environments/prod.yaml",
        "values:\n  sshd:\n    MaxAuthTries: 2\n",
        "",
    );
    assert!(findings.is_empty());
    let c = change(&review, "sshd.MaxAuthTries", "value", Some("prod"));
    assert_eq!(c.direction, Direction::Neutral);
    assert_eq!(c.location, Some(Location::file("environments/prod.yaml")));
}

#[test]
fn a_changed_default_is_reported_once_for_the_baseline() {
    let (review, findings) = review_edit("baselines/sshd.yaml", "    value: 3\n", "    value: 4\n");
    assert!(findings.is_empty());
    // prod overrides it (2 on both sides); dev follows the default: the baseline says it.
    assert_eq!(review.changes.len(), 1, "{review:#?}");
    assert_eq!(
        change(&review, "sshd.MaxAuthTries", "value", None).direction,
        Direction::Neutral
    );
    let envs: Vec<&str> = review
        .impact
        .iter()
        .map(|i| i.environment.as_str())
        .collect();
    assert_eq!(envs, vec!["dev"]);
}

#[test]
fn strengthening_changes_make_no_findings() {
    let head = edit(
        base_files(),
        &[
            (
                "baselines/sshd.yaml",
                "    min: 1\n    max: 4",
                "    min: 2\n    max: 3",
            ),
            (
                "baselines/sshd.yaml",
                "subsetOf: [chacha20-poly1305@openssh.com, aes256-gcm@openssh.com]",
                "subsetOf: [chacha20-poly1305@openssh.com]",
            ),
            (
                "baselines/sshd.yaml",
                "    oneOf: [VERBOSE, INFO]\n    severity: low\n",
                "    oneOf: [VERBOSE]\n    locked: true\n    severity: high\n    pattern: \"[A-Z]+\"\n",
            ),
            (
                "baselines/sshd.yaml",
                "    required: true\n",
                "    required: true\n  UsePAM:\n    value: null\n    forbidden: true\n",
            ),
            (
                "baselines/sshd.yaml",
                "minVersion: \"9.2\"",
                "minVersion: \"9.10\"",
            ),
        ],
    );
    let (review, findings) = compare_with_base(&head);
    assert!(findings.is_empty(), "{findings:#?}");
    let expected = [
        ("sshd", "component.minVersion"),
        ("sshd.Ciphers", "subsetOf"),
        ("sshd.LogLevel", "locked"),
        ("sshd.LogLevel", "oneOf"),
        ("sshd.LogLevel", "pattern"),
        ("sshd.LogLevel", "severity"),
        ("sshd.MaxAuthTries", "max"),
        ("sshd.MaxAuthTries", "min"),
        ("sshd.UsePAM", "setting"),
    ];
    let got: Vec<(&str, &str, Direction)> = review
        .changes
        .iter()
        .map(|c| (c.subject.as_str(), c.aspect.as_str(), c.direction))
        .collect();
    let want: Vec<(&str, &str, Direction)> = expected
        .iter()
        .map(|(s, a)| (*s, *a, Direction::Strengthened))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn lowering_severity_weakens_at_the_higher_severity() {
    let (review, findings) = review_edit(
        "baselines/sshd.yaml",
        "    locked: true\n    severity: high",
        "    locked: true\n    severity: low",
    );
    let c = change(&review, "sshd.PermitRootLogin", "severity", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(before_after(c), (Some("high"), Some("low")));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::High);
}

#[test]
fn lowering_min_version_weakens_and_unordered_versions_are_neutral() {
    let (review, findings) = review_edit(
        "baselines/sshd.yaml",
        "minVersion: \"9.2\"",
        "minVersion: \"9.1.9\"",
    );
    assert_eq!(
        change(&review, "sshd", "component.minVersion", None).direction,
        Direction::Weakened
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].owner.as_deref(), Some(OWNER));

    let (review, findings) = review_edit(
        "baselines/sshd.yaml",
        "minVersion: \"9.2\"",
        "minVersion: \"1:9.2p1\"",
    );
    assert_eq!(
        change(&review, "sshd", "component.minVersion", None).direction,
        Direction::Neutral
    );
    assert!(findings.is_empty());
}

#[test]
fn the_owner_of_record_reviews_a_change_that_also_changes_the_owner() {
    let head = edit(
        base_files(),
        &[
            (
                "baselines/sshd.yaml",
                "  owner: platform-security@example.com",
                "  owner: app-team@example.com",
            ),
            ("baselines/sshd.yaml", "    max: 4", "    max: 5"),
        ],
    );
    let (review, findings) = compare_with_base(&head);
    let c = change(&review, "sshd", "metadata.owner", None);
    assert_eq!(c.direction, Direction::Neutral);
    assert_eq!(c.after.as_deref(), Some("app-team@example.com"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].owner.as_deref(), Some(OWNER));
    assert!(findings[0].help.contains(OWNER), "{}", findings[0].help);
}

fn with_sysctl() -> Vec<(&'static str, String)> {
    let mut files = base_files();
    files.push(("baselines/sysctl.yaml", SYSCTL.to_owned()));
    files.push(("templates/sysctl.conf.j2", SYSCTL_TEMPLATE.to_owned()));
    files
}

#[test]
fn adding_a_baseline_strengthens_and_adds_rendered_files() {
    let (review, findings) = compare_with_base(&with_sysctl());
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(review.changes.len(), 1, "{review:#?}");
    let c = change(&review, "sysctl", "baseline", None);
    assert_eq!(c.direction, Direction::Strengthened);
    assert_eq!(c.owner.as_deref(), Some("kernel-team@example.com"));
    let impact: Vec<(&str, &str, FileChange)> = review
        .impact
        .iter()
        .map(|i| (i.environment.as_str(), i.path.as_str(), i.change))
        .collect();
    assert_eq!(
        impact,
        vec![
            (
                "dev",
                "deploy/dev/etc/sysctl.d/99-hardening.conf",
                FileChange::Added
            ),
            (
                "prod",
                "deploy/prod/etc/sysctl.d/99-hardening.conf",
                FileChange::Added
            ),
        ]
    );
    assert!(
        review.impact[0]
            .diff
            .starts_with("--- /dev/null\n+++ b/deploy/dev/")
    );
    assert!(
        review.impact[0]
            .diff
            .contains("+kernel.kptr_restrict = 2\n")
    );
}

#[test]
fn removing_a_baseline_weakens_at_its_base_location() {
    let (review, findings) = compare(&with_sysctl(), &base_files());
    let c = change(&review, "sysctl", "baseline", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.severity, Severity::Critical, "its most severe setting");
    assert_eq!(f.owner.as_deref(), Some("kernel-team@example.com"));
    assert_eq!(
        f.message,
        "baseline `sysctl` removed; its file `baselines/sysctl.yaml` is gone"
    );
    let location = f.location.as_ref().unwrap();
    assert_eq!(
        (location.path.as_str(), location.line),
        ("baselines/sysctl.yaml", line_of(SYSCTL, "name: sysctl"))
    );
    assert!(
        review
            .impact
            .iter()
            .all(|i| i.change == FileChange::Removed)
    );
    assert_eq!(review.impact.len(), 2);
}

#[test]
fn no_longer_applying_a_baseline_in_an_environment_weakens() {
    let head = edit(
        with_sysctl(),
        &[(
            "environments/prod.yaml",
            "output: deploy/prod\n",
            "output: deploy/prod\nbaselines: [sysctl]\n",
        )],
    );
    let (review, findings) = compare(&with_sysctl(), &head);
    let c = change(&review, "sshd", "environment", Some("prod"));
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.environment.as_deref(), Some("prod"));
    assert_eq!(f.owner.as_deref(), Some(OWNER));
    assert_eq!(
        f.location.as_ref().map(|l| (l.path.as_str(), l.line)),
        Some(("environments/prod.yaml", line_of(&head[3].1, "baselines:")))
    );
    let impact: Vec<(&str, FileChange)> = review
        .impact
        .iter()
        .map(|i| (i.path.as_str(), i.change))
        .collect();
    assert_eq!(
        impact,
        vec![("deploy/prod/etc/ssh/sshd_config", FileChange::Removed)]
    );
}

#[test]
fn removing_an_environment_weakens_every_baseline_it_applied() {
    let head: Vec<(&str, String)> = base_files()
        .into_iter()
        .filter(|(p, _)| *p != "environments/dev.yaml")
        .collect();
    let (review, findings) = compare_with_base(&head);
    assert_eq!(
        change(&review, "dev", "environment", Some("dev")).direction,
        Direction::Neutral
    );
    assert_eq!(
        change(&review, "sshd", "environment", Some("dev")).direction,
        Direction::Weakened
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].location.as_ref().unwrap().path,
        "environments/dev.yaml"
    );
    assert_eq!(review.impact.len(), 1);
    assert_eq!(review.impact[0].change, FileChange::Removed);
    assert!(review.impact[0].diff.contains("+++ /dev/null"));
}

#[test]
fn review_is_sorted_and_deterministic() {
    let head = edit(
        with_sysctl(),
        &[
            ("baselines/sshd.yaml", "    max: 4", "    max: 9"),
            ("baselines/sshd.yaml", "    required: true\n", ""),
            (
                "environments/prod.yaml",
                "MaxAuthTries: 2",
                "MaxAuthTries: 4",
            ),
            ("baselines/sysctl.yaml", "    min: 1\n", ""),
        ],
    );
    let (first, f1) = compare(&with_sysctl(), &head);
    let (second, f2) = compare(&with_sysctl(), &head);
    assert_eq!(first, second);
    let keys = |fs: &[Finding]| fs.iter().map(|f| f.fingerprint.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&f1), keys(&f2));
    assert_eq!(f1.len(), 3);
    let order: Vec<(&str, Option<&str>, &str)> = first
        .changes
        .iter()
        .map(|c| {
            (
                c.subject.as_str(),
                c.environment.as_deref(),
                c.aspect.as_str(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted);
    let impact: Vec<(&str, &str)> = first
        .impact
        .iter()
        .map(|i| (i.environment.as_str(), i.path.as_str()))
        .collect();
    // Constraints do not reach the templates; prod's overlay does.
    assert_eq!(impact, vec![("prod", "deploy/prod/etc/ssh/sshd_config")]);
}

#[test]
fn dotted_versions_compare_numerically() {
    assert_eq!(
        min_version_direction(None, Some("1.10"), Some("1.9")),
        Direction::Weakened
    );
    assert_eq!(
        min_version_direction(None, Some("1.2"), Some("1.2.0")),
        Direction::Neutral
    );
    assert_eq!(
        min_version_direction(None, Some("v2"), Some("3.0")),
        Direction::Strengthened
    );
    assert_eq!(
        min_version_direction(None, Some("1.2-rc1"), Some("1.0")),
        Direction::Neutral
    );
    assert_eq!(
        min_version_direction(None, Some("1..2"), Some("1.0")),
        Direction::Neutral
    );
    assert_eq!(
        min_version_direction(None, Some("1.0"), None),
        Direction::Weakened
    );
}

/// The built-in library (this repository's own baselines, templates and environments).
fn library_files() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![(
        "hardline.yaml".to_owned(),
        std::fs::read_to_string(root.join("hardline.yaml")).unwrap(),
    )];
    for dir in ["baselines", "templates", "environments"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.push((
                format!("{dir}/{name}"),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    files
}

#[test]
fn the_built_in_library_against_an_edited_copy() {
    let base = library_files();
    let (_b, base_analysis) = analysed(&base);
    let (same, findings) = review(&base_analysis, &base_analysis);
    assert!(same.is_empty() && findings.is_empty(), "{same:#?}");

    let mut head = base.clone();
    let sshd = head
        .iter_mut()
        .find(|(p, _)| p == "baselines/sshd.yaml")
        .unwrap();
    sshd.1 = sshd
        .1
        .replacen(
            "    locked: true\n    builtin: prohibit-password\n",
            "    builtin: prohibit-password\n",
            1,
        )
        .replacen("    min: 1\n    max: 4\n", "    min: 1\n    max: 6\n", 1);
    let (_h, head_analysis) = analysed(&head);
    let (review, findings) = review(&base_analysis, &head_analysis);
    let findings = finding::finish(findings);
    let got: Vec<(&str, &str, Severity)> = findings
        .iter()
        .map(|f| {
            (
                f.setting.as_deref().unwrap_or(""),
                f.message.as_str(),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "sshd.PermitRootLogin",
                "`sshd.PermitRootLogin` weakened: `locked` removed (was `true`)",
                Severity::Critical
            ),
            (
                "sshd.MaxAuthTries",
                "`sshd.MaxAuthTries` weakened: `max` changed from `4` to `6`",
                Severity::Medium
            ),
        ]
    );
    assert!(findings.iter().all(|f| f.owner.as_deref() == Some(OWNER)));
    assert!(review.impact.is_empty(), "{:#?}", review.impact);
}

#[test]
fn a_baseline_that_does_not_load_on_one_side_is_not_reported_as_removed() {
    let head = edit_base(
        "baselines/sshd.yaml",
        "    severity: high\n",
        "    severity: extreme\n",
    );
    let (_h, broken) = analysed(&head);
    assert!(
        broken.findings.iter().any(|f| f.rule == RuleId::Schema),
        "the head side reports its own problem"
    );
    let (_b, base) = load(&base_files());
    let (review, findings) = review(&base, &broken);
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(
        review
            .changes
            .iter()
            .all(|c| !c.subject.starts_with("sshd")),
        "{review:#?}"
    );
    assert_eq!(review.in_direction(Direction::Weakened).count(), 0);
}

#[test]
fn aspect_directions() {
    let v = |s: &str| Value::String(s.to_owned());
    assert_eq!(
        aspect_direction("pattern", Some(&v("[a-z]+")), Some(&v("[a-z0-9]+"))),
        Direction::Neutral
    );
    assert_eq!(
        aspect_direction("pattern", Some(&v("[a-z]+")), None),
        Direction::Weakened
    );
    assert_eq!(
        aspect_direction("min", Some(&number(1.0)), Some(&number(1.0))),
        Direction::Neutral
    );
    assert_eq!(
        aspect_direction("max", None, Some(&number(4.0))),
        Direction::Strengthened
    );
    assert_eq!(
        aspect_direction("forbidden", Some(&Value::Bool(true)), None),
        Direction::Weakened
    );
    assert_eq!(
        aspect_direction(
            "oneOf",
            Some(&serde_json::json!([1, 2])),
            Some(&serde_json::json!([2, 3]))
        ),
        Direction::Weakened,
        "a member gained weakens even when another is lost"
    );
    assert_eq!(
        aspect_direction("builtin", Some(&v("yes")), Some(&v("no"))),
        Direction::Neutral
    );
    assert_eq!(number(2.5), serde_json::json!(2.5));
    assert_eq!(number(4.0), serde_json::json!(4));
}

#[test]
fn no_longer_rendering_or_checking_files_weakens() {
    let render = "render:\n  template: sshd_config.j2\n  target: etc/ssh/sshd_config\n";
    let (review, findings) = review_edit("baselines/sshd.yaml", render, "");
    let c = change(&review, "sshd", "render", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(c.before.as_deref(), Some("etc/ssh/sshd_config"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        review
            .impact
            .iter()
            .all(|i| i.change == FileChange::Removed)
    );
    assert_eq!(review.impact.len(), 2);

    let conform = |paths: &str| {
        edit_base(
            "baselines/sshd.yaml",
            render,
            &format!("{render}conform:\n  paths: [{paths}]\n"),
        )
    };
    let (review, findings) = compare(
        &conform("hosts/a/sshd_config, hosts/b/sshd_config"),
        &conform("hosts/a/sshd_config"),
    );
    let c = change(&review, "sshd", "conform.paths", None);
    assert_eq!(c.direction, Direction::Weakened);
    assert_eq!(findings.len(), 1);
    let (review, findings) = compare(
        &conform("hosts/a/sshd_config"),
        &conform("hosts/a/sshd_config, hosts/b/sshd_config"),
    );
    assert_eq!(
        change(&review, "sshd", "conform.paths", None).direction,
        Direction::Strengthened
    );
    assert!(findings.is_empty());
}
