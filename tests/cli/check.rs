//! `hardline check`: validate + render + diff in one sorted run, with the exit-code contract.

use super::*;

#[test]
fn check_passes_on_the_scaffold_and_reports_json_per_contract() {
    let repo = Repo::scaffold();
    let run = repo.run(&["check", "--format", "json"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["version"], 1);
    assert_eq!(json["findings"], serde_json::json!([]));
    assert_eq!(
        json["summary"]["by_severity"],
        serde_json::json!({"critical": 0, "high": 0, "info": 0, "low": 0, "medium": 0})
    );
}

#[test]
fn check_collects_every_problem_sorted_in_one_run() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 9",
    );
    repo.edit(
        "environments/prod.yaml",
        "    LoginGraceTime: 20",
        "    PasswordAuthentication: \"yes\"\n    LoginGraceTime: 20",
    );
    repo.edit(
        "deploy/prod/etc/ssh/sshd_config",
        "X11Forwarding no",
        "X11Forwarding yes",
    );
    repo.write("deploy/prod/etc/motd", "hello\n");
    let run = repo.run(&["check", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let summary: Vec<(String, String)> = findings
        .iter()
        .map(|f| (at(f).0, f["rule"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        summary,
        [
            ("deploy/dev/etc/ssh/sshd_config".into(), "drift".into()),
            ("deploy/prod/etc/motd".into(), "unmanaged-file".into()),
            ("deploy/prod/etc/ssh/sshd_config".into(), "drift".into()),
            ("environments/dev.yaml".into(), "out-of-bounds".into()),
            ("environments/prod.yaml".into(), "locked-override".into()),
        ]
    );
    // Each finding has a fingerprint; the unmanaged file is informational.
    assert!(
        findings
            .iter()
            .all(|f| f["fingerprint"].as_str().is_some_and(|s| s.len() == 16))
    );
    assert_eq!(one(&findings, "unmanaged-file")["severity"], "info");
    let by = &run.json()["summary"]["by_severity"];
    // PermitRootLogin is a critical setting: overriding it is critical.
    assert_eq!(
        (
            by["critical"].as_u64(),
            by["high"].as_u64(),
            by["medium"].as_u64(),
            by["info"].as_u64()
        ),
        (Some(1), Some(2), Some(1), Some(1))
    );
}

#[test]
fn fail_on_threshold_decides_the_exit_code() {
    let repo = Repo::scaffold();
    repo.write("deploy/dev/notes.txt", "unmanaged\n");
    // Info findings do not fail under the default threshold (medium)...
    repo.run(&["check"]).assert_code(0);
    // ...but do under --fail-on info.
    repo.run(&["check", "--fail-on", "info"]).assert_code(1);
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 9",
    );
    repo.run(&["render", "--write", "--fail-on", "critical"])
        .assert_code(0);
    // A medium finding fails by default and passes with --fail-on high.
    repo.run(&["check"]).assert_code(1);
    repo.run(&["check", "--fail-on", "high"]).assert_code(0);
    // The manifest's failOn is the default when no flag is given.
    repo.edit("hardline.yaml", "failOn: medium", "failOn: high");
    repo.run(&["check"]).assert_code(0);
    repo.run(&["check", "--fail-on", "low"]).assert_code(1);
}

#[test]
fn waivers_mark_findings_and_expire() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 9",
    );
    repo.run(&["render", "--write", "--fail-on", "critical"])
        .assert_code(0);
    let waiver = "waivers:\n  - rule: sshd.MaxAuthTries\n    owner: alice@example.com\n    reason: \"pairing sessions, SEC-142\"\n    expires: \"2027-01-31\"\n  - rule: drift\n    owner: bob@example.com\n    reason: nothing drifts\n    expires: \"2027-01-31\"\n";
    repo.write(
        "environments/dev.yaml",
        &(repo.read("environments/dev.yaml") + waiver),
    );
    let run = repo.run(&["check", "--format", "json", "--today", "2026-12-01"]);
    run.assert_code(0);
    let findings = run.findings();
    let waived = one(&findings, "out-of-bounds");
    assert_eq!(waived["waived"], true);
    let unused = one(&findings, "waiver-unused");
    assert_eq!(unused["severity"], "low");
    assert_eq!(at(unused).1, 22);
    // After the expiry date the waiver no longer applies and is itself a finding.
    let run = repo.run(&["check", "--format", "json", "--today", "2027-02-01"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(one(&findings, "out-of-bounds")["waived"], false);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["rule"] == "waiver-expired")
            .count(),
        2
    );
}

#[test]
fn bad_today_is_a_usage_error() {
    let repo = Repo::scaffold();
    let run = repo.run(&["check", "--today", "2026-02-30"]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a valid date"), "{}", run.stderr);
}

#[test]
fn the_repository_checks_itself_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = run_in(root, &["check", "--format", "json"]);
    run.assert_code(0);
    assert_eq!(run.findings().len(), 0, "{}", run.stdout);
}

#[test]
fn a_broken_baseline_is_one_finding_not_a_cascade() {
    let repo = Repo::scaffold();
    repo.edit(
        "baselines/sshd.yaml",
        "kind: Baseline",
        "kind: Baseline\n  bad indent: [",
    );
    let run = repo.run(&["check", "--format", "json"]);
    run.assert_code(1);
    assert_eq!(rules(&run.findings()), ["invalid-yaml"]);
}
