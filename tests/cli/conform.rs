//! `hardline conform`: what checked-in files really say, at the directive's line.

use super::*;

/// A repository with a conform-only sysctl baseline over `etc/sysctl.conf`.
fn sysctl_repo(conf: &str) -> Repo {
    let repo = Repo::empty();
    repo.write(
        "hardline.yaml",
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n",
    );
    repo.write(
        "baselines/sysctl.yaml",
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: sysctl, owner: o}\nconform: {format: sysctl, paths: [etc/sysctl.conf, \"etc/sysctl.d/*.conf\"]}\nsettings:\n  net.ipv4.ip_forward: {value: 0, severity: high}\n  kernel.kptr_restrict: {value: 2, min: 1, max: 2}\n  fs.suid_dumpable: {value: 0, builtin: 0}\n  kernel.randomize_va_space: {value: 2}\n",
    );
    repo.write("etc/sysctl.conf", conf);
    repo
}

#[test]
fn conform_reports_each_violated_setting_at_its_line() {
    let repo = sysctl_repo(
        "# hardened\nnet.ipv4.ip_forward = 1\nkernel/kptr_restrict=0\nkernel.randomize_va_space = 2\n",
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(rules(&findings), ["nonconformity", "nonconformity"]);
    assert_eq!(at(&findings[0]), ("etc/sysctl.conf".into(), 2, 1));
    assert_eq!(findings[0]["setting"], "sysctl.net.ipv4.ip_forward");
    assert_eq!(findings[0]["severity"], "high");
    assert_eq!(
        findings[0]["message"],
        "`sysctl.net.ipv4.ip_forward` is `1`, expected `0`"
    );
    assert_eq!(at(&findings[1]), ("etc/sysctl.conf".into(), 3, 1));
    assert!(
        findings[1]["message"]
            .as_str()
            .unwrap()
            .contains("below the minimum `1`"),
        "{}",
        findings[1]
    );
}

#[test]
fn a_missing_setting_is_reported_at_the_file_unless_the_builtin_conforms() {
    let repo = sysctl_repo("net.ipv4.ip_forward = 0\nkernel.kptr_restrict = 2\n");
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    // fs.suid_dumpable is absent but its built-in default (0) conforms.
    let f = one(&findings, "nonconformity");
    assert_eq!(at(f), ("etc/sysctl.conf".into(), 1, 1));
    assert_eq!(
        f["message"],
        "`sysctl.kernel.randomize_va_space` is not set in `etc/sysctl.conf`"
    );
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains("kernel.randomize_va_space = …"),
        "{f}"
    );
}

#[test]
fn glob_paths_are_checked_as_one_boot_time_set() {
    let repo = sysctl_repo(
        "net.ipv4.ip_forward = 0\nkernel.kptr_restrict = 2\nkernel.randomize_va_space = 2\n",
    );
    // sysctl --system applies drop-ins in name order and /etc/sysctl.conf last: the drop-in's
    // ip_forward=1 is overridden (no finding), its suid_dumpable=1 is not.
    repo.write(
        "etc/sysctl.d/99-local.conf",
        "kernel.kptr_restrict = 2\nthis line is broken\nnet.ipv4.ip_forward=1\nfs.suid_dumpable = 1\n",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let summary: Vec<(String, u64, String)> = findings
        .iter()
        .map(|f| (at(f).0, at(f).1, f["rule"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "etc/sysctl.d/99-local.conf".into(),
                2,
                "invalid-config".into()
            ),
            (
                "etc/sysctl.d/99-local.conf".into(),
                4,
                "nonconformity".into()
            ),
        ]
    );
    // A drop-in sorting after another wins over it.
    repo.write("etc/sysctl.conf", "kernel.randomize_va_space = 2\n");
    repo.write(
        "etc/sysctl.d/10-base.conf",
        "net.ipv4.ip_forward = 0\nkernel.kptr_restrict = 2\n",
    );
    repo.write("etc/sysctl.d/99-local.conf", "net.ipv4.ip_forward = 1\n");
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let f = one(&findings, "nonconformity");
    assert_eq!(at(f), ("etc/sysctl.d/99-local.conf".into(), 1, 1));
    assert_eq!(f["setting"], "sysctl.net.ipv4.ip_forward");
}

#[test]
fn conform_runs_inside_check() {
    let repo = sysctl_repo(
        "net.ipv4.ip_forward = 1\nkernel.kptr_restrict = 2\nkernel.randomize_va_space = 2\n",
    );
    repo.run(&["check"]).assert_code(1);
    repo.write(
        "environments/prod.yaml",
        "apiVersion: hardline/v1\nkind: Environment\nmetadata: {name: prod}\noutput: deploy/prod\nbaselines: []\n",
    );
    let findings = repo.run(&["check", "--format", "json"]).findings();
    assert_eq!(rules(&findings), ["nonconformity"]);
}

#[test]
fn repository_wide_waivers_cover_conform_only_files() {
    let repo = sysctl_repo(
        "net.ipv4.ip_forward = 1\nkernel.kptr_restrict = 2\nkernel.randomize_va_space = 2\n",
    );
    repo.write(
        "hardline.yaml",
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\nwaivers:\n  - rule: sysctl.net.ipv4.ip_forward\n    path: etc/sysctl.conf\n    owner: net-team@example.com\n    reason: \"router host, NET-7\"\n    expires: \"2027-03-01\"\n  - rule: nonconformity\n    path: etc/other.conf\n    owner: a@example.com\n    reason: old\n    expires: \"2027-03-01\"\n",
    );
    let run = repo.run(&["check", "--format", "json", "--today", "2027-01-01"]);
    run.assert_code(0);
    let findings = run.findings();
    assert_eq!(one(&findings, "nonconformity")["waived"], true);
    let unused = one(&findings, "waiver-unused");
    assert_eq!(at(unused), ("hardline.yaml".into(), 10, 5));
    // Expired: the finding is active again and the waiver itself is reported.
    let run = repo.run(&["check", "--format", "json", "--today", "2027-03-02"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(one(&findings, "nonconformity")["waived"], false);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["rule"] == "waiver-expired")
            .count(),
        2
    );
}

#[test]
fn human_output_puts_whole_file_findings_in_the_headline() {
    let repo = sysctl_repo("net.ipv4.ip_forward = 1\nkernel.kptr_restrict = 2\n");
    let run = repo.run(&["conform"]);
    run.assert_code(1);
    insta::assert_snapshot!(run.stdout, @r"
      ⚠ medium[nonconformity]: etc/sysctl.conf:1:1:
      │ `sysctl.kernel.randomize_va_space` is not set in `etc/sysctl.conf`
      help: add a `kernel.randomize_va_space = …` line, with `2`

      × high[nonconformity]: `sysctl.net.ipv4.ip_forward` is `1`, expected `0`
       ╭─[etc/sysctl.conf:1:1]
     1 │ net.ipv4.ip_forward = 1
       · ───────────┬───────────
       ·            ╰── nonconformity
     2 │ kernel.kptr_restrict = 2
       ╰────
      help: set `0`

    2 findings: 1 high, 1 medium; failed (fail threshold: medium)
    ");
}
