//! `hardline render`: stdout, --out, --write; atomic, confined, all-or-nothing.

use std::os::unix::fs::PermissionsExt;

use super::*;

#[test]
fn render_prints_every_environment() {
    let repo = Repo::scaffold();
    let run = repo.run(&["render"]);
    run.assert_code(0);
    let dev = repo.read("deploy/dev/etc/ssh/sshd_config");
    let prod = repo.read("deploy/prod/etc/ssh/sshd_config");
    assert_eq!(
        run.stdout,
        format!(
            "==> deploy/dev/etc/ssh/sshd_config <==\n{dev}\n==> deploy/prod/etc/ssh/sshd_config <==\n{prod}"
        )
    );
    assert!(
        dev.ends_with("internal-sftp -l INFO -f LOCAL6 -u 0027\n"),
        "trailing newline kept"
    );
}

#[test]
fn render_out_writes_one_tree_per_environment() {
    let repo = Repo::scaffold();
    let run = repo.run(&["render", "--out", "out", "--env", "prod"]);
    run.assert_code(0);
    assert_eq!(
        repo.read("out/prod/etc/ssh/sshd_config"),
        repo.read("deploy/prod/etc/ssh/sshd_config")
    );
    assert!(!repo.join("out/dev").exists());
    let mode = std::fs::metadata(repo.join("out/prod/etc/ssh/sshd_config"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o644,
        "new files are world-readable configs, not 0600 temp files"
    );
}

#[test]
fn overlay_maps_merge_deeply_and_lists_replace() {
    let repo = Repo::empty();
    repo.write(
        "hardline.yaml",
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n",
    );
    repo.write(
        "baselines/app.yaml",
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: app, owner: o}\nrender: {template: app.j2, target: app.json}\nsettings:\n  limits: {value: {cpu: 1, mem: 512, tags: [a, b]}}\n",
    );
    repo.write(
        "templates/app.j2",
        "{{ settings.limits | tojson }}\n{% for k, v in settings | items %}{{ k }}={{ v.mem }}{% endfor %} {{ settings | length }}\n",
    );
    repo.write(
        "environments/prod.yaml",
        "apiVersion: hardline/v1\nkind: Environment\nmetadata: {name: prod}\noutput: deploy/prod\nvalues:\n  app:\n    limits: {mem: 1024, tags: [c]}\n",
    );
    let run = repo.run(&["render"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        "==> deploy/prod/app.json <==\n{\"cpu\": 1, \"mem\": 1024, \"tags\": [\"c\"]}\nlimits=1024 1\n"
    );
}

#[test]
fn a_failing_render_writes_nothing() {
    let repo = Repo::scaffold();
    repo.edit(
        "deploy/prod/etc/ssh/sshd_config",
        "MaxAuthTries 2",
        "MaxAuthTries 6",
    );
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 9",
    );
    let before = repo.snapshot();
    let run = repo.run(&["render", "--write"]);
    run.assert_code(1);
    assert!(run.stdout.contains("out-of-bounds"), "{}", run.stdout);
    assert_eq!(before, repo.snapshot());
    let run = repo.run(&["render", "--out", "out"]);
    run.assert_code(1);
    assert!(!repo.join("out").exists());
}

#[test]
fn render_write_refuses_a_target_behind_a_symlink_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    let repo = Repo::scaffold();
    std::fs::remove_dir_all(repo.join("deploy/prod/etc")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.join("deploy/prod/etc")).unwrap();
    let run = repo.run(&["render", "--write"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "wrote outside the root"
    );
}

#[test]
fn json_and_yaml_templates_are_not_auto_escaped() {
    let repo = Repo::empty();
    repo.write(
        "hardline.yaml",
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n",
    );
    repo.write(
        "baselines/docker.yaml",
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: docker, owner: o}\nrender: {template: daemon.json.j2, target: daemon.json}\nsettings:\n  log-driver: {value: json-file}\n",
    );
    repo.write(
        "templates/daemon.json.j2",
        "{\"log-driver\": \"{{ settings['log-driver'] }}\"}\n",
    );
    repo.write(
        "environments/prod.yaml",
        "apiVersion: hardline/v1\nkind: Environment\nmetadata: {name: prod}\noutput: deploy/prod\n",
    );
    let run = repo.run(&["render"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        "==> deploy/prod/daemon.json <==\n{\"log-driver\": \"json-file\"}\n"
    );
}
