//! The real OpenSSH server is the oracle: every `sshd_config` hardline renders (the scaffold's
//! dev and prod) and every one checked in under this repository's `deploy/` must pass
//! `sshd -t` silently, and `sshd -T` must report the values the baseline asked for.
//!
//! These tests never skip: without sshd, its privilege-separation directory or the host
//! keys the configs name, they fail and say to run `scripts/test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Repo;

const SSHD: &str = "/usr/sbin/sshd";
const HINT: &str = "run `scripts/test` (as root it installs openssh-server, creates /run/sshd and the host keys) instead of calling cargo directly";

/// The sshd binary, after checking everything `sshd -t` needs is in place.
#[track_caller]
fn sshd() -> &'static Path {
    let sshd = Path::new(SSHD);
    assert!(
        sshd.is_file(),
        "`{SSHD}` is missing: the daemon tests validate rendered configs with the real OpenSSH server; {HINT}"
    );
    assert!(
        Path::new("/run/sshd").is_dir(),
        "`/run/sshd` is missing: `sshd -t` refuses to run without its privilege-separation directory; {HINT}"
    );
    sshd
}

/// `sshd` with `args` and `-f config`.
fn sshd_run(flag: &str, config: &Path) -> super::Run {
    let out = Command::new(sshd())
        .arg(flag)
        .arg("-f")
        .arg(config)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("run sshd");
    super::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The directives of an `sshd_config` (`Keyword value…`), comments and blank lines left out.
fn directives(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (key, value) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (key.to_owned(), value.trim().to_owned())
        })
        .collect()
}

/// Runs `sshd -t` (must exit 0 and print nothing) and `sshd -T`, and returns the effective
/// configuration: lower-case keyword → every value sshd reports for it.
#[track_caller]
fn validate(config: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(config)
        .unwrap_or_else(|e| panic!("read {}: {e}", config.display()));
    for (_, key) in directives(&text).iter().filter(|(k, _)| k == "HostKey") {
        assert!(
            Path::new(key).is_file(),
            "host key `{key}` named by {} does not exist, so `sshd -t` cannot load it; {HINT} (it must run `ssh-keygen -A`)",
            config.display()
        );
    }
    let test = sshd_run("-t", config);
    assert!(
        test.code == 0 && test.stderr.is_empty() && test.stdout.is_empty(),
        "`sshd -t -f {}` exited {} (want 0, silent)\n--- stdout\n{}\n--- stderr\n{}",
        config.display(),
        test.code,
        test.stdout,
        test.stderr
    );
    let dump = sshd_run("-T", config);
    assert!(
        dump.code == 0 && dump.stderr.is_empty(),
        "`sshd -T -f {}` exited {}\n--- stderr\n{}",
        config.display(),
        dump.code,
        dump.stderr
    );
    let mut effective: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in dump.stdout.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        effective
            .entry(key.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    effective
}

/// The single value sshd reports for `key`.
#[track_caller]
fn value<'a>(effective: &'a BTreeMap<String, Vec<String>>, key: &str) -> &'a str {
    match effective.get(key).map(Vec::as_slice) {
        Some([one]) => one,
        other => panic!("`sshd -T` reports {other:?} for `{key}`, want one value"),
    }
}

/// Every directive of the file is in force as written: `sshd -T` reports the same value
/// (it lower-cases keywords and adds the port to listen addresses).
#[track_caller]
fn assert_in_force(config: &Path, effective: &BTreeMap<String, Vec<String>>) {
    let text = std::fs::read_to_string(config).expect("read config");
    let port = value(effective, "port").to_owned();
    for (key, written) in directives(&text) {
        // Debian's DebianBanner patch does not list the option in `sshd -T`.
        if key == "DebianBanner" {
            continue;
        }
        let expected = if key == "ListenAddress" && !written.contains(':') {
            format!("{written}:{port}")
        } else {
            written.clone()
        };
        let reported = effective
            .get(&key.to_lowercase())
            .cloned()
            .unwrap_or_default();
        assert!(
            reported.contains(&expected),
            "{}: `{key} {written}` is not in force; `sshd -T` reports {reported:?}",
            config.display()
        );
    }
}

/// The value of the directive `key` in the rendered text.
#[track_caller]
fn rendered(text: &str, key: &str) -> String {
    let found: Vec<String> = directives(text)
        .into_iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(found.len(), 1, "`{key}` lines in\n{text}");
    found[0].clone()
}

/// Renders the scaffold into a temporary directory; returns it and the config of `env`.
fn render_scaffold() -> (Repo, tempfile::TempDir) {
    let repo = Repo::scaffold();
    let out = tempfile::tempdir().expect("tempdir");
    repo.run(&["render", "--out", out.path().to_str().expect("utf-8")])
        .assert_code(0);
    (repo, out)
}

fn config_of(out: &tempfile::TempDir, env: &str) -> PathBuf {
    out.path().join(env).join("etc/ssh/sshd_config")
}

/// The hardened values every environment keeps.
#[track_caller]
fn assert_hardened(effective: &BTreeMap<String, Vec<String>>) {
    for (key, want) in [
        ("permitrootlogin", "no"),
        ("passwordauthentication", "no"),
        ("permitemptypasswords", "no"),
        ("kbdinteractiveauthentication", "no"),
        ("pubkeyauthentication", "yes"),
        ("authenticationmethods", "publickey"),
        ("x11forwarding", "no"),
        ("hostbasedauthentication", "no"),
        ("permituserenvironment", "no"),
    ] {
        assert_eq!(value(effective, key), want, "`sshd -T` {key}");
    }
}

#[test]
fn scaffold_prod_config_passes_sshd_and_is_in_force() {
    let (_repo, out) = render_scaffold();
    let config = config_of(&out, "prod");
    let effective = validate(&config);
    assert_in_force(&config, &effective);
    assert_hardened(&effective);
    assert_eq!(value(&effective, "maxauthtries"), "2");
    assert_eq!(value(&effective, "maxsessions"), "4");
    assert_eq!(value(&effective, "logingracetime"), "20");
    assert_eq!(value(&effective, "allowtcpforwarding"), "no");
    let text = std::fs::read_to_string(&config).expect("read");
    assert_eq!(
        value(&effective, "ciphers"),
        "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com"
    );
    for (written, reported) in [
        ("Ciphers", "ciphers"),
        ("MACs", "macs"),
        ("KexAlgorithms", "kexalgorithms"),
        ("HostKeyAlgorithms", "hostkeyalgorithms"),
    ] {
        assert_eq!(
            value(&effective, reported),
            rendered(&text, written),
            "`sshd -T` {reported} is the rendered {written} list"
        );
    }
}

#[test]
fn scaffold_dev_config_passes_sshd_and_is_in_force() {
    let (_repo, out) = render_scaffold();
    let config = config_of(&out, "dev");
    let effective = validate(&config);
    assert_in_force(&config, &effective);
    assert_hardened(&effective);
    assert_eq!(value(&effective, "maxauthtries"), "3");
    assert_eq!(value(&effective, "loglevel"), "INFO");
    assert_eq!(value(&effective, "clientaliveinterval"), "600");
    assert_eq!(value(&effective, "allowtcpforwarding"), "local");
    let text = std::fs::read_to_string(&config).expect("read");
    assert_eq!(value(&effective, "ciphers"), rendered(&text, "Ciphers"));
    assert_eq!(value(&effective, "macs"), rendered(&text, "MACs"));
}

#[test]
fn checked_in_deploy_configs_pass_sshd() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let mut envs: Vec<PathBuf> = std::fs::read_dir(&deploy)
        .expect("read deploy/")
        .map(|e| e.expect("entry").path())
        .collect();
    envs.sort();
    let names: Vec<String> = envs
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["dev", "prod"],
        "environments under {}",
        deploy.display()
    );
    for env in &envs {
        let config = env.join("etc/ssh/sshd_config");
        let effective = validate(&config);
        assert_in_force(&config, &effective);
        assert_hardened(&effective);
        let tries = if env.ends_with("prod") { "2" } else { "3" };
        assert_eq!(
            value(&effective, "maxauthtries"),
            tries,
            "{}",
            config.display()
        );
    }
}

#[test]
fn sshd_rejects_what_it_should() {
    // The oracle itself works: a config sshd cannot accept fails `sshd -t`.
    sshd();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("sshd_config");
    std::fs::write(&config, "PermitRootLogin maybe\n").expect("write");
    let run = sshd_run("-t", &config);
    assert_ne!(run.code, 0, "sshd accepted a bad config: {run:?}");
    assert!(!run.stderr.is_empty(), "{run:?}");
}
