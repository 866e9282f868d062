//! `hardline conform` with the `sshd` format, end to end, and the real OpenSSH server as the
//! oracle: for every config under `tests/fixtures/sshd/` (duplicates where the first value
//! wins, mixed-case keywords, aliases, `Include` with globs, `Match` blocks, `+`/`-`/`^`
//! algorithm lists) `sshd -T` must print the values the format's lookup concluded, globally
//! and for connections (`-C user=…`) that hit `Match` blocks; every config sshd refuses must
//! be a parse problem at the line sshd names.
//!
//! The daemon tests never skip: without `/usr/sbin/sshd`, `/run/sshd` or the host keys they
//! fail and say to run `bash scripts/test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use hardline::conform::sshd::Sshd;
use hardline::conform::{Format, Found, Input, Parsed, RepoReader};
use serde_json::Value;

use super::*;

const SSHD: &str = "/usr/sbin/sshd";
const HINT: &str = "run `bash scripts/test` (as root it installs openssh-server, creates /run/sshd and the host keys) instead of calling cargo directly";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sshd")
}

// ---------------------------------------------------------------------------------------
// The daemon.

/// The sshd binary, after checking that `sshd -T` can run.
#[track_caller]
fn sshd() -> &'static Path {
    let sshd = Path::new(SSHD);
    assert!(
        sshd.is_file(),
        "`{SSHD}` is missing: the sshd conform tests compare hardline's reading of sshd_config with the real OpenSSH server; {HINT}"
    );
    assert!(
        Path::new("/run/sshd").is_dir(),
        "`/run/sshd` is missing: sshd refuses to run without its privilege-separation directory; {HINT}"
    );
    for key in ["rsa", "ecdsa", "ed25519"] {
        let path = format!("/etc/ssh/ssh_host_{key}_key");
        assert!(
            Path::new(&path).is_file(),
            "host key `{path}` is missing, so `sshd -T` cannot load its default host keys; {HINT} (it runs `ssh-keygen -A`)"
        );
    }
    sshd
}

/// Runs sshd with `args`.
fn sshd_run(args: &[&str]) -> Run {
    let out = Command::new(sshd())
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("run sshd");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `sshd -T -f config [-C spec]`: lower-case keyword → every value printed for it.
#[track_caller]
fn dump(config: &Path, connection: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let config = config.to_str().expect("utf-8 path");
    let mut args = vec!["-T", "-f", config];
    if let Some(spec) = connection {
        args.extend(["-C", spec]);
    }
    let run = sshd_run(&args);
    assert!(
        run.code == 0,
        "`sshd {}` exited {}\n{}",
        args.join(" "),
        run.code,
        run.stderr
    );
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in run.stdout.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        out.entry(key.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    out
}

/// Copies `from` (a directory standing for `/`) to `to`, rewriting every `Include` argument
/// to the absolute path under `to` it means (relative ones are relative to `/etc/ssh`), so
/// the real sshd reads the same files hardline reads under its sysroot.
fn copy_for_sshd(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read fixture");
        let root = to.to_str().expect("utf-8");
        let rewritten: Vec<String> = text
            .lines()
            .map(|line| {
                let trimmed = line.trim_start();
                let mut words = trimmed.split_whitespace();
                match words.next() {
                    Some(k) if k.eq_ignore_ascii_case("include") => {
                        let args: Vec<String> = words
                            .take_while(|w| !w.starts_with('#'))
                            .map(|w| {
                                if w.starts_with('/') {
                                    format!("{root}{w}")
                                } else {
                                    format!("{root}/etc/ssh/{w}")
                                }
                            })
                            .collect();
                        format!("Include {}", args.join(" "))
                    }
                    _ => line.to_owned(),
                }
            })
            .collect();
        std::fs::write(&target, rewritten.join("\n") + "\n").expect("write");
    }
}

// ---------------------------------------------------------------------------------------
// The format, through the library (the engine's reader replaced by a directory reader).

/// Parses `<root>/<path>` with `root` as the sysroot.
fn parse(root: &Path, path: &str) -> Parsed {
    let text = std::fs::read_to_string(root.join(path)).expect("read config");
    Sshd.parse(
        &Input {
            path,
            text: &text,
            sysroot: "",
        },
        &RepoReader::new(root.to_path_buf()),
    )
}

/// 1-based line of a problem or value.
fn line_of(parsed: &Parsed, file: usize, offset: usize) -> usize {
    parsed.files[file].1[..offset].matches('\n').count() + 1
}

/// What a connection hitting the `Match` blocks `matching` gets: the first value among
/// those blocks, else the global one (`None`: the compiled-in default).
fn effective(found: &[Found], matching: &[&str]) -> Option<Value> {
    let scoped = found.iter().find_map(|f| match f {
        Found::Value(o) if o.scope.as_deref().is_some_and(|s| matching.contains(&s)) => {
            Some(o.value.clone())
        }
        _ => None,
    });
    scoped.or_else(|| {
        found.iter().find_map(|f| match f {
            Found::Value(o) if o.scope.is_none() => Some(o.value.clone()),
            _ => None,
        })
    })
}

const ALGORITHM_KEYS: &[&str] = &[
    "ciphers",
    "macs",
    "kexalgorithms",
    "hostkeyalgorithms",
    "pubkeyacceptedalgorithms",
    "hostbasedacceptedalgorithms",
    "casignaturealgorithms",
];

/// A value as the lines `sshd -T` prints for it, normalised the way sshd normalises.
fn as_printed(key: &str, value: &Value) -> Vec<String> {
    let lines = match value {
        Value::Array(items) if ALGORITHM_KEYS.contains(&key) => vec![
            items
                .iter()
                .map(|i| i.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(","),
        ],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_owned())
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(name, command)| format!("{name} {}", command.as_str().unwrap_or_default()))
            .collect(),
        Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    };
    lines.iter().map(|l| normalise(key, l)).collect()
}

/// sshd prints `without-password` for `prohibit-password`, seconds for times, upper-case
/// log levels; compare case-insensitively.
fn normalise(key: &str, value: &str) -> String {
    let value = value.to_ascii_lowercase();
    if value == "prohibit-password" {
        return "without-password".to_owned();
    }
    // A bare `MaxStartups n` is `n:30:n`.
    if key == "maxstartups" && !value.contains(':') {
        return format!("{value}:30:{value}");
    }
    if matches!(key, "logingracetime" | "clientaliveinterval") {
        let split = value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len());
        let (n, unit) = value.split_at(split);
        let factor = match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return value,
        };
        if let Ok(n) = n.parse::<u64>() {
            return (n * factor).to_string();
        }
    }
    value
}

/// Compares every value `sshd -T` prints with the lookup's conclusion for a connection
/// hitting `matching`; returns the keys compared.
#[track_caller]
fn agree(
    case: &str,
    parsed: &Parsed,
    printed: &BTreeMap<String, Vec<String>>,
    matching: &[&str],
) -> Vec<String> {
    let mut compared = Vec::new();
    for (key, values) in printed {
        let found = Sshd.lookup(parsed, key);
        let Some(mine) = effective(&found, matching) else {
            continue;
        };
        let theirs: Vec<String> = values.iter().map(|v| normalise(key, v)).collect();
        assert_eq!(
            as_printed(key, &mine),
            theirs,
            "{case} ({matching:?}): `{key}`: hardline concluded {mine}, `sshd -T` prints {values:?}"
        );
        compared.push(key.clone());
    }
    compared
}

/// Parses a fixture tree with hardline and prepares the copy sshd reads.
fn case(name: &str) -> (Parsed, tempfile::TempDir) {
    let root = fixtures().join(name);
    let parsed = parse(&root, "etc/ssh/sshd_config");
    let problems: Vec<String> = parsed.problems.iter().map(|p| p.message.clone()).collect();
    assert!(problems.is_empty(), "{name}: {problems:?}");
    let copy = tempfile::tempdir().expect("tempdir");
    copy_for_sshd(&root, copy.path());
    (parsed, copy)
}

#[track_caller]
fn assert_covers(compared: &[String], wanted: &[&str]) {
    for key in wanted {
        assert!(
            compared.iter().any(|k| k == key),
            "`{key}` was not compared (compared: {compared:?})"
        );
    }
}

#[test]
fn sshd_agrees_first_value_wins_with_aliases_quotes_and_mixed_case() {
    let (parsed, copy) = case("first-wins");
    let printed = dump(&copy.path().join("etc/ssh/sshd_config"), None);
    let compared = agree("first-wins", &parsed, &printed, &[]);
    assert_covers(
        &compared,
        &[
            "permitrootlogin",
            "port",
            "passwordauthentication",
            "kbdinteractiveauthentication",
            "pubkeyauthentication",
            "maxauthtries",
            "loglevel",
            "banner",
            "authorizedkeysfile",
            "acceptenv",
            "allowgroups",
            "clientaliveinterval",
            "logingracetime",
            "x11forwarding",
            "usedns",
            "subsystem",
            "tcpkeepalive",
            "maxstartups",
            "forcecommand",
            "ipqos",
            "persourcenetblocksize",
        ],
    );
}

#[test]
fn sshd_agrees_on_resolved_algorithm_lists() {
    let (parsed, copy) = case("algorithms");
    let config = copy.path().join("etc/ssh/sshd_config");
    let compared = agree("algorithms", &parsed, &dump(&config, None), &[]);
    assert_covers(&compared, ALGORITHM_KEYS);
    let legacy = dump(
        &config,
        Some("user=legacy,host=client.example.com,addr=192.0.2.1"),
    );
    let compared = agree("algorithms", &parsed, &legacy, &["Match User legacy"]);
    assert_covers(&compared, ALGORITHM_KEYS);
    // The lists hardline resolved are the real ones, e.g. `+aes128-cbc` appends to the default.
    assert_eq!(
        legacy["ciphers"],
        [
            "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-cbc"
        ]
    );
}

#[test]
fn sshd_agrees_on_match_blocks_and_globbed_includes() {
    let (parsed, copy) = case("match");
    let config = copy.path().join("etc/ssh/sshd_config");
    let global = agree("match", &parsed, &dump(&config, None), &["Match all"]);
    assert_covers(
        &global,
        &[
            "permitrootlogin",
            "passwordauthentication",
            "allowtcpforwarding",
            "maxauthtries",
            "clientaliveinterval",
            "x11forwarding",
            "maxsessions",
        ],
    );
    let deploy = dump(
        &config,
        Some("user=deploy,host=client.example.com,addr=203.0.113.5"),
    );
    let compared = agree(
        "match",
        &parsed,
        &deploy,
        &["Match User deploy", "Match all"],
    );
    assert_covers(
        &compared,
        &[
            "passwordauthentication",
            "x11forwarding",
            "allowtcpforwarding",
            "maxauthtries",
        ],
    );
    assert_eq!(
        deploy["maxauthtries"],
        ["10"],
        "included inside the Match block"
    );
    let office = dump(
        &config,
        Some("user=alice,host=client.example.com,addr=192.0.2.10"),
    );
    let compared = agree(
        "match",
        &parsed,
        &office,
        &["Match Address 192.0.2.0/24,198.51.100.7", "Match all"],
    );
    assert_covers(&compared, &["permitrootlogin", "allowtcpforwarding"]);
    // Scopes as hardline reports them.
    let scopes: Vec<Option<String>> = Sshd
        .lookup(&parsed, "MaxAuthTries")
        .iter()
        .map(|f| match f {
            Found::Value(o) => o.scope.clone(),
            Found::Missing { scope, .. } => Some(format!("missing in {scope}")),
        })
        .collect();
    assert_eq!(
        scopes,
        [
            None,
            Some("Match Group admins".to_owned()),
            Some("Match User deploy".to_owned())
        ]
    );
}

#[test]
fn sshd_agrees_on_debian_12_stock_config() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(root.path().join("etc/ssh")).expect("mkdir");
    std::fs::copy(
        fixtures().join("debian-12/sshd_config"),
        root.path().join("etc/ssh/sshd_config"),
    )
    .expect("copy");
    let parsed = parse(root.path(), "etc/ssh/sshd_config");
    assert!(parsed.problems.is_empty());
    let copy = tempfile::tempdir().expect("tempdir");
    copy_for_sshd(root.path(), copy.path());
    let printed = dump(&copy.path().join("etc/ssh/sshd_config"), None);
    let compared = agree("debian-12", &parsed, &printed, &[]);
    assert_covers(
        &compared,
        &[
            "kbdinteractiveauthentication",
            "usepam",
            "x11forwarding",
            "printmotd",
            "acceptenv",
            "subsystem",
        ],
    );
}

#[test]
fn every_config_sshd_refuses_is_a_problem_at_the_line_sshd_names() {
    let dir = fixtures().join("rejected");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read rejected/")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let line_re = regex::Regex::new(r"line (\d+)").expect("regex");
    for file in files {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        let run = sshd_run(&["-t", "-f", file.to_str().unwrap()]);
        assert_ne!(run.code, 0, "sshd accepted {name}: {run:?}");
        let sshd_line: usize = line_re
            .captures(&run.stderr)
            .and_then(|c| c[1].parse().ok())
            .unwrap_or_else(|| panic!("{name}: no line in {:?}", run.stderr));
        let parsed = parse(&dir, &name);
        let lines: Vec<(usize, String)> = parsed
            .problems
            .iter()
            .map(|p| {
                (
                    line_of(&parsed, p.site.file, p.site.offset),
                    p.message.clone(),
                )
            })
            .collect();
        assert!(
            lines.iter().any(|(l, _)| *l == sshd_line),
            "{name}: sshd says line {sshd_line} ({}), hardline found {lines:?}",
            run.stderr.trim()
        );
    }
}

#[test]
fn sshd_refuses_an_include_loop_hardline_reports_it() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(root.path().join("etc/ssh")).expect("mkdir");
    std::fs::write(
        root.path().join("etc/ssh/sshd_config"),
        "PermitRootLogin no\nInclude /etc/ssh/loop.conf\n",
    )
    .expect("write");
    std::fs::write(
        root.path().join("etc/ssh/loop.conf"),
        "# includes the main file again\nInclude sshd_config\n",
    )
    .expect("write");
    let copy = tempfile::tempdir().expect("tempdir");
    copy_for_sshd(root.path(), copy.path());
    let run = sshd_run(&[
        "-t",
        "-f",
        copy.path().join("etc/ssh/sshd_config").to_str().unwrap(),
    ]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Too many recursive configuration includes"),
        "{run:?}"
    );
    let parsed = parse(root.path(), "etc/ssh/sshd_config");
    let problems: Vec<(String, usize, String)> = parsed
        .problems
        .iter()
        .map(|p| {
            (
                parsed.files[p.site.file].0.clone(),
                line_of(&parsed, p.site.file, p.site.offset),
                p.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [(
            "etc/ssh/loop.conf".to_owned(),
            2,
            "include loop: `etc/ssh/sshd_config` includes `etc/ssh/loop.conf` includes `etc/ssh/sshd_config`; sshd refuses to start (too many recursive includes)".to_owned()
        )]
    );
}

// ---------------------------------------------------------------------------------------
// The CLI.

/// A repository whose conform-only baseline `sshd` checks `paths` (sysroot `root`) with
/// `settings` (YAML, indented by four spaces).
fn sshd_repo(paths: &str, root: Option<&str>, settings: &str) -> Repo {
    let repo = Repo::empty();
    repo.write(
        "hardline.yaml",
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n",
    );
    let root = root.map_or_else(String::new, |r| format!(", root: {r}"));
    repo.write(
        "baselines/sshd.yaml",
        &format!(
            "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {{name: sshd, owner: o}}\nconform: {{format: sshd, paths: [{paths}]{root}}}\nsettings:\n{settings}"
        ),
    );
    repo
}

/// Copies a fixture tree into the repository under `to`.
fn copy_fixture(repo: &Repo, from: &str, to: &str) {
    let from = fixtures().join(from);
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(&from).expect("prefix");
            let target = Path::new(to).join(rel);
            repo.write(
                target.to_str().expect("utf-8"),
                &std::fs::read_to_string(entry.path()).expect("read"),
            );
        }
    }
}

/// `(path, line, column, setting or rule, message)` of every finding.
fn summary(findings: &[Value]) -> Vec<(String, u64, u64, String, String)> {
    findings
        .iter()
        .map(|f| {
            let (path, line, column) = at(f);
            let what = f["setting"]
                .as_str()
                .unwrap_or_else(|| f["rule"].as_str().unwrap_or_default())
                .to_owned();
            (
                path,
                line,
                column,
                what,
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

const DEBIAN_SETTINGS: &str = "  PermitRootLogin: {value: \"no\", locked: true, severity: critical, builtin: prohibit-password}
  KbdInteractiveAuthentication: {value: \"no\", builtin: \"yes\", severity: high}
  X11Forwarding: {value: \"no\", builtin: \"no\", severity: high}
  PasswordAuthentication: {value: \"no\", locked: true, builtin: \"yes\", severity: critical}
  PermitEmptyPasswords: {value: \"no\", builtin: \"no\", severity: critical}
  UsePAM: {value: \"yes\", builtin: \"no\"}
  PrintMotd: {value: \"no\", builtin: \"yes\"}
  MaxAuthTries: {value: 3, min: 1, max: 4, builtin: 6}
  AcceptEnv: {value: [LANG, \"LC_*\"]}
  Subsystem: {value: {sftp: /usr/lib/openssh/sftp-server}}
";

#[test]
fn debian_12_stock_config_nonconformities_are_exact() {
    let repo = sshd_repo("etc/ssh/sshd_config", None, DEBIAN_SETTINGS);
    repo.write(
        "etc/ssh/sshd_config",
        &std::fs::read_to_string(fixtures().join("debian-12/sshd_config")).expect("read"),
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let path = "etc/ssh/sshd_config".to_owned();
    assert_eq!(
        summary(&findings),
        [
            (
                path.clone(),
                1,
                1,
                "sshd.MaxAuthTries".to_owned(),
                "`sshd.MaxAuthTries` is not set in `etc/ssh/sshd_config`, and its built-in default is `6`, above the maximum `4`".to_owned()
            ),
            (
                path.clone(),
                1,
                1,
                "sshd.PasswordAuthentication".to_owned(),
                "`sshd.PasswordAuthentication` is not set in `etc/ssh/sshd_config`, and its built-in default is `yes`, expected `no`".to_owned()
            ),
            (
                path.clone(),
                1,
                1,
                "sshd.PermitRootLogin".to_owned(),
                "`sshd.PermitRootLogin` is not set in `etc/ssh/sshd_config`, and its built-in default is `prohibit-password`, expected `no`".to_owned()
            ),
            (
                path.clone(),
                90,
                1,
                "sshd.X11Forwarding".to_owned(),
                "`sshd.X11Forwarding` is `yes`, expected `no`".to_owned()
            ),
        ]
    );
    let root = findings
        .iter()
        .find(|f| f["setting"] == "sshd.PermitRootLogin")
        .expect("PermitRootLogin");
    assert_eq!(root["severity"], "critical");
    assert_eq!(
        root["help"],
        "add `PermitRootLogin` to the global section, before any `Match` block, with `no`"
    );
    // Fixing the file the way the help says makes it conform.
    repo.edit(
        "etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\n",
        "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nPasswordAuthentication no\nMaxAuthTries 3\n",
    );
    repo.edit(
        "etc/ssh/sshd_config",
        "X11Forwarding yes",
        "X11Forwarding no",
    );
    repo.run(&["conform"]).assert_code(0);
}

#[test]
fn debian_12_stock_config_against_the_shipped_baseline() {
    // The shipped baseline as a conform-only baseline over a Debian 12 host's file: every
    // setting the file leaves unset is judged by its OpenSSH built-in default.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("baselines/sshd.yaml"))
            .expect("read baseline");
    let start = shipped.find("\nrender:\n").expect("render block") + 1;
    let end = shipped.find("\nsettings:\n").expect("settings") + 1;
    let baseline = format!(
        "{}conform: {{format: sshd, paths: [etc/ssh/sshd_config]}}\n{}",
        &shipped[..start],
        &shipped[end..]
    );
    let repo = Repo::empty();
    repo.write(
        "hardline.yaml",
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n",
    );
    repo.write("baselines/sshd.yaml", &baseline);
    repo.write(
        "etc/ssh/sshd_config",
        &std::fs::read_to_string(fixtures().join("debian-12/sshd_config")).expect("read"),
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let got: Vec<(u64, String)> = run
        .findings()
        .iter()
        .map(|f| {
            (
                at(f).1,
                f["setting"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let at_start = [
        "AllowAgentForwarding",
        "AllowTcpForwarding",
        "AuthenticationMethods",
        "AuthorizedKeysFile",
        "ClientAliveInterval",
        "Compression",
        "DebianBanner",
        "IgnoreUserKnownHosts",
        "KerberosOrLocalPasswd",
        "KexAlgorithms",
        "ListenAddress",
        "LoginGraceTime",
        "MACs",
        "MaxAuthTries",
        "PasswordAuthentication",
        "PermitRootLogin",
        "TCPKeepAlive",
    ];
    let mut want: Vec<(u64, String)> = at_start.iter().map(|s| (1, format!("sshd.{s}"))).collect();
    want.push((115, "sshd.Subsystem".to_owned()));
    assert_eq!(got, want);
}

#[test]
fn a_match_block_weakening_a_setting_is_a_finding_in_its_scope() {
    let repo = sshd_repo(
        "host/etc/ssh/sshd_config",
        Some("host"),
        "  PermitRootLogin: {value: \"no\", locked: true, severity: critical, builtin: prohibit-password}
  PasswordAuthentication: {value: \"no\", locked: true, severity: critical, builtin: \"yes\"}
  X11Forwarding: {value: \"no\", builtin: \"no\"}
  AllowTcpForwarding: {value: \"no\", oneOf: [\"no\", local], builtin: \"yes\"}
  MaxAuthTries: {value: 3, min: 1, max: 4, builtin: 6}
  ClientAliveInterval: {value: 300, min: 1, max: 900, builtin: 0}
",
    );
    copy_fixture(&repo, "match", "host");
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let main = "host/etc/ssh/sshd_config".to_owned();
    let base = "host/etc/ssh/sshd_config.d/10-base.conf".to_owned();
    let deploy = "host/etc/ssh/conf.d/deploy.conf".to_owned();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        summary(&run.findings()),
        [
            (
                deploy.clone(),
                1,
                1,
                s("sshd.AllowTcpForwarding"),
                s(
                    "`sshd.AllowTcpForwarding` in `Match User deploy` is `yes`, not one of `no`, `local`"
                )
            ),
            (
                deploy,
                2,
                1,
                s("sshd.MaxAuthTries"),
                s("`sshd.MaxAuthTries` in `Match User deploy` is `10`, above the maximum `4`")
            ),
            (
                main.clone(),
                9,
                2,
                s("sshd.PasswordAuthentication"),
                s("`sshd.PasswordAuthentication` in `Match User deploy` is `yes`, expected `no`")
            ),
            (
                main.clone(),
                10,
                2,
                s("sshd.X11Forwarding"),
                s("`sshd.X11Forwarding` in `Match User deploy` is `yes`, expected `no`")
            ),
            (
                main,
                15,
                2,
                s("sshd.PermitRootLogin"),
                s(
                    "`sshd.PermitRootLogin` in `Match Address 192.0.2.0/24,198.51.100.7` is `prohibit-password`, expected `no`"
                )
            ),
            (
                base,
                7,
                2,
                s("sshd.MaxAuthTries"),
                s("`sshd.MaxAuthTries` in `Match Group admins` is `6`, above the maximum `4`")
            ),
        ]
    );
}

#[test]
fn a_setting_only_inside_match_does_not_satisfy_the_global_requirement() {
    let repo = sshd_repo(
        "etc/ssh/sshd_config",
        None,
        "  PermitRootLogin: {value: \"no\", locked: true, builtin: prohibit-password}
  PasswordAuthentication: {value: \"no\", locked: true, severity: critical, builtin: \"yes\"}
",
    );
    repo.write(
        "etc/ssh/sshd_config",
        "PermitRootLogin no\n\nMatch User backup\n    PasswordAuthentication no\n",
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(
        summary(&findings),
        [(
            "etc/ssh/sshd_config".to_owned(),
            1,
            1,
            "sshd.PasswordAuthentication".to_owned(),
            "`sshd.PasswordAuthentication` is not set in `the global section`".to_owned()
        )]
    );
    assert_eq!(findings[0]["help"], "set it there, to `no`");
}

#[test]
fn parse_problems_are_invalid_config_at_their_line() {
    let repo = sshd_repo(
        "etc/ssh/sshd_config",
        None,
        "  PermitRootLogin: {value: \"no\", locked: true, builtin: prohibit-password}\n",
    );
    repo.write(
        "etc/ssh/sshd_config",
        "PermitRootLogin no\nPermitRootLogn no\nInclude /etc/ssh/loop.conf\nInclude /etc/ssh/evil.conf\nCiphers aes128-ctr,blowfish-cbc\nMatch User backup\n  Port 2222\n",
    );
    repo.write("etc/ssh/loop.conf", "Include /etc/ssh/loop.conf\n");
    std::os::unix::fs::symlink("/etc/passwd", repo.join("etc/ssh/evil.conf")).expect("symlink");
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let got: Vec<(String, u64, u64, String, String)> = summary(&run.findings());
    let main = "etc/ssh/sshd_config".to_owned();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        got,
        [
            (
                s("etc/ssh/loop.conf"),
                1,
                1,
                s("invalid-config"),
                s(
                    "include loop: `etc/ssh/loop.conf` includes `etc/ssh/loop.conf`; sshd refuses to start (too many recursive includes)"
                )
            ),
            (
                main.clone(),
                2,
                1,
                s("invalid-config"),
                s(
                    "`PermitRootLogn` is not an sshd keyword: sshd refuses to start (bad configuration option)"
                )
            ),
            (
                main.clone(),
                4,
                1,
                s("invalid-config"),
                s(
                    "cannot include `etc/ssh/evil.conf`: `etc/ssh/evil.conf` leads outside the repository through a symlink"
                )
            ),
            (
                main.clone(),
                5,
                1,
                s("invalid-config"),
                format!(
                    "`Ciphers` lists `blowfish-cbc`, which {} does not support: sshd refuses to start",
                    hardline::conform::sshd::OPENSSH
                )
            ),
            (
                main,
                7,
                3,
                s("invalid-config"),
                s(
                    "`Port` is not allowed inside a `Match` block (`Match User backup`): sshd refuses to start"
                )
            ),
        ]
    );
}

#[test]
fn binary_and_garbage_files_are_problems_not_crashes() {
    let repo = sshd_repo(
        "etc/ssh/sshd_config",
        None,
        "  PermitRootLogin: {value: \"no\", locked: true, builtin: prohibit-password}\n",
    );
    let mut garbage = String::from("PermitRootLogin no\nBanner \0\u{1}\u{2}\n\"unterminated\n");
    garbage.push_str(&"x".repeat(200_000));
    repo.write("etc/ssh/sshd_config", &garbage);
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let got: Vec<(u64, String)> = run
        .findings()
        .iter()
        .map(|f| (at(f).1, f["rule"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "invalid-config".to_owned()),
            (2, "invalid-config".to_owned()),
            (3, "invalid-config".to_owned()),
            (4, "invalid-config".to_owned()),
        ]
    );
}

#[test]
fn the_repositorys_own_rendered_sshd_configs_conform() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = run_in(
        root,
        &["-C", root.to_str().unwrap(), "conform", "--format", "json"],
    );
    let sshd_findings: Vec<Value> = run
        .findings()
        .into_iter()
        .filter(|f| {
            f["setting"]
                .as_str()
                .is_some_and(|s| s.starts_with("sshd."))
                || at(f).0.contains("etc/ssh/")
        })
        .collect();
    assert_eq!(sshd_findings, Vec::<Value>::new());
    run.assert_code(0);
}

#[test]
fn a_scaffold_rendered_and_written_conforms() {
    let repo = Repo::scaffold();
    repo.run(&["render", "--write"]).assert_code(0);
    repo.run(&["conform"]).assert_code(0);
    // Weakening a rendered file by hand is caught at the line.
    repo.edit(
        "deploy/prod/etc/ssh/sshd_config",
        "PermitRootLogin no",
        "PermitRootLogin yes",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let f = one(&findings, "nonconformity");
    assert_eq!(f["setting"], "sshd.PermitRootLogin");
    assert_eq!(f["environment"], "prod");
    assert_eq!(
        f["message"],
        "`sshd.PermitRootLogin` is `yes`, expected `no`"
    );
}
