//! `hardline conform` on nginx configs: Debian's default `nginx.conf` (with the files it
//! includes) against the built-in baseline, the `add_header` inheritance hole, include
//! problems; and the real nginx as the oracle for what the built-in baseline renders.
//!
//! The daemon tests never skip: without `/usr/sbin/nginx` they fail and say to run
//! `scripts/test`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

const NGINX: &str = "/usr/sbin/nginx";
const HINT: &str =
    "run `scripts/test` (as root it installs nginx-light) instead of calling cargo directly";

/// `tests/fixtures/nginx/<name>`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nginx")
        .join(name)
}

/// Copies the fixture tree `name` into the repository root.
fn copy_fixture(repo: &Repo, name: &str) {
    let root = fixture(name);
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read fixture dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(&root).expect("prefix");
                let dest = repo.path().join(rel);
                std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
                std::fs::copy(&path, dest).expect("copy fixture");
            }
        }
    }
}

const MANIFEST: &str = "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n";
const BUILTIN: &str = include_str!("../../baselines/nginx.yaml");
const TEMPLATE: &str = include_str!("../../templates/nginx.conf.j2");
const RENDER: &str =
    "render:\n  template: nginx.conf.j2\n  target: etc/nginx/nginx.conf\n  format: nginx\n";

/// The built-in baseline turned conform-only over `etc/nginx/nginx.conf`.
fn builtin_conform_only() -> String {
    assert!(
        BUILTIN.contains(RENDER),
        "baselines/nginx.yaml changed its render block"
    );
    BUILTIN.replace(
        RENDER,
        "conform:\n  format: nginx\n  paths: [etc/nginx/nginx.conf]\n",
    )
}

/// `(setting or rule, path, line, column)` of each finding, in report order.
fn summary(findings: &[serde_json::Value]) -> Vec<(String, String, u64, u64)> {
    findings
        .iter()
        .map(|f| {
            let (path, line, col) = at(f);
            let what = f["setting"]
                .as_str()
                .map_or_else(|| f["rule"].as_str().unwrap().to_owned(), str::to_owned);
            (what, path, line, col)
        })
        .collect()
}

fn row(what: &str, path: &str, line: u64, col: u64) -> (String, String, u64, u64) {
    (what.to_owned(), path.to_owned(), line, col)
}

fn message<'a>(findings: &'a [serde_json::Value], setting: &str) -> Vec<&'a str> {
    findings
        .iter()
        .filter(|f| f["setting"] == setting)
        .map(|f| f["message"].as_str().unwrap())
        .collect()
}

#[test]
fn debian_default_config_against_the_builtin_baseline() {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    repo.write("baselines/nginx.yaml", &builtin_conform_only());
    copy_fixture(&repo, "debian");
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let conf = "etc/nginx/nginx.conf";
    // Every include (mime.types, modules-enabled/*.conf, sites-enabled/*) resolves: no
    // invalid-config. Missing settings are reported at the file start, in setting order;
    // Debian sets `user www-data` and `ssl_prefer_server_ciphers on` as the baseline wants,
    // and the built-in `client_header_buffer_size 1k` conforms.
    assert_eq!(
        summary(&findings),
        [
            row("nginx.add_header.Content-Security-Policy", conf, 1, 1),
            row("nginx.add_header.X-Content-Type-Options", conf, 1, 1),
            row("nginx.add_header.X-Frame-Options", conf, 1, 1),
            row("nginx.add_header.X-XSS-Protection", conf, 1, 1),
            row("nginx.client_body_buffer_size", conf, 1, 1),
            row("nginx.client_body_timeout", conf, 1, 1),
            row("nginx.client_header_timeout", conf, 1, 1),
            row("nginx.client_max_body_size", conf, 1, 1),
            row("nginx.keepalive_timeout", conf, 1, 1),
            row("nginx.large_client_header_buffers", conf, 1, 1),
            row("nginx.limit_conn_zone", conf, 1, 1),
            row("nginx.limit_conn", conf, 1, 1),
            row("nginx.send_timeout", conf, 1, 1),
            row("nginx.server_tokens", conf, 1, 1),
            row("nginx.ssl_ciphers", conf, 1, 1),
            row("nginx.ssl_session_tickets", conf, 1, 1),
            row("nginx.ssl_protocols", conf, 33, 2),
        ]
    );
    assert_eq!(
        message(&findings, "nginx.server_tokens"),
        [
            "`nginx.server_tokens` is not set in `etc/nginx/nginx.conf`, and its built-in default is `on`, expected `off`"
        ]
    );
    let tokens = findings
        .iter()
        .find(|f| f["setting"] == "nginx.server_tokens")
        .unwrap();
    assert_eq!(
        tokens["help"],
        "add `server_tokens …;` to the `http` block, with `off`"
    );
    let protocols = findings
        .iter()
        .find(|f| f["setting"] == "nginx.ssl_protocols")
        .unwrap();
    assert_eq!(protocols["severity"], "high");
    assert_eq!(
        protocols["message"],
        "`nginx.ssl_protocols` contains `TLSv1`, `TLSv1.1`, outside the allowed set"
    );
    assert_eq!(
        message(&findings, "nginx.ssl_ciphers"),
        [
            "`nginx.ssl_ciphers` is not set in `etc/nginx/nginx.conf`, and its built-in default contains `HIGH`, `!aNULL`, `!MD5`, outside the allowed set"
        ]
    );
    assert_eq!(
        message(&findings, "nginx.limit_conn_zone"),
        ["`nginx.limit_conn_zone` is not set in `etc/nginx/nginx.conf`"]
    );
}

/// A conform-only baseline over `etc/nginx/nginx.conf` with a few of the built-in settings.
const HEADERS_BASELINE: &str = r#"apiVersion: hardline/v1
kind: Baseline
metadata: {name: web, owner: o}
conform: {format: nginx, paths: [etc/nginx/nginx.conf]}
settings:
  server_tokens: {value: "off", builtin: "on"}
  X-Frame-Options:
    key: add_header X-Frame-Options
    value: DENY
    oneOf: [DENY, SAMEORIGIN]
    severity: high
  X-Content-Type-Options: {key: add_header X-Content-Type-Options, value: nosniff}
  client_max_body_size: {value: 10m, builtin: 1m}
"#;

#[test]
fn a_location_with_its_own_add_header_drops_the_servers_headers() {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    repo.write("baselines/web.yaml", HEADERS_BASELINE);
    copy_fixture(&repo, "debian");
    copy_fixture(&repo, "app");
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let app = "etc/nginx/sites-enabled/app";
    let default = "etc/nginx/sites-enabled/default";
    // The app server sets its headers, `server_tokens off` and `client_max_body_size 10m`;
    // its `location /api/` adds Cache-Control and so loses both security headers. Debian's
    // default server sets none of them.
    assert_eq!(
        summary(&findings),
        [
            row("web.X-Content-Type-Options", app, 27, 3),
            row("web.X-Frame-Options", app, 27, 3),
            row("web.X-Content-Type-Options", default, 21, 1),
            row("web.X-Frame-Options", default, 21, 1),
            row("web.client_max_body_size", default, 21, 1),
            row("web.server_tokens", default, 21, 1),
        ]
    );
    assert_eq!(
        message(&findings, "web.X-Frame-Options"),
        [
            "`web.X-Frame-Options` is not set in `server app.example.com > location /api/`",
            "`web.X-Frame-Options` is not set in `server _`",
        ]
    );
    assert_eq!(findings[1]["severity"], "high");
    assert_eq!(
        findings[1]["help"],
        "set it there, to a value the baseline allows (one of `DENY`, `SAMEORIGIN`)"
    );
    assert_eq!(
        message(&findings, "web.server_tokens"),
        ["`web.server_tokens` is not set in `server _`"]
    );

    // Repeating the headers in the location closes the hole; a weaker value is reported
    // at the directive.
    repo.edit(
        app,
        "\t\tadd_header Cache-Control \"no-store\" always;\n",
        "\t\tadd_header Cache-Control \"no-store\" always;\n\t\tadd_header X-Frame-Options ALLOWALL always;\n\t\tadd_header X-Content-Type-Options nosniff always;\n",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let in_app: Vec<_> = findings.iter().filter(|f| at(f).0 == app).collect();
    assert_eq!(in_app.len(), 1, "{findings:#?}");
    assert_eq!(at(in_app[0]), (app.to_owned(), 28, 3));
    assert_eq!(
        in_app[0]["message"],
        "`web.X-Frame-Options` in `server app.example.com > location /api/` is `ALLOWALL`, not one of `DENY`, `SAMEORIGIN`"
    );
}

#[test]
fn include_problems_are_invalid_config_at_the_include() {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    repo.write(
        "baselines/web.yaml",
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: web, owner: o}\nconform: {format: nginx, paths: [srv/nginx/nginx.conf], root: srv}\nsettings:\n  server_tokens: {value: \"off\"}\n",
    );
    repo.write(
        "srv/nginx/nginx.conf",
        "http {\n    include /nginx/conf.d/*.conf;\n    include ../../../etc/passwd;\n    include /nginx/missing.conf;\n    server {\n        listen 80;\n",
    );
    repo.write(
        "srv/nginx/conf.d/a.conf",
        "server_tokens off;\ninclude loop/b.conf;\n",
    );
    repo.write("srv/nginx/loop/b.conf", "include /nginx/conf.d/a.conf;\n");
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(
        summary(&findings),
        [
            row("invalid-config", "srv/nginx/loop/b.conf", 1, 1),
            row("invalid-config", "srv/nginx/nginx.conf", 3, 5),
            row("invalid-config", "srv/nginx/nginx.conf", 4, 5),
            row("invalid-config", "srv/nginx/nginx.conf", 5, 5),
        ]
    );
    let messages: Vec<&str> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "include loop: `srv/nginx/conf.d/a.conf` → `srv/nginx/loop/b.conf` → `srv/nginx/conf.d/a.conf`",
            "`include ../../../etc/passwd` leads out of the repository",
            "`include /nginx/missing.conf`: cannot read `srv/nginx/missing.conf`: No such file or directory (os error 2)",
            "unexpected end of file: the `server` block is not closed by `}`",
        ]
    );
    // server_tokens is found through the glob include, so it is not reported.
    assert!(findings.iter().all(|f| f["rule"] == "invalid-config"));
}

/// The nginx binary, asserting it is installed.
#[track_caller]
fn nginx() -> &'static Path {
    let nginx = Path::new(NGINX);
    assert!(
        nginx.is_file(),
        "`{NGINX}` is missing: the daemon tests validate rendered configs with the real nginx; {HINT}"
    );
    nginx
}

/// `nginx -t -c config`.
fn nginx_test(config: &Path) -> Run {
    let out = Command::new(nginx())
        .arg("-t")
        .arg("-c")
        .arg(config)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("run nginx");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A copy of the rendered `config` with a TLS server using a fresh self-signed certificate,
/// so that nginx builds an SSL context from the http-level TLS directives (without a TLS
/// server it never hands them to OpenSSL).
fn with_tls_server(repo: &Repo, config: &str) -> PathBuf {
    let openssl = Path::new("/usr/bin/openssl");
    assert!(
        openssl.is_file(),
        "`/usr/bin/openssl` is missing: the TLS daemon test makes a self-signed certificate; {HINT}"
    );
    let (cert, key) = (repo.join("tls/cert.pem"), repo.join("tls/key.pem"));
    std::fs::create_dir_all(repo.join("tls")).expect("mkdir tls");
    let made = Command::new(openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hardline.test",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = format!(
        "\tserver {{\n\t\tlisten 127.0.0.1:8443 ssl;\n\t\tserver_name tls.test;\n\t\tssl_certificate {};\n\t\tssl_certificate_key {};\n\t\treturn 204;\n\t}}\n\n\t# Default server",
        cert.display(),
        key.display()
    );
    let text = repo.read(config);
    assert!(text.contains("\t# Default server"), "{text}");
    let path = format!("{config}.tls");
    repo.write(&path, &text.replacen("\t# Default server", &server, 1));
    repo.join(&path)
}

/// A repository with the built-in nginx baseline and template and one environment.
fn rendering_repo(values: &str) -> Repo {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    repo.write("baselines/nginx.yaml", BUILTIN);
    repo.write("templates/nginx.conf.j2", TEMPLATE);
    repo.write(
        "environments/prod.yaml",
        &format!(
            "apiVersion: hardline/v1\nkind: Environment\nmetadata: {{name: prod}}\noutput: deploy/prod\n{values}"
        ),
    );
    repo
}

#[test]
fn the_rendered_baseline_passes_nginx_t_and_conforms() {
    let repo = rendering_repo(
        "values:\n  nginx:\n    client_max_body_size: 10m\n    add_header.X-Frame-Options: DENY\n    add_header.Content-Security-Policy: \"default-src 'self'; object-src 'none'\"\n    add_header.Strict-Transport-Security: max-age=31536000; includeSubDomains\n",
    );
    repo.run(&["validate"]).assert_code(0);
    repo.run(&["render", "--out", "out"]).assert_code(0);
    let rendered = repo.join("out/prod/etc/nginx/nginx.conf");
    let test = nginx_test(&rendered);
    assert!(
        test.code == 0
            && test.stderr.contains("test is successful")
            && !test.stderr.contains("[warn]"),
        "`nginx -t -c {}` exited {} (want 0, no warnings)\n--- stderr\n{}\n--- config\n{}",
        rendered.display(),
        test.code,
        test.stderr,
        std::fs::read_to_string(&rendered).unwrap_or_default()
    );
    let tls = with_tls_server(&repo, "out/prod/etc/nginx/nginx.conf");
    let test = nginx_test(&tls);
    assert!(
        test.code == 0 && !test.stderr.contains("[warn]"),
        "`nginx -t -c {}` with a TLS server exited {}\n--- stderr\n{}",
        tls.display(),
        test.code,
        test.stderr
    );
    let text = repo.read("out/prod/etc/nginx/nginx.conf");
    for line in [
        "\tserver_tokens off;\n",
        "\tclient_max_body_size 10m;\n",
        "\tssl_protocols TLSv1.2 TLSv1.3;\n",
        "\tadd_header X-Frame-Options \"DENY\" always;\n",
        "\tadd_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;\n",
    ] {
        assert!(text.contains(line), "`{line}` not in\n{text}");
    }

    // Checked in as rendered, the file conforms to the environment's effective values.
    repo.write("deploy/prod/etc/nginx/nginx.conf", &text);
    repo.run(&["check"]).assert_code(0);

    // A hand edit: a location with its own add_header, server_tokens back on.
    repo.edit(
        "deploy/prod/etc/nginx/nginx.conf",
        "\t\treturn 444;\n",
        "\t\tlocation /health {\n\t\t\tadd_header Cache-Control no-store;\n\t\t\treturn 204;\n\t\t}\n\t\treturn 444;\n",
    );
    repo.edit(
        "deploy/prod/etc/nginx/nginx.conf",
        "server_tokens off;",
        "server_tokens on;",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let file = "deploy/prod/etc/nginx/nginx.conf";
    let line = |needle: &str| -> u64 {
        let text = repo.read(file);
        text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
    };
    let headers = line("add_header Cache-Control");
    assert_eq!(
        summary(&findings),
        [
            row("nginx.server_tokens", file, line("server_tokens on"), 2),
            row("nginx.add_header.Content-Security-Policy", file, headers, 4),
            row(
                "nginx.add_header.Strict-Transport-Security",
                file,
                headers,
                4
            ),
            row("nginx.add_header.X-Content-Type-Options", file, headers, 4),
            row("nginx.add_header.X-Frame-Options", file, headers, 4),
            row("nginx.add_header.X-XSS-Protection", file, headers, 4),
        ]
    );
    assert!(
        findings.iter().all(|f| f["environment"] == "prod"),
        "{findings:#?}"
    );
    assert_eq!(
        findings[0]["message"],
        "`nginx.server_tokens` is `on`, expected `off`"
    );
    assert_eq!(
        findings[4]["message"],
        "`nginx.add_header.X-Frame-Options` is not set in `server _ > location /health`"
    );
    // nginx itself accepts the edited file: the hole is one only hardline sees.
    assert_eq!(nginx_test(&repo.join(file)).code, 0);
}

#[test]
fn nginx_rejects_a_value_the_baseline_cannot_type() {
    // keepalive_timeout is free text in the baseline; nginx takes at most two arguments.
    let repo = rendering_repo("values:\n  nginx:\n    keepalive_timeout: 5 5 5\n");
    repo.run(&["render", "--out", "out"]).assert_code(0);
    let test = nginx_test(&repo.join("out/prod/etc/nginx/nginx.conf"));
    assert_eq!(test.code, 1, "{}", test.stderr);
    assert!(
        test.stderr
            .contains("invalid number of arguments in \"keepalive_timeout\" directive"),
        "{}",
        test.stderr
    );
}

#[test]
fn the_repositorys_own_rendered_nginx_configs_pass_nginx_t() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for env in ["dev", "prod"] {
        let config = root.join(format!("deploy/{env}/etc/nginx/nginx.conf"));
        let run = nginx_test(&config);
        assert_eq!(run.code, 0, "nginx -t rejects deploy/{env}: {run:?}");
    }
}
