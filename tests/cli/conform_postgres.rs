//! `hardline conform` on Postgres and sysctl configs: the built-in `postgresql`, `pg_hba`
//! and `sysctl` baselines render files that conform; Debian's default configs against them;
//! includes, last-value-wins, units and every `pg_hba` record at its line; parse problems.
//!
//! The real Postgres 15 server is the oracle: the rendered `postgresql.conf` and
//! `pg_hba.conf` must start a server, and for every parameter the server took from the
//! configuration files (`pg_settings`), and every record it loaded (`pg_hba_file_rules`),
//! hardline must have read the same value at the same file and line — also through
//! `include_dir`, `include_if_exists`, case-insensitive names and units. That test never
//! skips: without the server binaries, `psql`, `openssl` or root it fails and says to run
//! `scripts/test`. Nothing here runs `sysctl -p`: the rendered drop-in is checked by the parser.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hardline::conform::postgresql::{PgHba, Postgresql};
use hardline::conform::value::{boolean, quantity};
use hardline::conform::{Format, Found, Input, Parsed, Reader, RepoReader};

use super::*;

const MANIFEST: &str = "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n";
const CONF: &str = "etc/postgresql/15/main/postgresql.conf";
const HBA: &str = "etc/postgresql/15/main/pg_hba.conf";

fn root_file(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn fixture(rel: &str) -> String {
    root_file(&format!("tests/fixtures/{rel}"))
}

/// A repository with the built-in `postgresql`, `pg_hba` and `sysctl` baselines and their
/// templates, as shipped.
fn builtin_repo() -> Repo {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    for name in ["postgresql", "pg_hba", "sysctl"] {
        let file = format!("baselines/{name}.yaml");
        repo.write(&file, &root_file(&file));
    }
    for name in ["postgresql.conf.j2", "pg_hba.conf.j2", "sysctl.conf.j2"] {
        let file = format!("templates/{name}");
        repo.write(&file, &root_file(&file));
    }
    repo
}

/// The built-in baseline `name` turned conform-only over `paths`.
fn conform_only(repo: &Repo, name: &str, paths: &str) {
    let file = format!("baselines/{name}.yaml");
    let text = repo.read(&file);
    let start = text.find("\nrender:\n").expect("render block") + 1;
    let end = start + text[start..].find("\nsettings:\n").expect("settings");
    let text = format!(
        "{}conform:\n  paths: {paths}\n  format: {}\n{}",
        &text[..start],
        name,
        &text[end + 1..]
    );
    repo.write(&file, &text);
}

/// `(path, line, column, severity, message)` of every finding.
fn summary(run: &Run) -> Vec<(String, u64, u64, String, String)> {
    run.findings()
        .iter()
        .map(|f| {
            let (path, line, column) = at(f);
            (
                path,
                line,
                column,
                f["severity"].as_str().unwrap_or_default().to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn row(
    path: &str,
    line: u64,
    col: u64,
    severity: &str,
    message: &str,
) -> (String, u64, u64, String, String) {
    (
        path.to_owned(),
        line,
        col,
        severity.to_owned(),
        message.to_owned(),
    )
}

#[test]
fn the_built_in_baselines_render_configs_that_conform() {
    let repo = builtin_repo();
    repo.write(
        "environments/prod.yaml",
        "apiVersion: hardline/v1\nkind: Environment\nmetadata: {name: prod}\noutput: deploy/prod\nvalues:\n  pg_hba:\n    networks: [10.0.0.0/8, \"2001:db8::/32\"]\n  postgresql:\n    listen_addresses: localhost,10.0.0.5\n",
    );
    repo.run(&["validate"]).assert_code(0);
    repo.run(&["render", "--write"]).assert_code(0);
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(0);
    assert_eq!(run.findings().len(), 0, "{}", run.stdout);

    let hba = repo.read(&format!("deploy/prod/{HBA}"));
    assert!(
        hba.contains(
            "\nhostssl all             all             10.0.0.0/8              scram-sha-256\n"
        ),
        "{hba}"
    );
    assert!(
        hba.contains("\nlocal   all             all                                     peer\n")
    );
    assert!(!hba.contains("trust") && !hba.contains("md5"));
    let conf = repo.read(&format!("deploy/prod/{CONF}"));
    for line in [
        "listen_addresses = 'localhost,10.0.0.5'\n",
        "password_encryption = 'scram-sha-256'\n",
        "ssl = on\n",
        "ssl_min_protocol_version = 'TLSv1.2'\n",
        "log_line_prefix = '%m [%p]: [%l-1] db=%d,user=%u,app=%a,client=%h '\n",
        "authentication_timeout = 30\n",
    ] {
        assert!(conf.contains(line), "`{line}` not in\n{conf}");
    }
    assert!(
        !conf.lines().any(|l| l.starts_with("include")),
        "no include_dir that could weaken the file"
    );
    let sysctl = repo.read("deploy/prod/etc/sysctl.d/99-hardening.conf");
    let keys = sysctl
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(keys, 49, "{sysctl}");
    assert!(sysctl.contains("\nkernel.kptr_restrict = 2\n"));
    assert!(sysctl.contains("\nnet.ipv4.ip_forward = 0\n"));

    // An environment that forwards (a Kubernetes node) overrides within the allowed values.
    repo.edit(
        "environments/prod.yaml",
        "values:\n",
        "values:\n  sysctl:\n    net.ipv4.ip_forward: 1\n    kernel.kptr_restrict: 0\n",
    );
    let run = repo.run(&["validate", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let f = one(&findings, "out-of-bounds");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("below the minimum `1`"),
        "{f}"
    );
}

#[test]
fn debian_default_postgresql_conf_against_the_built_in_baseline() {
    let repo = builtin_repo();
    conform_only(&repo, "postgresql", &format!("[{CONF}]"));
    conform_only(&repo, "pg_hba", &format!("[{HBA}]"));
    repo.write(CONF, &fixture("postgresql/debian-15-postgresql.conf"));
    repo.write(HBA, &fixture("postgresql/debian-15-pg_hba.conf"));
    let run = repo.run(&["conform", "--format", "json", "--fail-on", "high"]);
    // Debian's defaults miss the logging controls (medium/low) but nothing high or critical:
    // its SCRAM, TLS 1.2 and loopback defaults conform, its pg_hba.conf is peer + SCRAM.
    run.assert_code(0);
    let not_set = |name: &str, builtin: &str, problem: &str| {
        format!(
            "`postgresql.{name}` is not set in `{CONF}`, and its built-in default is `{builtin}`, {problem}"
        )
    };
    assert_eq!(
        summary(&run),
        [
            row(
                CONF,
                1,
                1,
                "medium",
                &not_set("log_connections", "off", "expected `on`")
            ),
            row(
                CONF,
                1,
                1,
                "medium",
                &not_set("log_disconnections", "off", "expected `on`")
            ),
            row(
                CONF,
                1,
                1,
                "medium",
                &not_set("log_statement", "none", "not one of `ddl`, `mod`, `all`")
            ),
            row(
                CONF,
                1,
                1,
                "low",
                &not_set("log_truncate_on_rotation", "off", "expected `on`")
            ),
            row(
                CONF,
                1,
                1,
                "medium",
                &not_set("logging_collector", "off", "expected `on`")
            ),
            row(
                CONF,
                1,
                1,
                "medium",
                &not_set(
                    "ssl_ciphers",
                    "HIGH:MEDIUM:+3DES:!aNULL",
                    "expected `ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH`"
                )
            ),
            row(
                CONF,
                559,
                1,
                "medium",
                "`postgresql.log_line_prefix` is `%m [%p] %q%u@%d `, expected `%m [%p]: [%l-1] db=%d,user=%u,app=%a,client=%h `"
            ),
        ]
    );
}

#[test]
fn includes_units_and_the_last_value_decide() {
    let repo = builtin_repo();
    conform_only(&repo, "postgresql", &format!("[{CONF}]"));
    let debian = fixture("postgresql/debian-15-postgresql.conf");
    assert!(debian.contains("\ninclude_dir = 'conf.d'"));
    // Debian's file, hardened by drop-ins read through its `include_dir = 'conf.d'`.
    repo.write(CONF, &debian);
    repo.write(
        "etc/postgresql/15/main/conf.d/10-hardening.conf",
        "# hardening\nlogging_collector = on\nLog_Connections = yes\nlog_disconnections = true\nlog_statement = 'ddl'\nlog_truncate_on_rotation = 1\nssl_ciphers = 'ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH'\nlog_line_prefix = '%m [%p]: [%l-1] db=%d,user=%u,app=%a,client=%h '\nlog_rotation_age = 1440\ninclude_if_exists 'absent.conf'\ninclude '/etc/postgresql/15/main/local.conf'\n",
    );
    // Read after 10-hardening.conf (name order): weakens two settings again.
    repo.write(
        "etc/postgresql/15/main/conf.d/20-local.conf",
        "password_encryption = md5\nauthentication_timeout = '1.5min'   # too long\n",
    );
    repo.write(
        "etc/postgresql/15/main/local.conf",
        "LOG_STATEMENT = none\nlog_rotation_age = 2h\n",
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    assert_eq!(
        summary(&run),
        [
            row(
                "etc/postgresql/15/main/conf.d/20-local.conf",
                1,
                1,
                "critical",
                "`postgresql.password_encryption` is `md5`, expected `scram-sha-256`"
            ),
            row(
                "etc/postgresql/15/main/conf.d/20-local.conf",
                2,
                1,
                "low",
                "`postgresql.authentication_timeout` is `90`, above the maximum `60` (written `1.5min`)"
            ),
            row(
                "etc/postgresql/15/main/local.conf",
                1,
                1,
                "medium",
                "`postgresql.log_statement` is `none`, not one of `ddl`, `mod`, `all`"
            ),
            row(
                "etc/postgresql/15/main/local.conf",
                2,
                1,
                "low",
                "`postgresql.log_rotation_age` is `2h`, expected `1d`"
            ),
        ]
    );
    let f = &run.findings()[0];
    assert_eq!(f["setting"], "postgresql.password_encryption");
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .starts_with("set `scram-sha-256`; salted, iterated SCRAM-SHA-256 hashes"),
        "{f}"
    );

    // Fixed in place: `1440` (minutes) is `1d`, `60s` is within bounds.
    repo.write("etc/postgresql/15/main/local.conf", "LOG_STATEMENT = mod\n");
    repo.write(
        "etc/postgresql/15/main/conf.d/20-local.conf",
        "password_encryption = 'scram-sha-256'\nauthentication_timeout = 60s\n",
    );
    let run = repo.run(&["conform", "--format", "json"]);
    assert_eq!(summary(&run), []);
    run.assert_code(0);
}

#[test]
fn postgresql_parse_problems_are_invalid_config_at_their_line() {
    let repo = builtin_repo();
    conform_only(&repo, "postgresql", &format!("[{CONF}]"));
    // Absolute includes would map under `srv/`; this file lies outside it, so `..` may not
    // climb out of the repository.
    repo.edit(
        "baselines/postgresql.yaml",
        "  format: postgresql\n",
        "  format: postgresql\n  root: srv\n",
    );
    let rendered = {
        let r = builtin_repo();
        r.write(
            "environments/prod.yaml",
            "apiVersion: hardline/v1\nkind: Environment\nmetadata: {name: prod}\noutput: deploy/prod\n",
        );
        r.run(&["render", "--write"]).assert_code(0);
        r.read(&format!("deploy/prod/{CONF}"))
    };
    let mut text = String::new();
    text.push_str(&rendered);
    text.push_str("listen_addresses = *\nwork_mem = 1.5MB\ninclude 'loop.conf'\ninclude '../../../../../../x.conf'\ninclude 'missing.conf'\n");
    repo.write(CONF, &text);
    repo.write(
        "etc/postgresql/15/main/loop.conf",
        "include 'postgresql.conf'\n",
    );
    let base = rendered.lines().count() as u64;
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let got: Vec<(String, u64, u64, String)> = run
        .findings()
        .iter()
        .map(|f| {
            let (p, l, c) = at(f);
            (p, l, c, f["message"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "etc/postgresql/15/main/loop.conf".to_owned(),
                1,
                1,
                "include loop: `etc/postgresql/15/main/postgresql.conf` is already being read".to_owned()
            ),
            (CONF.to_owned(), base + 1, 20, "syntax error near token `*`".to_owned()),
            (CONF.to_owned(), base + 2, 15, "syntax error near token `MB`".to_owned()),
            (
                CONF.to_owned(),
                base + 4,
                1,
                "included `../../../../../../x.conf` leads out of the repository".to_owned()
            ),
            (
                CONF.to_owned(),
                base + 5,
                1,
                "could not read included file: cannot read `etc/postgresql/15/main/missing.conf`: No such file or directory (os error 2)".to_owned()
            ),
        ]
    );
    assert!(rules(&run.findings()).iter().all(|r| r == "invalid-config"));
}

const BAD_HBA: &str = "\
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             postgres                                peer
local   all             all                                     trust
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 md5
host    all             all             0.0.0.0/0               scram-sha-256
hostssl all             all             10.0.0.0 255.0.0.0      cert clientcert=verify-full
hostssl all             all             0.0.0.0/0               password
host    replication     all             samenet \\
        scram-sha-256
hostnossl all           all             192.168.1.0/24          scram-sha-256
";

#[test]
fn every_pg_hba_record_is_checked_at_its_line() {
    let repo = builtin_repo();
    conform_only(&repo, "pg_hba", &format!("[{HBA}]"));
    repo.write(HBA, BAD_HBA);
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    assert_eq!(
        summary(&run),
        [
            row(
                HBA,
                3,
                1,
                "high",
                "`pg_hba.local_method` in `local all all` is `trust`, not one of `peer`, `scram-sha-256`, `reject`"
            ),
            row(
                HBA,
                3,
                1,
                "critical",
                "`pg_hba.method` in `local all all` is `trust`, not one of `scram-sha-256`, `peer`, `cert`, `reject`"
            ),
            row(
                HBA,
                5,
                1,
                "critical",
                "`pg_hba.method` in `host all all ::1/128` is `md5`, not one of `scram-sha-256`, `peer`, `cert`, `reject`"
            ),
            row(
                HBA,
                6,
                1,
                "high",
                "`pg_hba.networks` in `host all all 0.0.0.0/0` has `0.0.0.0/0`, which does not match `((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])/([89]|[12][0-9]|3[0-2])|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(1[6-9]|[2-9][0-9]|1[01][0-9]|12[0-8])|\\.?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+`"
            ),
            row(
                HBA,
                6,
                1,
                "high",
                "`pg_hba.remote_type` in `host all all 0.0.0.0/0` is `host`, not one of `hostssl`, `hostgssenc`"
            ),
            row(
                HBA,
                8,
                1,
                "critical",
                "`pg_hba.method` in `hostssl all all 0.0.0.0/0` is `password`, not one of `scram-sha-256`, `peer`, `cert`, `reject`"
            ),
            row(
                HBA,
                8,
                1,
                "high",
                "`pg_hba.networks` in `hostssl all all 0.0.0.0/0` has `0.0.0.0/0`, which does not match `((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])/([89]|[12][0-9]|3[0-2])|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(1[6-9]|[2-9][0-9]|1[01][0-9]|12[0-8])|\\.?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+`"
            ),
            row(
                HBA,
                8,
                1,
                "critical",
                "`pg_hba.remote_method` in `hostssl all all 0.0.0.0/0` is `password`, not one of `scram-sha-256`, `cert`"
            ),
            row(
                HBA,
                9,
                1,
                "high",
                "`pg_hba.networks` in `host replication all samenet` has `samenet`, which does not match `((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])/([89]|[12][0-9]|3[0-2])|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(1[6-9]|[2-9][0-9]|1[01][0-9]|12[0-8])|\\.?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+`"
            ),
            row(
                HBA,
                9,
                1,
                "high",
                "`pg_hba.remote_type` in `host replication all samenet` is `host`, not one of `hostssl`, `hostgssenc`"
            ),
            row(
                HBA,
                11,
                1,
                "high",
                "`pg_hba.remote_type` in `hostnossl all all 192.168.1.0/24` is `hostnossl`, not one of `hostssl`, `hostgssenc`"
            ),
        ]
    );
    // Debian's default file conforms: peer locally, SCRAM on the loopback interface only.
    repo.write(HBA, &fixture("postgresql/debian-15-pg_hba.conf"));
    let run = repo.run(&["conform", "--format", "json"]);
    assert_eq!(summary(&run), []);
    run.assert_code(0);
    // An empty file accepts nobody, and says so: every connection would be rejected.
    repo.write(HBA, "# nothing\n");
    let run = repo.run(&["conform", "--format", "json"]);
    assert_eq!(
        summary(&run),
        [row(
            HBA,
            1,
            1,
            "critical",
            &format!("`pg_hba.method` is not set in `{HBA}`")
        )]
    );
}

#[test]
fn pg_hba_problems_and_includes() {
    let repo = builtin_repo();
    conform_only(&repo, "pg_hba", &format!("[{HBA}]"));
    repo.write(
        HBA,
        "local all all peer\nhost all all 127.0.0.1/32 scram-sha-25\nhost all all ::1/128 peer\ninclude_dir hba.d\nHOST all all ::1/128 md5\n",
    );
    repo.write(
        "etc/postgresql/15/main/hba.d/50-app.conf",
        "hostssl app app 10.1.0.0/16 md5\n",
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let got: Vec<(String, u64, String, String)> = run
        .findings()
        .iter()
        .map(|f| {
            let (p, l, _) = at(f);
            (
                p,
                l,
                f["rule"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let app = "etc/postgresql/15/main/hba.d/50-app.conf".to_owned();
    assert_eq!(
        got,
        [
            (app.clone(), 1, "nonconformity".to_owned(), "`pg_hba.method` in `hostssl app app 10.1.0.0/16` is `md5`, not one of `scram-sha-256`, `peer`, `cert`, `reject`".to_owned()),
            (app, 1, "nonconformity".to_owned(), "`pg_hba.remote_method` in `hostssl app app 10.1.0.0/16` is `md5`, not one of `scram-sha-256`, `cert`".to_owned()),
            (HBA.to_owned(), 2, "invalid-config".to_owned(), "invalid authentication method `scram-sha-25`".to_owned()),
            (HBA.to_owned(), 3, "invalid-config".to_owned(), "peer authentication is only supported on local sockets".to_owned()),
            (HBA.to_owned(), 5, "invalid-config".to_owned(), "invalid connection type `HOST`".to_owned()),
        ]
    );
}

#[test]
fn sysctl_files_against_the_built_in_baseline() {
    let repo = builtin_repo();
    conform_only(
        &repo,
        "sysctl",
        "[etc/sysctl.conf, \"etc/sysctl.d/*.conf\"]",
    );
    // Debian's /etc/sysctl.conf is all comments: every setting without a built-in is missing.
    repo.write("etc/sysctl.conf", &fixture("sysctl/debian-12-sysctl.conf"));
    repo.write(
        "etc/sysctl.d/99-hardening.conf",
        &fixture("sysctl/weak-99-hardening.conf"),
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let in_debian = findings
        .iter()
        .filter(|f| at(f).0 == "etc/sysctl.conf")
        .count();
    // Missing settings are reported once, at the file `sysctl --system` applies last
    // (/etc/sysctl.conf): 49 settings, 2 with a conforming built-in default, 4 set by the
    // drop-in.
    assert_eq!(in_debian, 43);
    let dropin: Vec<(u64, String, String)> = findings
        .iter()
        .filter(|f| at(f).0 == "etc/sysctl.d/99-hardening.conf")
        .map(|f| {
            (
                at(f).1,
                f["rule"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // The drop-in has a line sysctl cannot read: its values are still checked where they are,
    // but "not set" findings would only repeat that problem, so there are none at line 1.
    assert!(dropin.iter().all(|(line, _, _)| *line > 1), "{dropin:?}");
    let located: Vec<&(u64, String, String)> = dropin.iter().filter(|(l, _, _)| *l > 1).collect();
    assert_eq!(
        located,
        [
            &(
                4,
                "nonconformity".into(),
                "`sysctl.kernel.kptr_restrict` is `0`, below the minimum `1`".into()
            ),
            &(
                5,
                "nonconformity".into(),
                "`sysctl.net.ipv4.conf.all.rp_filter` is `0`, not one of `1`, `2`".into()
            ),
            &(
                6,
                "nonconformity".into(),
                "`sysctl.kernel.randomize_va_space` is `1`, expected `2`".into()
            ),
            &(
                7,
                "invalid-config".into(),
                "`net.ipv4.tcp_syncookies 1` is not a `key = value` line".into()
            ),
            &(
                8,
                "nonconformity".into(),
                "`sysctl.net.ipv4.ip_forward` is `1`, expected `0`".into()
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// The server as the oracle.

const BIN: &str = "/usr/lib/postgresql/15/bin";
const PSQL: &str = "/usr/bin/psql";
const HINT: &str = "run `scripts/test` (as root it installs postgresql and openssl) instead of calling cargo directly";

/// Runs `program args` as the `postgres` account in `cwd`.
fn as_postgres(cwd: &Path, program: &str, args: &[&str]) -> Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--", program])
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| panic!("run {program} as postgres: {e}; {HINT}"))
}

#[track_caller]
fn ok(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Checks everything the oracle needs is installed, failing with the fix otherwise.
fn require_server() {
    for tool in ["postgres", "initdb", "pg_ctl"] {
        let path = format!("{BIN}/{tool}");
        assert!(
            Path::new(&path).is_file(),
            "`{path}` is missing: the daemon test validates rendered configs with the real PostgreSQL 15 server; {HINT}"
        );
    }
    for tool in [PSQL, "/usr/bin/openssl", "/usr/sbin/runuser"] {
        assert!(Path::new(tool).is_file(), "`{tool}` is missing; {HINT}");
    }
    let id = Command::new("id").arg("-u").output().expect("id -u");
    assert_eq!(
        String::from_utf8_lossy(&id.stdout).trim(),
        "0",
        "the daemon test runs the server as `postgres` through runuser, which needs root; {HINT}"
    );
    let user = Command::new("id")
        .arg("postgres")
        .output()
        .expect("id postgres");
    assert!(user.status.success(), "no `postgres` account; {HINT}");
}

/// What hardline's parser makes of `dir/file`.
fn hardline_parse(format: &dyn Format, dir: &Path, file: &str) -> Parsed {
    let reader = RepoReader::new(dir.to_path_buf());
    let text = reader.read(file).expect("read config");
    let parsed = format.parse(
        &Input {
            path: file,
            text: &text,
            sysroot: "",
        },
        &reader,
    );
    assert!(
        parsed.problems.is_empty(),
        "hardline finds problems in {file}: {:?}",
        parsed.problems
    );
    parsed
}

/// `(value, absolute file, line)` of each value hardline looks up for `key`.
fn hardline_values(
    parsed: &Parsed,
    format: &dyn Format,
    dir: &Path,
    key: &str,
) -> Vec<(String, PathBuf, usize)> {
    format
        .lookup(parsed, key)
        .into_iter()
        .filter_map(|f| match f {
            Found::Value(o) => {
                let (path, text) = &parsed.files[o.site.file];
                let line = text[..o.site.offset].matches('\n').count() + 1;
                Some((
                    o.value.as_str().unwrap_or_default().to_owned(),
                    dir.join(path),
                    line,
                ))
            }
            Found::Missing { .. } => None,
        })
        .collect()
}

/// A running server in a temporary cluster; stopped on drop.
struct Server {
    root: PathBuf,
    conf: PathBuf,
    run: PathBuf,
}

impl Server {
    fn psql(&self, sql: &str) -> Vec<Vec<String>> {
        let run = self.run.to_string_lossy().into_owned();
        let out = as_postgres(
            &self.root,
            PSQL,
            &[
                "-h", &run, "-d", "postgres", "-X", "-A", "-t", "-F", "\u{1f}", "-c", sql,
            ],
        );
        ok(&out, &format!("psql -c {sql}"))
            .lines()
            .map(|l| l.split('\u{1f}').map(str::to_owned).collect())
            .collect()
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let conf = self.conf.to_string_lossy().into_owned();
        let log = self.root.join("server.log").to_string_lossy().into_owned();
        let mut all = vec!["-D", conf.as_str(), "-l", log.as_str(), "-w", "-t", "60"];
        all.extend_from_slice(args);
        as_postgres(&self.root, &format!("{BIN}/pg_ctl"), &all)
    }

    #[track_caller]
    fn start(&self, verb: &str) {
        let out = self.pg_ctl(&[verb, "-o", "-c listen_addresses=''"]);
        if !out.status.success() {
            let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
            panic!(
                "the server refused the rendered configuration (`pg_ctl {verb}`: {})\n--- server log\n{log}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-m", "immediate", "stop"]);
    }
}

fn chown_postgres(path: &Path) {
    let out = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(path)
        .output()
        .expect("chown");
    ok(&out, "chown");
}

/// Every parameter the server took from the configuration files has, in hardline's reading
/// of `postgresql.conf`, the same value (units normalised) from the same file and line.
#[track_caller]
fn assert_settings_agree(server: &Server) -> usize {
    let parsed = hardline_parse(&Postgresql, &server.conf, "postgresql.conf");
    let rows = server.psql(
        "SELECT name, setting, coalesce(unit, ''), sourcefile, sourceline FROM pg_settings WHERE source = 'configuration file' ORDER BY name",
    );
    for row in &rows {
        let [name, setting, unit, file, line] = row.as_slice() else {
            panic!("unexpected pg_settings row {row:?}");
        };
        let ours = hardline_values(&parsed, &Postgresql, &server.conf, name);
        let [(value, our_file, our_line)] = ours.as_slice() else {
            panic!(
                "hardline finds {ours:?} for `{name}`, the server `{setting}` from {file}:{line}"
            );
        };
        assert_eq!(
            (our_file.to_string_lossy().as_ref(), our_line.to_string()),
            (file.as_str(), line.clone()),
            "`{name}`: hardline and the server read it from different places"
        );
        let same = if name == "log_file_mode" {
            u32::from_str_radix(value, 8).ok() == u32::from_str_radix(setting, 8).ok()
        } else if !unit.is_empty() {
            let (factor, unit) = match unit.as_str() {
                "8kB" => (8.0, "kB"),
                other => (1.0, other),
            };
            let theirs = quantity(&format!("{setting}{unit}")).map(|q| q * factor);
            let ours = quantity(value);
            matches!((ours, theirs), (Some(a), Some(b)) if (a - b).abs() < 1e-9)
        } else if let (Some(a), Some(b)) = (boolean(value), boolean(setting)) {
            a == b
        } else {
            // The server canonicalises some strings (`iso, mdy` is shown as `ISO, MDY`).
            value.eq_ignore_ascii_case(setting)
        };
        assert!(
            same,
            "`{name}`: hardline reads `{value}`, the server `{setting}` (unit `{unit}`) from {file}:{line}"
        );
    }
    rows.len()
}

/// Every record the server loaded from `pg_hba.conf` is one hardline reads, at the same line,
/// with the same type, method and address; no record has an error.
#[track_caller]
fn assert_hba_agrees(server: &Server) -> usize {
    let parsed = hardline_parse(&PgHba, &server.conf, "pg_hba.conf");
    let rows = server.psql(
        "SELECT line_number, type, auth_method, coalesce(address, ''), coalesce(netmask, ''), coalesce(error, '') FROM pg_hba_file_rules ORDER BY line_number",
    );
    let types = hardline_values(&parsed, &PgHba, &server.conf, "type");
    let methods = hardline_values(&parsed, &PgHba, &server.conf, "method");
    assert_eq!(
        rows.len(),
        types.len(),
        "records: server {rows:?}, hardline {types:?}"
    );
    for (i, row) in rows.iter().enumerate() {
        let [line, kind, method, address, netmask, error] = row.as_slice() else {
            panic!("unexpected pg_hba_file_rules row {row:?}");
        };
        assert_eq!(error, "", "the server rejects pg_hba.conf line {line}");
        assert_eq!(
            (types[i].2.to_string(), types[i].0.as_str()),
            (line.clone(), kind.as_str())
        );
        assert_eq!(methods[i].0, *method, "line {line}");
        if !address.is_empty() && netmask.is_empty() {
            // Host names and keywords (`samenet`, `.example.com`) are shown as written.
            let ours = hardline_values(&parsed, &PgHba, &server.conf, "address");
            assert!(
                ours.iter()
                    .any(|(a, _, l)| a == address && l.to_string() == *line),
                "line {line}: the server has address `{address}`, hardline {ours:?}"
            );
        } else if !address.is_empty() {
            let ours = PgHba
                .lookup(&parsed, "address")
                .into_iter()
                .filter_map(|f| match f {
                    Found::Value(o) => Some(o),
                    Found::Missing { .. } => None,
                })
                .find(|o| {
                    let text = &parsed.files[o.site.file].1;
                    (text[..o.site.offset].matches('\n').count() + 1).to_string() == *line
                })
                .expect("hardline reads the address");
            let ours = ours.value.as_str().unwrap().to_owned();
            let (ip, prefix) = ours.split_once('/').expect("a CIDR address");
            let mask: std::net::IpAddr = netmask.parse().expect("netmask");
            let bits = match mask {
                std::net::IpAddr::V4(m) => u32::from(m).leading_ones(),
                std::net::IpAddr::V6(m) => u128::from(m).leading_ones(),
            };
            assert_eq!(
                (ip, prefix),
                (address.as_str(), bits.to_string().as_str()),
                "line {line}"
            );
        }
    }
    rows.len()
}

#[test]
fn postgres_accepts_the_rendered_configs_and_reads_them_as_hardline_does() {
    require_server();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).expect("chmod tempdir");
    let conf = root.join("conf");
    let run_dir = root.join("run");
    let data = root.join("data");
    std::fs::create_dir_all(&conf).expect("mkdir conf");
    std::fs::create_dir_all(&run_dir).expect("mkdir run");
    chown_postgres(&root);
    let p = |path: &Path| path.to_string_lossy().into_owned();
    ok(
        &as_postgres(
            &root,
            &format!("{BIN}/initdb"),
            &["-D", &p(&data), "-A", "peer", "-U", "postgres", "--no-sync"],
        ),
        "initdb",
    );
    let cert = Command::new("/usr/bin/openssl")
        .args([
            "req",
            "-new",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-newkey", "rsa:2048", "-keyout"])
        .arg(conf.join("server.key"))
        .arg("-out")
        .arg(conf.join("server.crt"))
        .output()
        .expect("openssl");
    ok(&cert, "openssl req");
    chown_postgres(&conf);
    std::fs::set_permissions(
        conf.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod key");

    // Render with the built-in baselines; only paths differ from the defaults.
    let repo = builtin_repo();
    repo.write(
        "environments/oracle.yaml",
        &format!(
            "apiVersion: hardline/v1\nkind: Environment\nmetadata: {{name: oracle}}\noutput: deploy/oracle\nbaselines: [postgresql, pg_hba]\nvalues:\n  postgresql:\n    data_directory: {data}\n    hba_file: {conf}/pg_hba.conf\n    ident_file: {data}/pg_ident.conf\n    external_pid_file: {run}/oracle.pid\n    unix_socket_directories: {run}\n    ssl_cert_file: {conf}/server.crt\n    ssl_key_file: {conf}/server.key\n  pg_hba:\n    networks: [10.0.0.0/8, 192.168.10.0/24, \"2001:db8::/32\", .example.com]\n",
            data = p(&data),
            conf = p(&conf),
            run = p(&run_dir)
        ),
    );
    repo.run(&["validate"]).assert_code(0);
    repo.run(&["render", "--write"]).assert_code(0);
    let conform = repo.run(&["conform", "--format", "json"]);
    conform.assert_code(0);
    assert_eq!(conform.findings().len(), 0, "{}", conform.stdout);
    let deploy = repo.join("deploy/oracle/etc/postgresql/15/main");
    for file in ["postgresql.conf", "pg_hba.conf"] {
        std::fs::copy(deploy.join(file), conf.join(file)).expect("copy rendered file");
    }
    chown_postgres(&conf);

    // `postgres -C` parses the file without starting: minutes, as hardline's `1d` says.
    let dash_c = as_postgres(
        &root,
        &format!("{BIN}/postgres"),
        &["-D", &p(&conf), "-C", "log_rotation_age"],
    );
    assert_eq!(ok(&dash_c, "postgres -C log_rotation_age").trim(), "1440");
    let dash_c = as_postgres(
        &root,
        &format!("{BIN}/postgres"),
        &["-D", &p(&conf), "-C", "password_encryption"],
    );
    assert_eq!(
        ok(&dash_c, "postgres -C password_encryption").trim(),
        "scram-sha-256"
    );

    let server = Server {
        root: root.clone(),
        conf: conf.clone(),
        run: run_dir.clone(),
    };
    server.start("start");
    let settings = assert_settings_agree(&server);
    assert!(
        settings >= 40,
        "only {settings} parameters came from the file"
    );
    let ssl = server.psql("SHOW ssl");
    assert_eq!(ssl, [["on"]]);
    assert_eq!(assert_hba_agrees(&server), 11);

    // Through include_dir (name order), include_if_exists, case-insensitive names and units:
    // the server and hardline still agree, and hardline reports what weakens the baseline
    // where the server reads it.
    let local =
        "include_dir 'conf.d'\ninclude_if_exists 'absent.conf'\nSsl_Ciphers = 'HIGH:!aNULL:!MD5'\n";
    let drop_ins = [
        (
            "conf.d/10-tuning.conf",
            "Log_Rotation_Age = 2880\nauthentication_timeout = '1.5min'\nlog_min_duration_statement = 250\nwork_mem = '1.5MB'\nshared_buffers = 16384\n",
        ),
        (
            "conf.d/20-override.conf",
            "password_encryption = md5   # weak\nlog_statement = 'none'\nLOG_ROTATION_AGE = 1h\n",
        ),
    ];
    for base in [&conf, &deploy] {
        let path = base.join("postgresql.conf");
        let text = std::fs::read_to_string(&path).expect("read conf");
        std::fs::write(&path, format!("{text}{local}")).expect("append");
        for (file, text) in drop_ins {
            std::fs::create_dir_all(base.join("conf.d")).expect("mkdir conf.d");
            std::fs::write(base.join(file), text).expect("write drop-in");
        }
    }
    chown_postgres(&conf);
    server.start("restart");
    assert!(assert_settings_agree(&server) >= 42);
    assert_eq!(
        server
            .psql("SELECT setting, sourceline FROM pg_settings WHERE name = 'password_encryption'"),
        [["md5", "1"]]
    );
    let conf_rel = "deploy/oracle/etc/postgresql/15/main";
    let lines = repo
        .read(&format!("{conf_rel}/postgresql.conf"))
        .lines()
        .count() as u64;
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let got: Vec<(String, u64, String)> = run
        .findings()
        .iter()
        .map(|f| {
            let (path, line, _) = at(f);
            (
                path,
                line,
                f["setting"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                format!("{conf_rel}/conf.d/10-tuning.conf"),
                2,
                "postgresql.authentication_timeout".to_owned()
            ),
            (
                format!("{conf_rel}/conf.d/20-override.conf"),
                1,
                "postgresql.password_encryption".to_owned()
            ),
            (
                format!("{conf_rel}/conf.d/20-override.conf"),
                2,
                "postgresql.log_statement".to_owned()
            ),
            (
                format!("{conf_rel}/conf.d/20-override.conf"),
                3,
                "postgresql.log_rotation_age".to_owned()
            ),
            (
                format!("{conf_rel}/postgresql.conf"),
                lines,
                "postgresql.ssl_ciphers".to_owned()
            ),
        ]
    );

    // pg_hba.conf is read afresh by pg_hba_file_rules: weakened records are found at the
    // lines where the server has them.
    for base in [&conf, &deploy] {
        let path = base.join("pg_hba.conf");
        let text = std::fs::read_to_string(&path).expect("read hba");
        std::fs::write(
            &path,
            format!("{text}host all all 0.0.0.0 0.0.0.0 md5\nlocal \"all\" all trust\nhostnossl all \\\n  all 172.16.0.0/12 scram-sha-256\n"),
        )
        .expect("append hba");
    }
    chown_postgres(&conf);
    let records = assert_hba_agrees(&server);
    assert_eq!(records, 14);
    let hba_lines = repo
        .read(&format!("{conf_rel}/pg_hba.conf"))
        .lines()
        .count() as u64;
    let run = repo.run(&["conform", "--format", "json"]);
    let hba: Vec<(u64, String)> = run
        .findings()
        .iter()
        .filter(|f| at(f).0.ends_with("pg_hba.conf"))
        .map(|f| {
            (
                at(f).1,
                f["setting"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let (a, b, c) = (hba_lines - 3, hba_lines - 2, hba_lines - 1);
    assert_eq!(
        hba,
        [
            (a, "pg_hba.method".to_owned()),
            (a, "pg_hba.networks".to_owned()),
            (a, "pg_hba.remote_method".to_owned()),
            (a, "pg_hba.remote_type".to_owned()),
            (b, "pg_hba.local_method".to_owned()),
            (b, "pg_hba.method".to_owned()),
            (c, "pg_hba.remote_type".to_owned()),
        ]
    );
    drop(server);
}
