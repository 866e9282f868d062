//! Hostile and broken input: every run ends with a finding (exit 1) or a one-sentence error
//! (exit 2), points at the exact offending key or value, finishes quickly, never panics, never
//! hangs, never writes anything when it fails, and never leaks a file from outside the
//! repository.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Repo, Run, at, bin, one};

/// A run that takes longer than this is a hang: the process is killed and the test fails.
const HANG: Duration = Duration::from_mins(1);
/// Hostile input must be refused within this time (debug build, two busy cores).
const FAST: Duration = Duration::from_secs(10);
/// Hostile input must be refused within this peak resident memory.
const SMALL_KIB: u64 = 256 * 1024;

/// How long a run took and the most memory it was seen to use.
struct Cost {
    elapsed: Duration,
    peak_kib: u64,
}

/// `VmHWM` (peak resident set) of a live process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `hardline -C <repo> args…` like `Repo::run`, but kills it after [`HANG`], samples
/// its memory, and checks it neither panicked nor died of a signal.
#[track_caller]
fn hl(repo: &Repo, args: &[&str]) -> (Run, Cost) {
    let dir = repo.path().to_str().expect("utf-8 tempdir");
    let mut child = Command::new(bin())
        .arg("-C")
        .arg(dir)
        .args(args)
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env_remove("RAYON_NUM_THREADS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hardline");
    let pid = child.id();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak_kib = peak_kib.max(peak_rss_kib(pid).unwrap_or(0));
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`hardline {}` hung: killed after {HANG:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout thread"),
        stderr: stderr.join().expect("stderr thread"),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stdout.contains("panicked"),
        "`hardline {}` panicked\n{}",
        args.join(" "),
        run.stderr
    );
    assert!(
        matches!(run.code, 0..=2),
        "`hardline {}` died ({status}) instead of exiting 0, 1 or 2\n{}",
        args.join(" "),
        run.stderr
    );
    (run, Cost { elapsed, peak_kib })
}

/// `hardline check --format json`: must exit 1 with findings.
#[track_caller]
fn check_json(repo: &Repo) -> (Vec<serde_json::Value>, Cost) {
    let (run, cost) = hl(repo, &["check", "--format", "json"]);
    run.assert_code(1);
    (run.findings(), cost)
}

/// Every finding with `rule`.
fn all<'a>(findings: &'a [serde_json::Value], rule: &str) -> Vec<&'a serde_json::Value> {
    findings.iter().filter(|f| f["rule"] == rule).collect()
}

/// 1-based line and column (in characters) of the first occurrence of `needle` in a file.
#[track_caller]
fn pos(repo: &Repo, rel: &str, needle: &str) -> (u64, u64) {
    let bytes = std::fs::read(repo.join(rel)).expect("read");
    let text = String::from_utf8_lossy(&bytes);
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in {rel}"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line as u64, column as u64)
}

/// `(path, line, column)` expected for `needle` in `rel`, shifted right by `shift` columns.
#[track_caller]
fn spot(repo: &Repo, rel: &str, needle: &str, shift: u64) -> (String, u64, u64) {
    let (line, column) = pos(repo, rel, needle);
    (rel.to_owned(), line, column + shift)
}

/// A finding message is one lower-case sentence: one line, no trailing period.
#[track_caller]
fn assert_sentence(finding: &serde_json::Value) {
    let message = finding["message"].as_str().expect("message");
    assert!(
        !message.is_empty() && !message.contains('\n') && !message.ends_with('.'),
        "not a one-line sentence: {message:?}"
    );
    assert!(
        !message.contains(" { ") && !message.contains("\":"),
        "debug or JSON text in the message: {message:?}"
    );
}

/// Asserts an exit-2 run: one-sentence error on stderr, nothing on stdout.
#[track_caller]
fn assert_error(run: &Run, needles: &[&str]) {
    run.assert_code(2);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks `{needle}`:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stdout.is_empty(),
        "stdout of a failed run:\n{}",
        run.stdout
    );
}

/// Inserts `line` (with its newline) right after the first line equal to `after`.
#[track_caller]
fn insert_after(repo: &Repo, rel: &str, after: &str, line: &str) {
    repo.edit(rel, &format!("{after}\n"), &format!("{after}\n{line}\n"));
}

const SSHD: &str = "baselines/sshd.yaml";
const DEV: &str = "environments/dev.yaml";
const TEMPLATE: &str = "templates/sshd_config.j2";

// ---------------------------------------------------------------------------------------
// Exit 2: hardline cannot do its job. Nothing is written.
// ---------------------------------------------------------------------------------------

#[test]
fn unknown_flag_is_a_usage_error_naming_the_flag() {
    let repo = Repo::scaffold();
    let before = repo.snapshot();
    for args in [
        &["check", "--frobnicate"][..],
        &["render", "--write", "--frobnicate"],
        &["--fail-on", "urgent", "check"],
    ] {
        let (run, _) = hl(&repo, args);
        run.assert_code(2);
        let flag = if args.contains(&"urgent") {
            "urgent"
        } else {
            "--frobnicate"
        };
        assert!(run.stderr.contains(flag), "{args:?}:\n{}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}:\n{}", run.stdout);
    }
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn no_manifest_says_so_and_hints_init() {
    let repo = Repo::empty();
    repo.write("baselines/sshd.yaml", "not: a repository\n");
    let before = repo.snapshot();
    for args in [
        &["check"][..],
        &["validate"],
        &["render", "--write"],
        &["diff"],
        &["explain", "prod", "sshd.Port"],
        &["check", "--format", "json"],
    ] {
        let (run, _) = hl(&repo, args);
        assert_error(&run, &["no `hardline.yaml`", "hardline init"]);
    }
    assert_eq!(repo.snapshot(), before, "nothing is written");
}

#[test]
fn unknown_environment_lists_the_known_ones() {
    let repo = Repo::scaffold();
    let before = repo.snapshot();
    for args in [
        &["diff", "--env", "nope"][..],
        &["explain", "nope", "sshd.Port"],
        &["render", "--env", "nope"],
        &["render", "--env", "nope", "--write"],
        &["render", "--env", "prod", "--env", "nope", "--write"],
        &["diff", "--env", "nope", "--format", "json"],
    ] {
        let (run, _) = hl(&repo, args);
        assert_error(
            &run,
            &[
                "unknown environment `nope`",
                "known environments: `dev`, `prod`",
            ],
        );
    }
    assert_eq!(repo.snapshot(), before, "nothing is written");
}

#[test]
fn unreadable_template_is_an_error_not_a_hang() {
    // Tests run as root, where `chmod 000` does not stop reads. A FIFO (opening it blocks
    // until a writer comes) and a Unix socket (opening it fails) are unreadable for root too.
    let repo = Repo::scaffold();
    let before = repo.snapshot();
    let fifo = repo.join("templates/pipe.j2");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for args in [&["check"][..], &["validate"], &["render", "--write"]] {
        let (run, cost) = hl(&repo, args);
        assert_error(
            &run,
            &["cannot read `templates/pipe.j2`", "not a regular file"],
        );
        assert!(cost.elapsed < FAST, "{args:?} took {:?}", cost.elapsed);
    }
    std::fs::remove_file(&fifo).expect("rm fifo");
    assert_eq!(repo.snapshot(), before, "nothing is written");

    let socket = std::os::unix::net::UnixListener::bind(repo.join("templates/sock.j2"))
        .expect("bind socket");
    let (run, _) = hl(&repo, &["check"]);
    assert_error(&run, &["cannot read `templates/sock.j2`"]);
    drop(socket);
}

#[test]
fn fifo_where_a_rendered_file_goes_does_not_hang() {
    let repo = Repo::scaffold();
    let target = repo.join("deploy/dev/etc/ssh/sshd_config");
    std::fs::remove_file(&target).expect("rm");
    let made = Command::new("mkfifo")
        .arg(&target)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let (run, cost) = hl(&repo, &["check", "--format", "json"]);
    run.assert_code(1);
    assert!(cost.elapsed < FAST, "check took {:?}", cost.elapsed);
    let findings = run.findings();
    assert_eq!(at(one(&findings, "missing-file")).0, SSHD);
    // --write replaces the FIFO by the rendered file instead of waiting to read it.
    let (run, cost) = hl(&repo, &["render", "--write"]);
    run.assert_code(0);
    assert!(
        cost.elapsed < FAST,
        "render --write took {:?}",
        cost.elapsed
    );
    assert!(target.is_file());
    let (run, _) = hl(&repo, &["check"]);
    run.assert_code(0);
}

// ---------------------------------------------------------------------------------------
// Broken YAML: `invalid-yaml` / `schema` at the exact key or value.
// ---------------------------------------------------------------------------------------

#[test]
fn yaml_syntax_error_points_at_the_offending_character() {
    let repo = Repo::scaffold();
    insert_after(
        &repo,
        SSHD,
        "    max: 65535",
        "    description: port: the listener",
    );
    let (findings, _) = check_json(&repo);
    let f = one(&findings, "invalid-yaml");
    // The second `:` on the line is what YAML cannot accept.
    assert_eq!(at(f), spot(&repo, SSHD, "port: the listener", 4));
    assert_eq!(f["severity"], "high");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("mapping values are not allowed"),
        "{f}"
    );
    assert_sentence(f);
}

#[test]
fn duplicate_key_points_at_the_second_key() {
    let repo = Repo::scaffold();
    // Port already has `severity: low` above `min: 1`.
    repo.edit(
        SSHD,
        "    min: 1\n    max: 65535\n",
        "    min: 1\n    severity: high\n    max: 65535\n",
    );
    let (findings, _) = check_json(&repo);
    let f = one(&findings, "invalid-yaml");
    assert_eq!(
        at(f),
        spot(&repo, SSHD, "    severity: high\n    max: 65535", 4)
    );
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("duplicate") && message.contains("severity"),
        "{f}"
    );
    assert_sentence(f);

    // The same in the manifest.
    let repo = Repo::scaffold();
    repo.edit(
        "hardline.yaml",
        "failOn: medium\n",
        "failOn: medium\nkind: Manifest\n",
    );
    let (findings, _) = check_json(&repo);
    let f = one(&findings, "invalid-yaml");
    let (line, _) = pos(&repo, "hardline.yaml", "failOn: medium\nkind: Manifest");
    assert_eq!(at(f), ("hardline.yaml".to_owned(), line + 1, 1));
}

#[test]
fn schema_violations_point_at_the_key_or_value() {
    let repo = Repo::scaffold();
    repo.edit(
        SSHD,
        "    severity: low\n    min: 1\n",
        "    severity: urgent\n    min: 1\n",
    );
    repo.edit(
        SSHD,
        "    severity: low\n    oneOf: [inet, inet6, any]\n",
        "    lockd: true\n    severity: low\n    oneOf: [inet, inet6, any]\n",
    );
    let (findings, _) = check_json(&repo);
    let schema = super::rules(&findings)
        .iter()
        .filter(|r| *r == "schema")
        .count();
    assert_eq!(schema, 2, "{findings:#?}");
    let urgent = findings
        .iter()
        .find(|f| f["rule"] == "schema" && f["message"].as_str().unwrap().contains("urgent"))
        .expect("finding about `urgent`");
    // The value, not its key or the setting.
    assert_eq!(at(urgent), spot(&repo, SSHD, "urgent", 0));
    let lockd = findings
        .iter()
        .find(|f| f["rule"] == "schema" && f["message"].as_str().unwrap().contains("lockd"))
        .expect("finding about `lockd`");
    // The unknown key itself, not the setting that holds it.
    assert_eq!(at(lockd), spot(&repo, SSHD, "lockd: true", 0));
    assert!(
        lockd["message"]
            .as_str()
            .unwrap()
            .contains("unknown key `lockd`"),
        "{lockd}"
    );
    assert_sentence(urgent);
    assert_sentence(lockd);
}

#[test]
fn billion_laughs_in_an_environment_is_refused_fast() {
    let repo = Repo::scaffold();
    let mut bomb = String::from(
        "vars:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, name) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("  {name}: &{name} [{refs}]\n"));
    }
    repo.edit(DEV, "vars:\n", &bomb);
    let (findings, cost) = check_json(&repo);
    let f = one(&findings, "invalid-yaml");
    let (path, line, _) = at(f);
    assert_eq!(path, DEV);
    let (first, _) = pos(&repo, DEV, "  a: &a");
    assert!(
        (first..first + 9).contains(&line),
        "line {line} is not in the anchors"
    );
    assert!(f["message"].as_str().unwrap().contains("alias"), "{f}");
    assert_sentence(f);
    assert!(cost.elapsed < FAST, "took {:?}", cost.elapsed);
    assert!(cost.peak_kib < SMALL_KIB, "used {} KiB", cost.peak_kib);
}

#[test]
fn nesting_ten_thousand_deep_is_refused() {
    for (style, deep) in [
        (
            "flow",
            format!("deep: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        (
            "flow mapping",
            format!("deep: {}{}\n", "{a: ".repeat(10_000), "}".repeat(10_000)),
        ),
        // Compact block sequences: each `- ` opens a level without O(n²) indentation.
        ("block", format!("deep:\n  {}x\n", "- ".repeat(10_000))),
    ] {
        let repo = Repo::scaffold();
        let text = repo.read(DEV);
        repo.write(DEV, &format!("{text}{deep}"));
        let (findings, cost) = check_json(&repo);
        let f = one(&findings, "invalid-yaml");
        let (path, line, column) = at(f);
        assert_eq!(
            (path.as_str(), line),
            (
                DEV,
                pos(&repo, DEV, "deep:").0 + u64::from(style == "block")
            ),
            "{style}: {f}"
        );
        // Refused at the level past the limit, not at the start of the line.
        assert!(column > 40, "{style}: column {column}");
        assert!(
            f["message"].as_str().unwrap().contains("nesting"),
            "{style}: {f}"
        );
        assert_sentence(f);
        assert!(cost.elapsed < FAST, "{style}: took {:?}", cost.elapsed);
        assert!(
            cost.peak_kib < SMALL_KIB,
            "{style}: used {} KiB",
            cost.peak_kib
        );
    }
}

#[test]
fn huge_files_are_refused_without_reading_them() {
    const SIZE: u64 = 200 * 1024 * 1024;
    for rel in ["baselines/huge.yaml", DEV, "templates/huge.j2"] {
        let repo = Repo::scaffold();
        // Sparse: instant to make, but 200 MB to anyone who reads it.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(repo.join(rel))
            .expect("create");
        file.set_len(SIZE).expect("set_len");
        drop(file);
        let (findings, cost) = check_json(&repo);
        let rule = if rel.starts_with("templates/") {
            "template-error"
        } else {
            "invalid-yaml"
        };
        let f = findings
            .iter()
            .find(|f| f["rule"] == rule && at(f).0 == rel)
            .unwrap_or_else(|| panic!("no `{rule}` finding for {rel}: {findings:#?}"));
        assert_eq!(at(f), (rel.to_owned(), 1, 1), "a whole-file finding");
        assert!(
            f["message"].as_str().unwrap().contains(&SIZE.to_string()),
            "{f}"
        );
        assert_sentence(f);
        assert!(cost.elapsed < FAST, "{rel}: took {:?}", cost.elapsed);
        assert!(
            cost.peak_kib < SMALL_KIB,
            "{rel}: used {} KiB",
            cost.peak_kib
        );
    }
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let repo = Repo::scaffold();
    let mut bytes = std::fs::read(repo.join(SSHD)).expect("read");
    let needle = b"rationale: An explicit port";
    let at_needle = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle");
    let bad = at_needle + b"rationale: An ".len();
    bytes.splice(bad..bad, [0xff, 0xfe]);
    std::fs::write(repo.join(SSHD), &bytes).expect("write");
    let (findings, _) = check_json(&repo);
    let f = one(&findings, "invalid-yaml");
    assert_eq!(at(f), spot(&repo, SSHD, "rationale: An ", 14));
    assert!(f["message"].as_str().unwrap().contains("UTF-8"), "{f}");
    assert_sentence(f);
}

// ---------------------------------------------------------------------------------------
// Templates: runaway loops, undefined names, escapes.
// ---------------------------------------------------------------------------------------

/// Puts `line` into the template after `# Logging` and returns its 1-based line number.
fn template_line(repo: &Repo, line: &str) -> u64 {
    insert_after(repo, TEMPLATE, "# Logging", line);
    pos(repo, TEMPLATE, line).0
}

/// One finding of `rule` per environment, each at `(TEMPLATE, line, column)`.
#[track_caller]
fn assert_per_env(findings: &[serde_json::Value], rule: &str, line: u64, column: Option<u64>) {
    let found = all(findings, rule);
    let envs: Vec<&str> = found
        .iter()
        .map(|f| f["environment"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(envs, ["dev", "prod"], "{findings:#?}");
    for f in found {
        let (path, l, c) = at(f);
        assert_eq!((path.as_str(), l), (TEMPLATE, line), "{f}");
        if let Some(column) = column {
            assert_eq!(c, column, "{f}");
        }
        assert_sentence(f);
    }
    // A template that fails to render does not make its checked-in file "unmanaged".
    assert!(all(findings, "unmanaged-file").is_empty(), "{findings:#?}");
}

#[test]
fn endless_template_loop_runs_out_of_fuel() {
    let repo = Repo::scaffold();
    let line = template_line(
        &repo,
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    );
    let (findings, cost) = check_json(&repo);
    assert_per_env(&findings, "template-error", line, None);
    assert!(cost.elapsed < FAST, "took {:?}", cost.elapsed);
    assert!(cost.peak_kib < SMALL_KIB, "used {} KiB", cost.peak_kib);
}

#[test]
fn recursive_macro_hits_the_recursion_limit() {
    let repo = Repo::scaffold();
    let line = template_line(&repo, "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}");
    let (findings, cost) = check_json(&repo);
    assert_per_env(&findings, "template-error", line, None);
    assert!(
        findings
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("recursion")),
        "{findings:#?}"
    );
    assert!(cost.elapsed < FAST, "took {:?}", cost.elapsed);
}

#[test]
fn runaway_output_is_capped() {
    let repo = Repo::scaffold();
    template_line(
        &repo,
        "{% for i in range(1000) %}{{ \"x\" * 100000 }}{% endfor %}",
    );
    let (findings, cost) = check_json(&repo);
    // minijinja gives write failures no position: the finding is about the whole template.
    assert_per_env(&findings, "template-error", 1, None);
    assert!(cost.elapsed < FAST, "took {:?}", cost.elapsed);
    assert!(cost.peak_kib < SMALL_KIB, "used {} KiB", cost.peak_kib);
}

#[test]
fn undefined_setting_points_at_the_expression() {
    let repo = Repo::scaffold();
    let line = template_line(&repo, "NoSuch {{ settings.NoSuchSetting }}");
    let (findings, _) = check_json(&repo);
    assert_per_env(&findings, "undefined-variable", line, Some(11));
    assert!(
        findings
            .iter()
            .filter(|f| f["rule"] == "undefined-variable")
            .all(|f| f["message"]
                .as_str()
                .unwrap()
                .contains("settings.NoSuchSetting")),
        "{findings:#?}"
    );
}

#[test]
fn include_outside_templates_finds_nothing_and_leaks_nothing() {
    for target in ["../hardline.yaml", "/etc/passwd", "../baselines/sshd.yaml"] {
        let repo = Repo::scaffold();
        let line = template_line(&repo, &format!("{{% include \"{target}\" %}}"));
        let (findings, _) = check_json(&repo);
        let found: Vec<_> = findings.iter().filter(|f| at(f).0 == TEMPLATE).collect();
        assert_eq!(found.len(), 2, "{target}: {findings:#?}");
        for f in found {
            assert_eq!(at(f).1, line, "{target}: {f}");
            assert!(f["message"].as_str().unwrap().contains(target), "{f}");
        }
        for args in [&["render"][..], &["check"], &["render", "--format", "json"]] {
            let (run, _) = hl(&repo, args);
            run.assert_code(1);
            let all_output = format!("{}{}", run.stdout, run.stderr);
            for secret in ["root:x:0:0", "apiVersion: hardline/v1", "kind: Manifest"] {
                assert!(
                    !all_output.contains(secret),
                    "{target}: {args:?} leaked `{secret}`"
                );
            }
        }
    }
}

#[test]
fn symlink_out_of_templates_is_unsafe() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.j2"), "TOP SECRET\n").expect("write");
    let repo = Repo::scaffold();
    std::os::unix::fs::symlink(
        outside.path().join("secret.j2"),
        repo.join("templates/evil.j2"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(outside.path(), repo.join("templates/dir")).expect("symlink");
    std::os::unix::fs::symlink("/etc/passwd", repo.join("templates/passwd.j2")).expect("symlink");
    // A symlink that stays inside templates/ is fine.
    std::os::unix::fs::symlink("sshd_config.j2", repo.join("templates/alias.j2")).expect("symlink");
    let (findings, _) = check_json(&repo);
    let mut unsafe_paths: Vec<(String, u64, u64)> = super::rules(&findings)
        .iter()
        .zip(&findings)
        .filter(|(r, _)| *r == "unsafe-path")
        .map(|(_, f)| at(f))
        .collect();
    unsafe_paths.sort();
    assert_eq!(
        unsafe_paths,
        [
            ("templates/dir".to_owned(), 1, 1),
            ("templates/evil.j2".to_owned(), 1, 1),
            ("templates/passwd.j2".to_owned(), 1, 1),
        ],
        "{findings:#?}"
    );
    for f in all(&findings, "unsafe-path") {
        assert!(f["message"].as_str().unwrap().contains("symlink"), "{f}");
        assert_sentence(f);
    }
    let (run, _) = hl(&repo, &["check"]);
    assert!(!run.stderr.contains("TOP SECRET") && !run.stdout.contains("TOP SECRET"));
    assert!(!run.stderr.contains("root:x:0:0"));
}

// ---------------------------------------------------------------------------------------
// Output paths and writes.
// ---------------------------------------------------------------------------------------

#[test]
fn output_outside_the_repository_is_refused_and_never_written() {
    // Repositories and this directory are siblings under the system temporary directory.
    let outside = tempfile::tempdir().expect("tempdir");
    let name = outside
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let abs = outside.path().join("abs").display().to_string();
    for (output, problem) in [
        (format!("../{name}/out"), "contains a `..` segment"),
        (
            format!("deploy/../../{name}/out"),
            "contains a `..` segment",
        ),
        (abs.clone(), "is absolute"),
    ] {
        let repo = Repo::scaffold();
        assert_eq!(repo.path().parent(), outside.path().parent());
        repo.edit(DEV, "output: deploy/dev", &format!("output: {output}"));
        let before = repo.snapshot();
        let (findings, _) = check_json(&repo);
        let f = one(&findings, "schema");
        assert_eq!(at(f), spot(&repo, DEV, &output, 0), "{output}");
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("`{output}`")) && message.contains(problem),
            "{f}"
        );
        assert_sentence(f);
        let (run, _) = hl(&repo, &["render", "--write"]);
        run.assert_code(1);
        assert_eq!(repo.snapshot(), before, "{output}: nothing is written");
        let written: Vec<_> = std::fs::read_dir(outside.path()).expect("ls").collect();
        assert!(written.is_empty(), "{output}: wrote outside: {written:?}");
    }
}

#[test]
fn output_through_a_symlink_is_unsafe_and_never_written() {
    let outside = tempfile::tempdir().expect("tempdir");
    let repo = Repo::scaffold();
    std::os::unix::fs::symlink(outside.path(), repo.join("deploy/link")).expect("symlink");
    repo.edit(DEV, "output: deploy/dev", "output: deploy/link");
    let (findings, _) = check_json(&repo);
    let f = findings
        .iter()
        .find(|f| f["rule"] == "unsafe-path" && at(f).0 == DEV)
        .unwrap_or_else(|| panic!("no unsafe-path in {DEV}: {findings:#?}"));
    assert_eq!(at(f), spot(&repo, DEV, "deploy/link", 0));
    assert_eq!(f["environment"], "dev");
    assert_sentence(f);
    let before = repo.snapshot();
    let (run, _) = hl(&repo, &["render", "--write"]);
    run.assert_code(1);
    assert_eq!(repo.snapshot(), before);
    let written: Vec<_> = std::fs::read_dir(outside.path()).expect("ls").collect();
    assert!(written.is_empty(), "wrote through the symlink: {written:?}");
}

#[test]
fn failing_render_writes_nothing() {
    let repo = Repo::scaffold();
    // prod alone would render a changed file…
    repo.edit("environments/prod.yaml", "MaxSessions: 4", "MaxSessions: 3");
    // …but dev fails the run (MaxAuthTries allows 1..4).
    repo.edit(DEV, "MaxAuthTries: 3", "MaxAuthTries: 9");
    let before = repo.snapshot();
    let (run, _) = hl(&repo, &["render", "--write", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(
        at(one(&findings, "out-of-bounds")),
        spot(&repo, DEV, "9", 0)
    );
    assert_eq!(
        repo.snapshot(),
        before,
        "render --write wrote despite failing"
    );

    let out = tempfile::tempdir().expect("tempdir");
    let dir = out.path().join("rendered");
    let (run, _) = hl(&repo, &["render", "--out", dir.to_str().unwrap()]);
    run.assert_code(1);
    assert!(!dir.exists(), "render --out wrote despite failing");
    assert_eq!(repo.snapshot(), before);

    // A template error fails the run the same way.
    let repo = Repo::scaffold();
    repo.edit("environments/prod.yaml", "MaxSessions: 4", "MaxSessions: 3");
    template_line(&repo, "{{ settings.NoSuchSetting }}");
    let before = repo.snapshot();
    let (run, _) = hl(&repo, &["render", "--write"]);
    run.assert_code(1);
    assert_eq!(repo.snapshot(), before);
}
