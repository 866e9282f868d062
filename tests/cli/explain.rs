//! `hardline explain ENV KEY`: value, provenance, constraint.

use super::*;

#[test]
fn explain_names_the_overlay_line_and_the_bounds() {
    let repo = Repo::scaffold();
    let run = repo.run(&["explain", "dev", "sshd.MaxAuthTries"]);
    run.assert_code(0);
    let text = repo.read("baselines/sshd.yaml");
    let key = text.lines().position(|l| l == "  MaxAuthTries:").unwrap() + 1;
    let value = text[..]
        .lines()
        .skip(key)
        .position(|l| l.trim_start().starts_with("value:"))
        .unwrap()
        + key
        + 1;
    assert_eq!(
        run.stdout.lines().take(4).collect::<Vec<_>>(),
        [
            "sshd.MaxAuthTries in dev = 3".to_owned(),
            "  set by      environments/dev.yaml:13:19 (environment overlay)".to_owned(),
            format!("  default     2 at baselines/sshd.yaml:{value}:12"),
            format!("  allowed     1..=4, by baselines/sshd.yaml:{key}"),
        ]
    );
}

#[test]
fn explain_baseline_default_in_json() {
    let repo = Repo::scaffold();
    let json = repo
        .run(&[
            "explain",
            "prod",
            "sshd.PermitRootLogin",
            "--format",
            "json",
        ])
        .assert_code(0)
        .json();
    assert_eq!(json["value"], "no");
    assert_eq!(json["source"], "baseline");
    assert_eq!(json["location"]["path"], "baselines/sshd.yaml");
    assert!(
        json["constraint"]
            .as_str()
            .unwrap()
            .contains("locked to `no`")
    );
}

#[test]
fn explain_unknown_setting_is_exit_2() {
    let repo = Repo::scaffold();
    let run = repo.run(&["explain", "prod", "sshd.Nope"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("baseline `sshd` has no setting `Nope`"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["explain", "prod", "Nope"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("is not a setting key"),
        "{}",
        run.stderr
    );
}
