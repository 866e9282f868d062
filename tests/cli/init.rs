//! `hardline init`: a working repository that checks clean at once.

use super::*;

#[test]
fn init_scaffold_checks_clean_at_once() {
    let repo = Repo::empty();
    let run = repo.run(&["init", "new-repo"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("created a baseline repository"),
        "{}",
        run.stdout
    );
    for file in [
        "new-repo/hardline.yaml",
        "new-repo/baselines/sshd.yaml",
        "new-repo/templates/sshd_config.j2",
        "new-repo/environments/dev.yaml",
        "new-repo/environments/prod.yaml",
        "new-repo/deploy/dev/etc/ssh/sshd_config",
        "new-repo/deploy/prod/etc/ssh/sshd_config",
        "new-repo/schemas/baseline.schema.json",
    ] {
        assert!(repo.join(file).is_file(), "{file} missing");
    }
    let check = run_in(repo.path(), &["-C", "new-repo", "check"]);
    check.assert_code(0);
    assert!(check.stdout.contains("no findings"), "{}", check.stdout);
}

#[test]
fn init_scaffold_carries_the_dev_sec_values() {
    let repo = Repo::scaffold();
    let prod = repo.read("deploy/prod/etc/ssh/sshd_config");
    for line in [
        "PermitRootLogin no",
        "MaxAuthTries 2",
        "PasswordAuthentication no",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        "ClientAliveInterval 180",
        "LogLevel VERBOSE",
    ] {
        assert!(
            prod.lines().any(|l| l == line),
            "`{line}` not in prod:\n{prod}"
        );
    }
    assert!(
        prod.lines()
            .any(|l| l.starts_with("Ciphers chacha20-poly1305@openssh.com,"))
    );
    assert!(prod.lines().any(|l| l.starts_with("KexAlgorithms ")));
    assert!(prod.lines().any(|l| l.starts_with("MACs ")));
    let baseline = repo.read("baselines/sshd.yaml");
    assert!(
        baseline.starts_with("# yaml-language-server: $schema=../schemas/baseline.schema.json")
    );
    // Every setting has a severity, a rationale and references.
    let run = repo.run(&[
        "explain",
        "prod",
        "sshd.PermitRootLogin",
        "--format",
        "json",
    ]);
    let explained = run.assert_code(0).json();
    assert_eq!(explained["locked"], true);
    assert!(
        explained["rationale"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
}

#[test]
fn init_refuses_an_existing_repository_and_writes_nothing() {
    let repo = Repo::scaffold();
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 4",
    );
    let before = repo.snapshot();
    let run = repo.run(&["init", "."]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("already holds a baseline repository"),
        "{}",
        run.stderr
    );
    assert_eq!(before, repo.snapshot());
}

#[test]
fn init_never_overwrites_a_file() {
    let repo = Repo::empty();
    repo.write("templates/sshd_config.j2", "mine\n");
    let run = repo.run(&["init", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(repo.read("templates/sshd_config.j2"), "mine\n");
    assert!(!repo.join("hardline.yaml").exists());
}

#[test]
fn init_with_an_unknown_component_is_a_usage_error() {
    let repo = Repo::empty();
    let run = repo.run(&["init", "x", "--with", "sshd,apache"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("unknown component `apache`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("choose from: sshd"), "{}", run.stderr);
    assert!(!repo.join("x").exists());
}

#[test]
fn init_with_any_component_checks_clean() {
    let all = ["sshd", "nginx", "postgres", "sysctl", "docker", "k8s"];
    let mut sets: Vec<String> = all.iter().map(|c| (*c).to_owned()).collect();
    sets.push(all.join(","));
    for with in sets {
        let repo = Repo::empty();
        repo.run(&["init", ".", "--with", &with]).assert_code(0);
        let run = repo.run(&["check", "--format", "json"]);
        run.assert_code(0);
        assert_eq!(run.findings().len(), 0, "--with {with}: {}", run.stdout);
        // Overlays for components not chosen are left out of the environments.
        let dev = repo.read("environments/dev.yaml");
        assert_eq!(
            dev.contains("  nginx:"),
            with.contains("nginx"),
            "--with {with}:\n{dev}"
        );
    }
}

#[test]
fn init_with_k8s_checks_the_example_manifests() {
    let repo = Repo::empty();
    repo.run(&["init", ".", "--with", "k8s"]).assert_code(0);
    assert!(repo.join("k8s/web/deployment.yaml").is_file());
    repo.edit(
        "k8s/web/deployment.yaml",
        "allowPrivilegeEscalation: false",
        "allowPrivilegeEscalation: true",
    );
    let run = repo.run(&["check", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let f = one(&findings, "nonconformity");
    assert_eq!(f["setting"], "k8s-pss.allowPrivilegeEscalation");
    assert_eq!(at(f).0, "k8s/web/deployment.yaml");
    assert_eq!((at(f).1, at(f).2), (43, 39));
}
