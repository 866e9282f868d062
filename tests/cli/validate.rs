//! `hardline validate`: schema and semantic rules, each at the offending node.

use super::*;

fn validate(repo: &Repo) -> Vec<serde_json::Value> {
    repo.run(&["validate", "--format", "json"]).findings()
}

#[test]
fn shipped_library_validates_clean() {
    let repo = Repo::scaffold();
    let run = repo.run(&["validate"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "no findings; passed (fail threshold: medium)\n");
}

#[test]
fn overlay_cannot_change_locked_setting() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/prod.yaml",
        "    LoginGraceTime: 20",
        "    PermitRootLogin: \"yes\"\n    LoginGraceTime: 20",
    );
    let run = repo.run(&["validate", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let f = one(&findings, "locked-override");
    assert_eq!(at(f), ("environments/prod.yaml".into(), 13, 5));
    // At least high; the setting's own severity (critical here) when higher.
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["environment"], "prod");
    assert_eq!(f["setting"], "sshd.PermitRootLogin");
    assert!(
        f["message"].as_str().unwrap().contains("locked to `no`"),
        "{f}"
    );
    // The override is refused, not applied: the effective value stays locked.
    let explained = repo.run(&[
        "explain",
        "prod",
        "sshd.PermitRootLogin",
        "--format",
        "json",
    ]);
    assert_eq!(explained.assert_code(0).json()["value"], "no");
}

#[test]
fn value_outside_bounds_points_at_the_overlay_value() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 6",
    );
    let findings = validate(&repo);
    let f = one(&findings, "out-of-bounds");
    assert_eq!(at(f), ("environments/dev.yaml".into(), 13, 19));
    assert_eq!(
        f["message"],
        "`sshd.MaxAuthTries` is `6`, above the maximum `4`"
    );
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .starts_with("allowed: 1..=4 (set in baselines/sshd.yaml:"),
        "{f}"
    );
}

#[test]
fn one_of_subset_of_and_pattern_are_enforced() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/dev.yaml",
        "LogLevel: INFO",
        "LogLevel: DEBUG3",
    );
    repo.edit(
        "environments/prod.yaml",
        "      - aes128-gcm@openssh.com\n",
        "      - aes128-gcm@openssh.com\n      - 3des-cbc\n",
    );
    let findings = validate(&repo);
    let out: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule"] == "out-of-bounds")
        .collect();
    assert_eq!(out.len(), 2, "{findings:#?}");
    assert!(out.iter().any(|f| {
        f["message"]
            .as_str()
            .unwrap()
            .contains("`DEBUG3`, not one of")
    }));
    let cipher = out.iter().find(|f| f["setting"] == "sshd.Ciphers").unwrap();
    assert!(
        cipher["message"]
            .as_str()
            .unwrap()
            .contains("contains `3des-cbc`")
    );
    assert_eq!(at(cipher).0, "environments/prod.yaml");
}

#[test]
fn baseline_default_must_meet_its_own_constraints() {
    let repo = Repo::scaffold();
    repo.edit(
        "baselines/sshd.yaml",
        "MaxStartups:\n    value: \"10:30:60\"",
        "MaxStartups:\n    value: ten",
    );
    let findings = validate(&repo);
    let f = one(&findings, "out-of-bounds");
    assert_eq!(at(f).0, "baselines/sshd.yaml");
    assert!(
        f["message"].as_str().unwrap().contains("does not match"),
        "{f}"
    );
}

#[test]
fn unknown_baseline_and_setting_in_overlay() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/dev.yaml",
        "values:\n  sshd:\n",
        "values:\n  nginx:\n    server_tokens: \"off\"\n  sshd:\n    maxauthtries: 2\n",
    );
    let findings = validate(&repo);
    assert_eq!(
        at(one(&findings, "unknown-baseline")),
        ("environments/dev.yaml".into(), 12, 3)
    );
    let f = one(&findings, "unknown-setting");
    assert_eq!(at(f), ("environments/dev.yaml".into(), 15, 5));
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains("did you mean `MaxAuthTries`"),
        "{f}"
    );
}

#[test]
fn schema_violation_points_at_the_key_or_value() {
    let repo = Repo::scaffold();
    repo.edit(
        "baselines/sshd.yaml",
        "    severity: low\n",
        "    severity: urgent\n",
    );
    repo.edit(
        "environments/prod.yaml",
        "output: deploy/prod",
        "output: deploy/prod\ncolour: blue",
    );
    let findings = validate(&repo);
    let schema: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["rule"] == "schema").collect();
    assert_eq!(schema.len(), 2, "{findings:#?}");
    let severity = schema
        .iter()
        .find(|f| at(f).0 == "baselines/sshd.yaml")
        .unwrap();
    let text = repo.read("baselines/sshd.yaml");
    let line = text
        .lines()
        .position(|l| l == "    severity: urgent")
        .unwrap()
        + 1;
    assert_eq!(
        at(severity),
        ("baselines/sshd.yaml".into(), line as u64, 15)
    );
    let unknown = schema
        .iter()
        .find(|f| at(f).0 == "environments/prod.yaml")
        .unwrap();
    assert_eq!(at(unknown).1, 9);
    assert_eq!(at(unknown).2, 1);
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("unknown key `colour`")
    );
}

#[test]
fn missing_template_is_reported_at_the_render_section() {
    let repo = Repo::scaffold();
    repo.edit(
        "baselines/sshd.yaml",
        "template: sshd_config.j2",
        "template: sshd.j2",
    );
    let run = repo.run(&["validate", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let f = one(&findings, "missing-template");
    let text = repo.read("baselines/sshd.yaml");
    let line = text
        .lines()
        .position(|l| l.contains("template: sshd.j2"))
        .unwrap()
        + 1;
    assert_eq!(at(f), ("baselines/sshd.yaml".into(), line as u64, 13));
}

#[test]
fn undefined_template_variable_names_the_template_line() {
    let repo = Repo::scaffold();
    repo.edit(
        "templates/sshd_config.j2",
        "# Network\n",
        "# Network\n{{ settings.NoSuchThing }}\n",
    );
    let findings = validate(&repo);
    let undefined: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule"] == "undefined-variable")
        .collect();
    // One per environment: the same template line fails for dev and prod.
    assert_eq!(undefined.len(), 2, "{findings:#?}");
    let text = repo.read("templates/sshd_config.j2");
    let line = text
        .lines()
        .position(|l| l.contains("NoSuchThing"))
        .unwrap()
        + 1;
    assert_eq!(
        at(undefined[0]),
        ("templates/sshd_config.j2".into(), line as u64, 4)
    );
    assert!(
        undefined[0]["message"]
            .as_str()
            .unwrap()
            .contains("`settings.NoSuchThing` is undefined")
    );
}

#[test]
fn waiver_without_owner_reason_or_expiry_is_incomplete() {
    let repo = Repo::scaffold();
    repo.write(
        "environments/dev.yaml",
        &(repo.read("environments/dev.yaml")
            + "waivers:\n  - rule: sshd.LogLevel\n    reason: debugging\n"),
    );
    let findings = validate(&repo);
    let f = one(&findings, "waiver-incomplete");
    assert_eq!(at(f), ("environments/dev.yaml".into(), 18, 5));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("has no owner, no expires"),
        "{f}"
    );
}

#[test]
fn human_output_shows_the_snippet_and_help() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 6",
    );
    let run = repo.run(&["validate"]);
    run.assert_code(1);
    insta::assert_snapshot!(run.stdout, @r"
      ⚠ medium[out-of-bounds]: `sshd.MaxAuthTries` is `6`, above the maximum `4`
      │ (environment `dev`)
        ╭─[environments/dev.yaml:13:19]
     12 │   sshd:
     13 │     MaxAuthTries: 6            # baseline 2, allowed 1..4
        ·                   ┬
        ·                   ╰── out-of-bounds
     14 │     LogLevel: INFO             # baseline VERBOSE, allowed VERBOSE|INFO
        ╰────
      help: allowed: 1..=4 (set in baselines/sshd.yaml:235)

    1 finding: 1 medium; failed (fail threshold: medium)
    ");
}
