//! `hardline diff`: drift as unified diffs, missing and unmanaged files.

use super::*;

#[test]
fn drift_shows_a_unified_diff_at_the_first_changed_line() {
    let repo = Repo::scaffold();
    repo.edit(
        "deploy/prod/etc/ssh/sshd_config",
        "MaxAuthTries 2",
        "MaxAuthTries 6",
    );
    let run = repo.run(&["diff", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let f = one(&findings, "drift");
    let text = repo.read("deploy/prod/etc/ssh/sshd_config");
    let line = text.lines().position(|l| l == "MaxAuthTries 6").unwrap() + 1;
    assert_eq!(
        at(f),
        ("deploy/prod/etc/ssh/sshd_config".into(), line as u64, 1)
    );
    assert_eq!(f["environment"], "prod");
    let diff = f["diff"].as_str().unwrap();
    assert!(diff.starts_with("--- a/deploy/prod/etc/ssh/sshd_config\n+++ b/deploy/prod/etc/ssh/sshd_config (rendered)\n@@ "), "{diff}");
    assert!(
        diff.contains("\n-MaxAuthTries 6\n+MaxAuthTries 2\n"),
        "{diff}"
    );
    // Human output shows the same diff.
    let human = repo.run(&["diff"]);
    assert!(human.stdout.contains("-MaxAuthTries 6"), "{}", human.stdout);
    assert!(human.stdout.contains("+MaxAuthTries 2"), "{}", human.stdout);
}

#[test]
fn a_missing_trailing_newline_is_drift() {
    let repo = Repo::scaffold();
    let text = repo.read("deploy/dev/etc/ssh/sshd_config");
    repo.write("deploy/dev/etc/ssh/sshd_config", text.trim_end());
    let findings = repo.run(&["diff", "--format", "json"]).findings();
    let f = one(&findings, "drift");
    assert!(
        f["diff"]
            .as_str()
            .unwrap()
            .contains("No newline at end of file"),
        "{f}"
    );
}

#[test]
fn missing_and_unmanaged_files() {
    let repo = Repo::scaffold();
    std::fs::remove_file(repo.join("deploy/dev/etc/ssh/sshd_config")).unwrap();
    repo.write("deploy/prod/etc/ssh/sshd_config.orig", "old\n");
    let run = repo.run(&["diff", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let missing = one(&findings, "missing-file");
    assert_eq!(at(missing).0, "baselines/sshd.yaml");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .starts_with("`deploy/dev/etc/ssh/sshd_config` is not checked in")
    );
    let unmanaged = one(&findings, "unmanaged-file");
    assert_eq!(
        at(unmanaged),
        ("deploy/prod/etc/ssh/sshd_config.orig".into(), 1, 1)
    );
}

#[test]
fn diff_can_be_limited_to_one_environment() {
    let repo = Repo::scaffold();
    repo.edit(
        "deploy/prod/etc/ssh/sshd_config",
        "MaxAuthTries 2",
        "MaxAuthTries 6",
    );
    repo.run(&["diff", "--env", "dev"]).assert_code(0);
    repo.run(&["diff", "--env", "prod"]).assert_code(1);
}

#[test]
fn render_write_repairs_drift() {
    let repo = Repo::scaffold();
    repo.edit(
        "deploy/prod/etc/ssh/sshd_config",
        "MaxAuthTries 2",
        "MaxAuthTries 6",
    );
    let run = repo.run(&["render", "--write"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "wrote 1 file in place, 1 unchanged\n");
    repo.run(&["diff"]).assert_code(0);
}

#[test]
fn problems_of_other_environments_stay_out_of_a_selected_run() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/prod.yaml",
        "MaxSessions: 4",
        "MaxSessions: 40",
    );
    repo.run(&["diff", "--env", "dev"]).assert_code(0);
    let findings = repo
        .run(&["diff", "--env", "prod", "--format", "json"])
        .findings();
    assert_eq!(one(&findings, "out-of-bounds")["environment"], "prod");
}
