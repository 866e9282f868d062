//! `hardline conform` on structured files: Kubernetes manifests against the built-in
//! `k8s-pss` baseline, Docker's daemon.json against the built-in `docker` baseline (dockerd
//! itself is the oracle for what hardline renders), and TOML, INI and env files.
//!
//! The dockerd tests never skip: without dockerd they fail and say to run `scripts/test`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

const MANIFEST: &str = "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: t}\n";
const PSS: &str = include_str!("../../baselines/k8s-pss.yaml");
const DOCKER: &str = include_str!("../../baselines/docker.yaml");
const DAEMON_TEMPLATE: &str = include_str!("../../templates/daemon.json.j2");

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A repository with the built-in PSS baseline and `files` (repo path, fixture name).
fn k8s_repo(files: &[(&str, &str)]) -> Repo {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    repo.write("baselines/k8s-pss.yaml", PSS);
    for (path, name) in files {
        repo.write(path, &fixture(name));
    }
    repo
}

/// `(path:line:col, setting or rule, message)` of every finding.
fn summary(findings: &[serde_json::Value]) -> Vec<(String, String, String)> {
    findings
        .iter()
        .map(|f| {
            let (path, line, col) = at(f);
            let what = f["setting"]
                .as_str()
                .or_else(|| f["rule"].as_str())
                .unwrap_or_default();
            (
                format!("{path}:{line}:{col}"),
                what.to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn row(place: &str, what: &str, message: &str) -> (String, String, String) {
    (place.to_owned(), what.to_owned(), message.to_owned())
}

fn not_set(place: &str, setting: &str, scope: &str) -> (String, String, String) {
    row(
        place,
        &format!("k8s-pss.{setting}"),
        &format!("`k8s-pss.{setting}` is not set in `{scope}`"),
    )
}

#[test]
fn a_deployment_without_security_context_is_reported_at_its_container() {
    let repo = k8s_repo(&[("k8s/nginx-deployment.yaml", "k8s/nginx-deployment.yaml")]);
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let scope = "Deployment/nginx-deployment container nginx";
    assert_eq!(
        summary(&findings),
        [
            not_set(
                "k8s/nginx-deployment.yaml:20:9",
                "allowPrivilegeEscalation",
                scope
            ),
            not_set("k8s/nginx-deployment.yaml:20:9", "capabilitiesDrop", scope),
            not_set("k8s/nginx-deployment.yaml:20:9", "runAsNonRoot", scope),
            not_set("k8s/nginx-deployment.yaml:20:9", "seccompProfile", scope),
        ]
    );
    assert!(findings.iter().all(|f| f["severity"] == "high"));
    assert_eq!(
        findings[3]["help"],
        "set it there, to a value the baseline allows (one of `RuntimeDefault`, `Localhost`)"
    );
    // The human report points at the container's line.
    let human = repo.run(&["conform"]);
    assert!(
        human.stdout.contains("20 │       - name: nginx"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_restricted_pod_and_a_service_conform() {
    let repo = k8s_repo(&[("k8s/pod.yml", "k8s/restricted-pod.yaml")]);
    repo.write(
        "k8s/svc/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n",
    );
    repo.write(
        "k8s/svc/config.yaml",
        "# nothing but comments\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(0);
    assert_eq!(summary(&run.findings()), []);
}

#[test]
fn a_cronjob_is_checked_through_its_job_template() {
    let repo = k8s_repo(&[("k8s/cronjob.yaml", "k8s/cronjob.yaml")]);
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    assert_eq!(
        summary(&findings),
        [
            row(
                "k8s/cronjob.yaml:25:41",
                "k8s-pss.allowPrivilegeEscalation",
                "`k8s-pss.allowPrivilegeEscalation` in `CronJob/hello container hello` is `true`, expected `false`"
            ),
            row(
                "k8s/cronjob.yaml:28:22",
                "k8s-pss.capabilitiesAdd",
                "`k8s-pss.capabilitiesAdd` in `CronJob/hello container hello` contains `NET_ADMIN`, outside the allowed set"
            ),
        ]
    );
    // Pod-level runAsNonRoot and seccompProfile cover the container: nothing missing.
}

#[test]
fn in_a_service_and_deployment_file_only_the_deployment_is_checked() {
    let repo = k8s_repo(&[("k8s/web.yaml", "k8s/web.yaml")]);
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let init = "Deployment/web initContainer migrate";
    assert_eq!(
        summary(&findings),
        [
            not_set("k8s/web.yaml:33:11", "allowPrivilegeEscalation", init),
            not_set("k8s/web.yaml:33:11", "capabilitiesDrop", init),
            row(
                "k8s/web.yaml:43:27",
                "k8s-pss.runAsNonRootOverride",
                "`k8s-pss.runAsNonRootOverride` in `Deployment/web container web` is `false`, not one of `true`"
            ),
        ]
    );
}

#[test]
fn a_daemonset_on_the_host_network_with_a_host_path() {
    let repo = k8s_repo(&[("k8s/logging/fluentd.yaml", "k8s/fluentd-daemonset.yaml")]);
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    let path = "k8s/logging/fluentd.yaml";
    let container = "DaemonSet/fluentd-elasticsearch container fluentd-elasticsearch";
    assert_eq!(
        summary(&findings),
        [
            row(
                &format!("{path}:18:20"),
                "k8s-pss.hostNetwork",
                "`k8s-pss.hostNetwork` in `DaemonSet/fluentd-elasticsearch` is `true`, expected `false`"
            ),
            not_set(
                &format!("{path}:24:9"),
                "allowPrivilegeEscalation",
                container
            ),
            not_set(&format!("{path}:24:9"), "capabilitiesDrop", container),
            not_set(&format!("{path}:24:9"), "runAsNonRoot", container),
            not_set(&format!("{path}:24:9"), "seccompProfile", container),
            row(
                &format!("{path}:39:11"),
                "k8s-pss.hostPathVolumes",
                "`k8s-pss.hostPathVolumes` in `DaemonSet/fluentd-elasticsearch volume varlog` is set to `{\"path\":\"/var/log\"}`, but the setting must be absent"
            ),
        ]
    );
    let host_path = findings
        .iter()
        .find(|f| f["setting"] == "k8s-pss.hostPathVolumes")
        .unwrap();
    assert_eq!(host_path["severity"], "critical");
}

#[test]
fn every_document_of_a_mixed_file_is_checked_in_its_own_shape() {
    // A compliant Pod first: its pod-level keys must not hide the Deployment and CronJob.
    let text = format!(
        "{}---\n{}---\n{}",
        fixture("k8s/restricted-pod.yaml"),
        fixture("k8s/nginx-deployment.yaml"),
        fixture("k8s/cronjob.yaml")
    );
    let repo = k8s_repo(&[]);
    repo.write("k8s/all.yaml", &text);
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let places: Vec<(String, String)> = summary(&findings)
        .into_iter()
        .map(|(place, what, _)| (place, what))
        .collect();
    let pod_lines = fixture("k8s/restricted-pod.yaml").lines().count() + 1;
    let deployment_lines = fixture("k8s/nginx-deployment.yaml").lines().count() + 1;
    let nginx = format!("k8s/all.yaml:{}:9", pod_lines + 20);
    let hello = |line: usize| {
        format!(
            "k8s/all.yaml:{}:{}",
            pod_lines + deployment_lines + line,
            if line == 25 { 41 } else { 22 }
        )
    };
    assert_eq!(
        places,
        [
            (nginx.clone(), "k8s-pss.allowPrivilegeEscalation".into()),
            (nginx.clone(), "k8s-pss.capabilitiesDrop".into()),
            (nginx.clone(), "k8s-pss.runAsNonRoot".into()),
            (nginx, "k8s-pss.seccompProfile".into()),
            (hello(25), "k8s-pss.allowPrivilegeEscalation".into()),
            (hello(28), "k8s-pss.capabilitiesAdd".into()),
        ]
    );
}

#[test]
fn broken_manifests_are_invalid_config_never_a_crash() {
    let repo = k8s_repo(&[]);
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (p, n) = (pair[0], pair[1]);
        bomb.push_str(&format!(
            "{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    repo.write("k8s/bomb.yaml", &bomb);
    repo.write(
        "k8s/truncated.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: [{name: a, image: b\n",
    );
    std::fs::write(
        repo.join("k8s/binary.yaml"),
        b"kind: Pod\n\xff\xfe\x00\x01binary",
    )
    .unwrap();
    repo.write(
        "k8s/deep.yaml",
        &format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000)),
    );
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let findings = run.findings();
    assert_eq!(rules(&findings), ["invalid-config"; 4], "{findings:#?}");
    let by_path = |p: &str| {
        findings
            .iter()
            .find(|f| at(f).0 == p)
            .unwrap_or_else(|| panic!("no finding for {p}: {findings:#?}"))
    };
    assert!(
        by_path("k8s/binary.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("not UTF-8")
    );
    assert!(
        by_path("k8s/bomb.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("alias")
    );
    assert!(
        by_path("k8s/deep.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("nesting")
    );
    let truncated = by_path("k8s/truncated.yaml");
    assert_eq!(
        at(truncated),
        ("k8s/truncated.yaml".into(), 6, 16),
        "{truncated}"
    );
    assert_eq!(truncated["message"], "not valid YAML: unclosed bracket '{'");
}

// --- Docker daemon.json -------------------------------------------------------------------

/// A repository with the built-in docker baseline; `conform` adds `etc/docker/daemon.json` to
/// the files it checks.
fn docker_repo(conform: bool) -> Repo {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    let mut baseline = DOCKER.to_owned();
    if conform {
        baseline.push_str("conform:\n  paths: [etc/docker/daemon.json]\n");
    }
    repo.write("baselines/docker.yaml", &baseline);
    repo.write("templates/daemon.json.j2", DAEMON_TEMPLATE);
    repo
}

#[test]
fn a_hand_written_daemon_json_with_icc_enabled() {
    let repo = docker_repo(true);
    repo.write("etc/docker/daemon.json", &fixture("structured/daemon.json"));
    let run = repo.run(&["conform", "--format", "json"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(
        summary(&findings),
        [
            row(
                "etc/docker/daemon.json:1:1",
                "docker.log-max-file",
                "`docker.log-max-file` is not set in `etc/docker/daemon.json`"
            ),
            row(
                "etc/docker/daemon.json:1:1",
                "docker.userns-remap",
                "`docker.userns-remap` is not set in `etc/docker/daemon.json`"
            ),
            row(
                "etc/docker/daemon.json:8:10",
                "docker.icc",
                "`docker.icc` is `true`, expected `false`"
            ),
        ]
    );
    assert_eq!(
        findings[0]["help"],
        "set `/log-opts/max-file`, with a value the baseline allows (matching `[1-9][0-9]*`, required)"
    );
    assert_eq!(
        findings[1]["help"],
        "add the key `userns-remap`, with a value the baseline allows (matching `[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?`, required)"
    );
    assert_eq!(findings[2]["severity"], "high");
    // log-level is absent and its built-in `info` conforms; "100m" is a valid max-size.
    let fixed = fixture("structured/daemon.json")
        .replace(
            "\"icc\": true",
            "\"icc\": false, \"userns-remap\": \"dockremap:dockremap\"",
        )
        .replace(
            "\"max-size\": \"100m\"",
            "\"max-size\": \"100m\", \"max-file\": \"5\"",
        );
    repo.write("etc/docker/daemon.json", &fixed);
    repo.run(&["conform"]).assert_code(0);
    // Without icc the daemon's built-in `true` applies.
    repo.write(
        "etc/docker/daemon.json",
        &fixed.replace("\"icc\": false, ", ""),
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    assert_eq!(
        findings[0]["message"],
        "`docker.icc` is not set in `etc/docker/daemon.json`, and its built-in default is `true`, expected `false`"
    );
}

#[test]
fn broken_daemon_json_is_invalid_config_at_the_place() {
    let repo = docker_repo(true);
    for (text, line, col, what) in [
        (
            "{\n  \"icc\": false,\n  \"log-opts\": {\"max-size\": \"10m\"\n",
            4,
            1,
            "the file ends inside an object",
        ),
        (
            "{\n  icc: false\n}\n",
            2,
            3,
            "expected a member name in double quotes",
        ),
        (
            "{\"icc\": false,}\n",
            1,
            15,
            "expected a member name in double quotes",
        ),
        ("\u{feff}{\"icc\": false}\n", 1, 1, "byte-order mark"),
        (
            "{\"icc\": false, \"icc\": true}\n",
            1,
            16,
            "duplicate member `icc`",
        ),
        ("", 1, 1, "the file is empty"),
    ] {
        repo.write("etc/docker/daemon.json", text);
        let run = repo.run(&["conform", "--format", "json"]);
        run.assert_code(1);
        let findings = run.findings();
        let invalid = one(&findings, "invalid-config");
        assert_eq!(
            at(invalid),
            ("etc/docker/daemon.json".into(), line, col),
            "{text:?}: {invalid}"
        );
        assert!(
            invalid["message"].as_str().unwrap().contains(what),
            "{text:?}: {invalid}"
        );
    }
    std::fs::write(repo.join("etc/docker/daemon.json"), b"{\"icc\": \xc3\x28}").unwrap();
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    assert!(
        one(&findings, "invalid-config")["message"]
            .as_str()
            .unwrap()
            .contains("not UTF-8")
    );
}

/// Renders the docker baseline for an environment overriding `values` and returns the file.
fn rendered_daemon_json(values: &str) -> (Repo, String) {
    let repo = docker_repo(false);
    repo.write(
        "environments/prod.yaml",
        &format!(
            "apiVersion: hardline/v1\nkind: Environment\nmetadata: {{name: prod}}\noutput: deploy/prod\nvalues:\n  docker:\n{values}"
        ),
    );
    repo.run(&["render", "--write"]).assert_code(0);
    let text = repo.read("deploy/prod/etc/docker/daemon.json");
    (repo, text)
}

#[test]
fn the_rendered_daemon_json_conforms_and_dockerd_loads_it() {
    for values in [
        "    live-restore: true\n",
        "    log-max-file: 5\n    log-max-size: 50m\n    userns-remap: \"dockremap:dockremap\"\n    log-driver: local\n",
    ] {
        let (repo, text) = rendered_daemon_json(values);
        let parsed: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("rendered daemon.json is not JSON ({e}):\n{text}"));
        assert_eq!(parsed["icc"], false);
        assert!(parsed["log-opts"]["max-file"].is_string(), "{text}");
        repo.run(&["conform"]).assert_code(0);
        let verdict = dockerd_verdict(&text);
        assert!(
            verdict.is_ok(),
            "dockerd refused the rendered daemon.json:\n{text}\n{verdict:?}"
        );
    }
}

#[test]
fn dockerd_refuses_what_hardline_reports_as_invalid() {
    for text in [
        "{\"icc\": false,",
        "{icc: false}",
        "{\"icc\": false,}",
        "\u{feff}{\"icc\": false}",
        "[1, 2",
    ] {
        let repo = docker_repo(true);
        repo.write("etc/docker/daemon.json", text);
        let findings = repo.run(&["conform", "--format", "json"]).findings();
        assert!(
            findings.iter().any(|f| f["rule"] == "invalid-config"),
            "{text:?}: {findings:#?}"
        );
        let verdict = dockerd_verdict(text);
        assert!(
            verdict
                .as_ref()
                .is_err_and(|e| e.contains("unable to configure the Docker daemon")),
            "dockerd accepted {text:?}: {verdict:?}"
        );
    }
}

const DOCKERD: &str = "/usr/sbin/dockerd";
const HINT: &str = "run `scripts/test` (it installs docker.io) instead of calling cargo directly";

/// Whether dockerd accepts `config`: it is loaded by `dockerd --config-file` run as an
/// unprivileged user, which validates the file and then stops ("needs to be started with
/// root") before touching the system. Debian 12's dockerd 20.10 has no `--validate`.
fn dockerd_verdict(config: &str) -> Result<(), String> {
    assert!(
        Path::new(DOCKERD).is_file(),
        "`{DOCKERD}` is missing: the docker tests validate daemon.json with the real daemon; {HINT}"
    );
    let mut file = tempfile::Builder::new()
        .prefix("hardline-daemon-")
        .suffix(".json")
        .tempfile_in("/tmp")
        .expect("temp file");
    std::io::Write::write_all(&mut file, config.as_bytes()).expect("write config");
    std::fs::set_permissions(
        file.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .expect("chmod");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut command = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--", DOCKERD]);
        c
    } else {
        Command::new(DOCKERD)
    };
    let mut child = command
        .arg("--config-file")
        .arg(file.path())
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run dockerd: {e}; {HINT}"));
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("dockerd did not stop within 30 s (was it started as root?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("dockerd output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if text.contains("unable to configure the Docker daemon") {
        Err(text)
    } else if text.contains("needs to be started with root") {
        Ok(())
    } else {
        panic!("unexpected dockerd output (is it Docker >= 20.10?):\n{text}");
    }
}

// --- TOML, INI, env ------------------------------------------------------------------------

fn custom_repo(baseline: &str, path: &str, fixture_name: &str) -> Repo {
    let repo = Repo::empty();
    repo.write("hardline.yaml", MANIFEST);
    repo.write("baselines/b.yaml", baseline);
    repo.write(path, &fixture(fixture_name));
    repo
}

#[test]
fn containerd_config_toml() {
    let repo = custom_repo(
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: containerd, owner: o}\nconform: {format: toml, paths: [etc/containerd/config.toml]}\nsettings:\n  version: {value: 2}\n  SystemdCgroup:\n    key: /plugins/io.containerd.grpc.v1.cri/containerd/runtimes/*/options/SystemdCgroup\n    value: true\n  enable_selinux:\n    key: /plugins/io.containerd.grpc.v1.cri/enable_selinux\n    value: true\n    severity: high\n  sandbox_image:\n    key: /plugins/io.containerd.grpc.v1.cri/sandbox_image\n    value: registry.k8s.io/pause:3.9\n    pattern: 'registry\\.k8s\\.io/pause:3\\.(9|10)'\n",
        "etc/containerd/config.toml",
        "structured/containerd-config.toml",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    assert_eq!(
        summary(&findings),
        [
            row(
                "etc/containerd/config.toml:14:22",
                "containerd.enable_selinux",
                "`containerd.enable_selinux` is `false`, expected `true`"
            ),
            row(
                "etc/containerd/config.toml:17:21",
                "containerd.sandbox_image",
                "`containerd.sandbox_image` has `registry.k8s.io/pause:3.8`, which does not match `registry\\.k8s\\.io/pause:3\\.(9|10)`"
            ),
            row(
                "etc/containerd/config.toml:24:7",
                "containerd.SystemdCgroup",
                "`containerd.SystemdCgroup` is not set in `runtimes kata`"
            ),
        ]
    );
    // A TOML syntax error is located.
    repo.write(
        "etc/containerd/config.toml",
        "version = 2\n[grpc\naddress = 1\n",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let invalid = one(&findings, "invalid-config");
    assert_eq!(
        at(invalid),
        ("etc/containerd/config.toml".into(), 2, 6),
        "{invalid}"
    );
}

#[test]
fn php_ini_sections_and_keys() {
    let repo = custom_repo(
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: php, owner: o}\nconform: {format: ini, paths: [etc/php/8.2/fpm/php.ini]}\nsettings:\n  PHP.expose_php: {value: \"Off\"}\n  allow_url_include: {key: /PHP/allow_url_include, value: false}\n  Session.session.use_strict_mode: {value: 1}\n  Session.session.cookie_httponly: {value: true}\n  Session.session.cookie_lifetime: {value: 0}\n",
        "etc/php/8.2/fpm/php.ini",
        "structured/php.ini",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let path = "etc/php/8.2/fpm/php.ini";
    assert_eq!(
        summary(&findings),
        [
            row(
                &format!("{path}:1:1"),
                "php.Session.session.cookie_lifetime",
                &format!("`php.Session.session.cookie_lifetime` is not set in `{path}`")
            ),
            row(
                &format!("{path}:4:14"),
                "php.PHP.expose_php",
                "`php.PHP.expose_php` is `On`, expected `Off`"
            ),
            row(
                &format!("{path}:10:27"),
                "php.Session.session.use_strict_mode",
                "`php.Session.session.use_strict_mode` is `0`, expected `1`"
            ),
            row(
                &format!("{path}:13:26"),
                "php.Session.session.cookie_httponly",
                "`php.Session.session.cookie_httponly` is ``, expected `true`"
            ),
        ]
    );
    assert_eq!(
        findings[0]["help"],
        "add `session.cookie_lifetime = …` under `[Session]`, with `0`"
    );
}

#[test]
fn env_file_keys() {
    let repo = custom_repo(
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: app, owner: o}\nconform: {format: env, paths: [deploy/app.env]}\nsettings:\n  APP_ENV: {value: production, oneOf: [production, staging]}\n  DEBUG: {value: false, severity: high}\n  SECRET_KEY: {value: null, pattern: '.{32,}'}\n  SESSION_COOKIE_SECURE: {value: true}\n  ALLOWED_HOSTS: {value: [app.example.com, api.example.com]}\n  LOG_LEVEL: {value: info}\n",
        "deploy/app.env",
        "structured/app.env",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    assert_eq!(
        summary(&findings),
        [
            row(
                "deploy/app.env:1:1",
                "app.LOG_LEVEL",
                "`app.LOG_LEVEL` is not set in `deploy/app.env`"
            ),
            row(
                "deploy/app.env:3:7",
                "app.DEBUG",
                "`app.DEBUG` is `true`, expected `false`"
            ),
            row(
                "deploy/app.env:4:20",
                "app.SECRET_KEY",
                "`app.SECRET_KEY` has `change-me`, which does not match `.{32,}`"
            ),
        ]
    );
    assert_eq!(findings[0]["help"], "add a `LOG_LEVEL=…` line, with `info`");
    repo.write(
        "deploy/app.env",
        "DEBUG=false\nthis is not an assignment\nOPEN=\"never closed\n",
    );
    let findings = repo.run(&["conform", "--format", "json"]).findings();
    let invalid: Vec<(String, u64, u64)> = findings
        .iter()
        .filter(|f| f["rule"] == "invalid-config")
        .map(at)
        .collect();
    assert_eq!(
        invalid,
        [
            ("deploy/app.env".into(), 2, 1),
            ("deploy/app.env".into(), 3, 6)
        ]
    );
}

#[test]
fn the_repositorys_own_rendered_daemon_json_is_accepted_by_dockerd() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for env in ["dev", "prod"] {
        let config =
            std::fs::read_to_string(root.join(format!("deploy/{env}/etc/docker/daemon.json")))
                .unwrap();
        if let Err(e) = dockerd_verdict(&config) {
            panic!("dockerd rejects deploy/{env}/etc/docker/daemon.json: {e}");
        }
    }
}
