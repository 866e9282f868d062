//! `hardline check --base REV [--head REV]`: pull-request mode on real git repositories built
//! with git2 (fixed signature and time), findings marked new, existing or fixed.

use super::*;

const SSHD: &str = "deploy/prod/etc/ssh/sshd_config";

/// A git repository around a scaffolded baseline repository, first commit made.
pub(super) fn scaffolded() -> (Repo, git2::Repository) {
    let repo = Repo::scaffold();
    let git = git2::Repository::init(repo.path()).unwrap();
    commit_all(&git, "scaffold");
    (repo, git)
}

/// Commits every change of the working directory (additions, edits, removals) on HEAD.
pub(super) fn commit_all(git: &git2::Repository, message: &str) -> git2::Oid {
    let mut index = git.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree_id = index.write_tree().unwrap();
    commit_tree(git, tree_id, message)
}

fn commit_tree(git: &git2::Repository, tree_id: git2::Oid, message: &str) -> git2::Oid {
    let tree = git.find_tree(tree_id).unwrap();
    let parent = git.head().ok().and_then(|h| h.peel_to_commit().ok());
    // Fixed times: a minute after the parent.
    let seconds = parent
        .as_ref()
        .map_or(1_700_000_000, |p| p.time().seconds() + 60);
    let time = git2::Time::new(seconds, 0);
    let sig = git2::Signature::new("hardline", "ci@example.com", &time).unwrap();
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    git.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// `(rule, path, status)` of every finding.
fn statuses(run: &Run) -> Vec<(String, String, String)> {
    run.findings()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                at(f).0,
                f["status"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn s(rule: &str, path: &str, status: &str) -> (String, String, String) {
    (rule.into(), path.into(), status.into())
}

#[test]
fn drift_introduced_by_the_change_is_new_and_fails_with_fail_on_new() {
    let (repo, _git) = scaffolded();
    repo.edit(SSHD, "X11Forwarding no", "X11Forwarding yes");
    let run = repo.run(&[
        "check",
        "--base",
        "HEAD",
        "--fail-on",
        "new",
        "--format",
        "json",
    ]);
    run.assert_code(1);
    assert_eq!(statuses(&run), [s("drift", SSHD, "new")]);
    // Without a base, `--fail-on new` has nothing to compare with.
    let run = repo.run(&["check", "--fail-on", "new"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--base"), "{}", run.stderr);
}

#[test]
fn drift_fixed_by_the_change_is_fixed_and_never_fails() {
    let (repo, git) = scaffolded();
    repo.edit(SSHD, "X11Forwarding no", "X11Forwarding yes");
    commit_all(&git, "drift");
    repo.run(&["render", "--write"]).assert_code(0);
    for fail_on in ["new", "info"] {
        let run = repo.run(&[
            "check",
            "--base",
            "HEAD",
            "--fail-on",
            fail_on,
            "--format",
            "json",
        ]);
        run.assert_code(0);
        assert_eq!(statuses(&run), [s("drift", SSHD, "fixed")]);
    }
}

#[test]
fn a_finding_already_on_the_base_is_existing_even_when_its_lines_move() {
    let (repo, git) = scaffolded();
    repo.edit(SSHD, "X11Forwarding no", "X11Forwarding yes");
    commit_all(&git, "drift");
    // An unrelated edit above it moves the drifted line and changes the diff.
    let text = repo.read(SSHD);
    repo.write(SSHD, &format!("# managed by hardline\n\n{text}"));
    let run = repo.run(&[
        "check",
        "--base",
        "HEAD",
        "--fail-on",
        "new",
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(statuses(&run), [s("drift", SSHD, "existing")]);
    // A severity threshold counts existing findings too.
    repo.run(&["check", "--base", "HEAD", "--fail-on", "high"])
        .assert_code(1);
}

#[test]
fn a_renamed_file_has_new_findings_and_its_old_path_fixed_ones() {
    let (repo, git) = scaffolded();
    repo.write("deploy/prod/etc/motd", "hello\n");
    commit_all(&git, "motd");
    std::fs::rename(
        repo.join("deploy/prod/etc/motd"),
        repo.join("deploy/prod/etc/issue"),
    )
    .unwrap();
    let run = repo.run(&["check", "--base", "HEAD", "--format", "json"]);
    run.assert_code(0);
    assert_eq!(
        statuses(&run),
        [
            s("unmanaged-file", "deploy/prod/etc/issue", "new"),
            s("unmanaged-file", "deploy/prod/etc/motd", "fixed"),
        ]
    );
}

#[test]
fn head_revision_is_read_from_git_not_from_the_working_directory() {
    let (repo, git) = scaffolded();
    let clean = git
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    repo.edit(SSHD, "X11Forwarding no", "X11Forwarding yes");
    repo.write("deploy/dev/etc/motd", "hi\n");
    let drifted = commit_all(&git, "drift").to_string();
    // The working directory goes back to clean: only the revisions count.
    repo.run(&["render", "--write"]).assert_code(0);
    std::fs::remove_file(repo.join("deploy/dev/etc/motd")).unwrap();
    let run = repo.run(&[
        "check", "--base", &clean, "--head", &drifted, "--format", "json",
    ]);
    run.assert_code(1);
    assert_eq!(
        statuses(&run),
        [
            s("unmanaged-file", "deploy/dev/etc/motd", "new"),
            s("drift", SSHD, "new"),
        ]
    );
    // And the other way round, the drift is fixed.
    let run = repo.run(&[
        "check", "--base", &drifted, "--head", &clean, "--format", "json",
    ]);
    run.assert_code(0);
    // The base is the merge base: `drifted` descends from `clean`, so it is `clean` itself.
    assert_eq!(statuses(&run), []);
}

#[test]
fn detached_head_works() {
    let (repo, git) = scaffolded();
    repo.edit(SSHD, "X11Forwarding no", "X11Forwarding yes");
    let drifted = commit_all(&git, "drift");
    git.set_head_detached(drifted).unwrap();
    let run = repo.run(&[
        "check",
        "--base",
        "HEAD~1",
        "--fail-on",
        "new",
        "--format",
        "json",
    ]);
    run.assert_code(1);
    assert_eq!(statuses(&run), [s("drift", SSHD, "new")]);
}

#[test]
fn unknown_revision_and_no_repository_exit_2_with_what_to_do() {
    let (repo, _git) = scaffolded();
    let run = repo.run(&["check", "--base", "no-such-branch"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("unknown revision `no-such-branch`"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let plain = Repo::scaffold();
    let run = plain.run(&["check", "--base", "main"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("not inside a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clone_without_the_base_asks_for_full_history() {
    let (repo, git) = scaffolded();
    repo.edit(SSHD, "X11Forwarding no", "X11Forwarding yes");
    commit_all(&git, "drift");
    let clone = tempfile::tempdir().unwrap();
    let dest = clone.path().join("shallow");
    let out = Command::new("git")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", repo.path().display()))
        .arg(&dest)
        .output()
        .expect("git clone");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = run_in(
        &dest,
        &["-C", dest.to_str().unwrap(), "check", "--base", "HEAD~1"],
    );
    run.assert_code(2);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
}

#[test]
fn manifest_in_a_subdirectory_with_spaces_and_non_ascii_names() {
    let top = Repo::empty();
    let sub = "baselines repo/sécurité";
    top.run(&["init", sub]).assert_code(0);
    top.write(&format!("{sub}/deploy/prod/etc/notes café.txt"), "x\n");
    top.write("unrelated.txt", "outside the manifest directory\n");
    let git = git2::Repository::init(top.path()).unwrap();
    commit_all(&git, "init");
    std::fs::remove_file(top.join(&format!("{sub}/deploy/prod/etc/notes café.txt"))).unwrap();
    top.edit(
        &format!("{sub}/{SSHD}"),
        "X11Forwarding no",
        "X11Forwarding yes",
    );
    let dir = top.join(sub);
    let run = run_in(
        &dir,
        &[
            "-C",
            dir.to_str().unwrap(),
            "check",
            "--base",
            "HEAD",
            "--format",
            "json",
        ],
    );
    run.assert_code(1);
    assert_eq!(
        statuses(&run),
        [
            s("unmanaged-file", "deploy/prod/etc/notes café.txt", "fixed"),
            s("drift", SSHD, "new"),
        ]
    );
}

#[test]
fn symlinks_in_the_tree_resolve_inside_it_or_are_reported_as_escapes_on_both_sides() {
    let (repo, git) = scaffolded();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("evil.yaml"),
        "apiVersion: hardline/v1\n",
    )
    .unwrap();
    // One overlay linked to another (inside: a duplicate), one leading out of the repository.
    std::os::unix::fs::symlink("prod.yaml", repo.join("environments/alias.yaml")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("evil.yaml"),
        repo.join("environments/evil.yaml"),
    )
    .unwrap();
    let linked = commit_all(&git, "links").to_string();
    let worktree = repo.run(&["check", "--format", "json"]);
    let mut expected: Vec<(String, String, String)> = statuses(&worktree)
        .into_iter()
        .map(|(rule, path, _)| (rule, path, "existing".to_owned()))
        .collect();
    expected.sort();
    assert!(
        expected.contains(&s("duplicate-name", "environments/prod.yaml", "existing"))
            || expected.contains(&s("duplicate-name", "environments/alias.yaml", "existing")),
        "{expected:?}"
    );
    assert!(
        expected.contains(&s("unsafe-path", "environments/evil.yaml", "existing")),
        "{expected:?}"
    );
    // The git side sees exactly what the working directory sees: everything is existing.
    let run = repo.run(&["check", "--base", &linked, "--format", "json"]);
    let mut got = statuses(&run);
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn submodule_and_binary_blob_where_configs_are_expected_are_findings_not_crashes() {
    let (repo, git) = scaffolded();
    let clean = git.head().unwrap().peel_to_commit().unwrap();
    // A commit whose prod sshd_config is a binary blob and whose dev one is a submodule.
    let mut index = git.index().unwrap();
    let binary = git.blob(b"\x7fELF\x00\x00\xff\xfe binary").unwrap();
    let entry = |path: &str, mode: u32, id: git2::Oid| git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    };
    index.add(&entry(SSHD, 0o100_644, binary)).unwrap();
    index
        .remove_path(Path::new("deploy/dev/etc/ssh/sshd_config"))
        .unwrap();
    index
        .add(&entry(
            "deploy/dev/etc/ssh/sshd_config",
            0o160_000,
            clean.id(),
        ))
        .unwrap();
    let tree = index.write_tree().unwrap();
    let odd = commit_tree(&git, tree, "binary and submodule").to_string();
    let run = repo.run(&[
        "check",
        "--base",
        &clean.id().to_string(),
        "--head",
        &odd,
        "--format",
        "json",
    ]);
    run.assert_code(1);
    let findings = run.findings();
    assert!(
        findings.iter().all(|f| f["status"] == "new"),
        "{findings:#?}"
    );
    let messages: Vec<&str> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains(SSHD) && m.contains("not UTF-8")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("submodule")),
        "{messages:#?}"
    );
}
