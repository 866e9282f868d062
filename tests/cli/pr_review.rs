//! Pull-request mode end to end with the baseline-change review and the audit: a weakened
//! baseline names its owner, a vulnerability introduced by a lockfile change is new.

use super::pr::{commit_all, scaffolded};
use super::{assert_report_schema, one};
use serde_json::json;

#[test]
fn a_weakened_baseline_is_a_new_finding_naming_its_owner_with_the_impact() {
    let (repo, git) = scaffolded();
    // Raise the upper bound and drop a lock; tighten another setting.
    repo.edit(
        "baselines/sshd.yaml",
        "    min: 1\n    max: 4\n",
        "    min: 1\n    max: 8\n",
    );
    repo.edit(
        "baselines/sshd.yaml",
        "    value: \"no\"\n    locked: true\n    builtin: prohibit-password",
        "    value: \"no\"\n    builtin: prohibit-password",
    );
    commit_all(&git, "relax sshd");
    let run = repo.run(&[
        "check",
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--format",
        "json",
        "--fail-on",
        "new",
    ]);
    run.assert_code(1);
    let findings = run.findings();
    let weakened: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule"] == "baseline-weakened")
        .collect();
    assert_eq!(weakened.len(), 2, "{findings:#?}");
    for f in &weakened {
        assert_eq!(f["status"], "new");
        assert_eq!(f["owner"], "platform-security@example.com");
        assert_eq!(f["location"]["path"], "baselines/sshd.yaml");
        assert!(
            f["help"]
                .as_str()
                .unwrap()
                .contains("platform-security@example.com"),
            "{f}"
        );
    }
    let settings: Vec<&str> = weakened
        .iter()
        .map(|f| f["setting"].as_str().unwrap())
        .collect();
    assert!(
        settings.contains(&"sshd.MaxAuthTries") && settings.contains(&"sshd.PermitRootLogin"),
        "{settings:?}"
    );
    let max = weakened
        .iter()
        .find(|f| f["setting"] == "sshd.MaxAuthTries")
        .unwrap();
    let text = repo.read("baselines/sshd.yaml");
    let line = text.lines().position(|l| l == "    max: 8").unwrap() + 1;
    assert_eq!(max["location"]["line"], line);
    // The review itself is in the JSON report; nothing rendered changes (values stay put).
    assert_report_schema(&run.json());
    let review = &run.json()["review"];
    assert!(
        review["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["direction"] == "weakened")
    );

    // The PR comment shows the review with the required reviewer.
    let markdown = repo.run(&[
        "check", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown",
    ]);
    assert!(
        markdown.stdout.contains("platform-security@example.com"),
        "{}",
        markdown.stdout
    );
    assert!(markdown.stdout.contains("weakened"), "{}", markdown.stdout);
}

#[test]
fn a_changed_overlay_value_shows_the_rendered_files_it_changes() {
    let (repo, git) = scaffolded();
    repo.edit(
        "environments/prod.yaml",
        "sshd:\n",
        "sshd:\n    MaxAuthTries: 3\n",
    );
    commit_all(&git, "prod allows 3 tries");
    let run = repo.run(&[
        "check", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ]);
    let json = run.json();
    assert_report_schema(&json);
    let impact = json["review"]["impact"].as_array().unwrap();
    assert_eq!(impact.len(), 1, "{json:#}");
    assert_eq!(impact[0]["environment"], "prod");
    assert!(
        impact[0]["diff"]
            .as_str()
            .unwrap()
            .contains("+MaxAuthTries 3"),
        "{}",
        impact[0]
    );
    // The checked-in file was not re-rendered: drift is new in this change.
    let drift = one(&run.findings(), "drift").clone();
    assert_eq!(drift["status"], "new");
}

#[test]
fn a_vulnerable_version_introduced_by_the_change_is_new_and_the_old_one_fixed() {
    let (repo, git) = scaffolded();
    let record = |id: &str, name: &str, fixed: &str| {
        serde_json::to_string(&json!({
            "id": id, "modified": "2024-01-01T00:00:00Z", "published": "2024-01-01T00:00:00Z",
            "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" }],
            "affected": [{ "package": { "ecosystem": "PyPI", "name": name },
                           "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": fixed }] }] }]
        }))
        .unwrap()
    };
    let manifest = repo.read("hardline.yaml");
    let manifest = &manifest[..manifest.find("components:").unwrap()];
    repo.write(
        "hardline.yaml",
        &format!("{manifest}components:\n  lockfiles: [\"**/requirements.txt\"]\nadvisories: advisories\n"),
    );
    repo.write(
        "advisories/PYSEC-2024-1.json",
        &record("PYSEC-2024-1", "django", "4.2.0"),
    );
    repo.write(
        "advisories/PYSEC-2024-2.json",
        &record("PYSEC-2024-2", "requests", "2.31.0"),
    );
    repo.write(
        "advisories/PYSEC-2024-3.json",
        &record("PYSEC-2024-3", "six", "1.16.0"),
    );
    repo.write(
        "app/requirements.txt",
        "django==4.2.0\nrequests==2.0.0\nsix==1.0.0\n",
    );
    commit_all(&git, "app");
    repo.write(
        "app/requirements.txt",
        "# pinned\ndjango==4.1.0\nrequests==2.0.0\nsix==1.16.0\n",
    );
    let run = repo.run(&[
        "check",
        "--base",
        "HEAD",
        "--format",
        "json",
        "--today",
        "2024-01-03",
        "--fail-on",
        "new",
    ]);
    run.assert_code(1);
    let status = |id: &str| {
        run.findings()
            .iter()
            .find(|f| f["advisory"]["id"] == id)
            .map(|f| f["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("PYSEC-2024-1").as_deref(), Some("new"));
    assert_eq!(
        status("PYSEC-2024-2").as_deref(),
        Some("existing"),
        "the line moved, the finding did not"
    );
    assert_eq!(status("PYSEC-2024-3").as_deref(), Some("fixed"));
}

#[test]
fn relaxing_the_patch_policy_is_reviewed_by_the_repository_owner() {
    let (repo, git) = scaffolded();
    let manifest = repo.read("hardline.yaml");
    let manifest = manifest[..manifest.find("components:").unwrap()].to_owned();
    repo.write(
        "hardline.yaml",
        &format!("{manifest}components:\n  lockfiles: [\"**/requirements.txt\"]\n  policy:\n    - {{ ecosystem: PyPI, name: django, minVersion: \"4.2\" }}\n    - {{ ecosystem: Debian, name: openssh-server, minVersion: \"1:9.2p1-2\" }}\npatch:\n  sla: {{ critical: 2d, high: 7d }}\n"),
    );
    commit_all(&git, "policy");
    repo.write(
        "hardline.yaml",
        &format!("{manifest}components:\n  lockfiles: [\"**/requirements.txt\"]\n  policy:\n    - {{ ecosystem: Debian, name: openssh-server, minVersion: \"1:9.2p1-10\" }}\npatch:\n  sla: {{ critical: 2d, high: 30d }}\n"),
    );
    let run = repo.run(&["check", "--base", "HEAD", "--format", "json"]);
    let findings = run.findings();
    let weakened: Vec<String> = findings
        .iter()
        .filter(|f| f["rule"] == "baseline-weakened")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(weakened.len(), 2, "{weakened:#?}");
    assert!(
        weakened
            .iter()
            .any(|m| m.contains("patch.sla.high") && m.contains("30 days")),
        "{weakened:?}"
    );
    assert!(
        weakened.iter().any(|m| m.contains("PyPI/django")),
        "{weakened:?}"
    );
    // Debian's order: 9.2p1-10 is above 9.2p1-2, a strengthening.
    let review = run.json()["review"]["changes"].clone();
    let ssh = review
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["aspect"] == "minVersion")
        .unwrap()
        .clone();
    assert_eq!(ssh["direction"], "strengthened", "{ssh}");
    assert!(
        findings
            .iter()
            .filter(|f| f["rule"] == "baseline-weakened")
            .all(|f| f["owner"] == "platform-security@example.com")
    );
}
