use super::*;

struct NoReader;

impl Reader for NoReader {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("`{path}` not readable in tests"))
    }
    fn glob(&self, _pattern: &str) -> Vec<String> {
        Vec::new()
    }
    fn exists(&self, _path: &str) -> bool {
        false
    }
}

fn parse(format: &Structured, text: &str) -> Parsed {
    format.parse(
        &Input {
            path: "f",
            text,
            sysroot: "",
        },
        &NoReader,
    )
}

/// `(value or "MISSING", scope, line:col text at the site)`.
fn summary(parsed: &Parsed, found: &[Found]) -> Vec<(String, String, String)> {
    let text = &parsed.files[0].1;
    found
        .iter()
        .map(|f| {
            let (what, scope, site) = match f {
                Found::Value(o) => (
                    o.value.to_string(),
                    o.scope.clone().unwrap_or_default(),
                    o.site,
                ),
                Found::Missing { scope, site } => ("MISSING".into(), scope.clone(), *site),
            };
            let line = text[..site.offset].matches('\n').count() + 1;
            let col = text[..site.offset]
                .rsplit('\n')
                .next()
                .unwrap_or("")
                .chars()
                .count()
                + 1;
            (what, scope, format!("{line}:{col}"))
        })
        .collect()
}

const MANIFESTS: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
      initContainers:
        - name: init
          image: busybox
      containers:
        - name: app
          image: nginx
          securityContext:
            allowPrivilegeEscalation: false
        - name: sidecar
          image: envoy
          securityContext: {}
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: debian
      securityContext:
        allowPrivilegeEscalation: true
";

const SHAPES: &str = "/spec{,/template/spec,/jobTemplate/spec/template/spec}";

#[test]
fn wildcards_report_values_and_missing_items_per_document() {
    let parsed = parse(&YAML, MANIFESTS);
    assert!(parsed.problems.is_empty());
    let key = format!(
        "{SHAPES}/{{containers,initContainers}}/*/securityContext/allowPrivilegeEscalation"
    );
    let found = YAML.lookup(&parsed, &key);
    assert_eq!(
        summary(&parsed, &found),
        [
            (
                "false".into(),
                "Deployment/web container app".into(),
                "25:39".into()
            ),
            (
                "MISSING".into(),
                "Deployment/web container sidecar".into(),
                "26:11".into()
            ),
            (
                "MISSING".into(),
                "Deployment/web initContainer init".into(),
                "19:11".into()
            ),
            (
                "true".into(),
                "Pod/debug container shell".into(),
                "39:35".into()
            ),
        ]
    );
}

#[test]
fn alternatives_are_tried_per_document() {
    let parsed = parse(&YAML, MANIFESTS);
    // The Deployment sets it for the pod; the Pod's container does not.
    let key = format!(
        "{SHAPES}/securityContext/runAsNonRoot | {SHAPES}/{{containers,initContainers}}/*/securityContext/runAsNonRoot"
    );
    let found = YAML.lookup(&parsed, &key);
    assert_eq!(
        summary(&parsed, &found),
        [
            ("true".into(), "Deployment/web".into(), "17:23".into()),
            (
                "MISSING".into(),
                "Pod/debug container shell".into(),
                "36:7".into()
            ),
        ]
    );
    // Without a wildcard, an absent key is simply not found; a Service matches nothing.
    assert!(
        YAML.lookup(&parsed, &format!("{SHAPES}/hostNetwork"))
            .is_empty()
    );
    let service_only = parse(&YAML, MANIFESTS.split("---").next().unwrap());
    assert!(YAML.lookup(&service_only, &key).is_empty());
}

#[test]
fn a_chosen_last_segment_is_named_in_the_scope() {
    let text = "kind: Pod\nmetadata: {name: p}\nspec:\n  volumes:\n    - name: logs\n      hostPath: {path: /var/log}\n    - name: cache\n      emptyDir: {}\n";
    let parsed = parse(&YAML, text);
    let found = YAML.lookup(&parsed, "/spec/volumes/*/{hostPath,nfs}");
    assert_eq!(
        summary(&parsed, &found),
        [
            (
                r#"{"path":"/var/log"}"#.into(),
                "Pod/p volume logs hostPath".into(),
                "6:17".into()
            ),
            // Neither key: missing (a `forbidden` setting ignores it).
            ("MISSING".into(), "Pod/p volume cache".into(), "7:7".into()),
        ]
    );
}

#[test]
fn a_list_counts_as_its_items() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n  spec: {hostNetwork: true}\n- kind: Pod\n  metadata: {name: b}\n  spec: {hostNetwork: false}\n";
    let parsed = parse(&YAML, text);
    let found = YAML.lookup(&parsed, "/spec/hostNetwork");
    assert_eq!(
        summary(&parsed, &found),
        [
            ("true".into(), "Pod/a".into(), "6:23".into()),
            ("false".into(), "Pod/b".into(), "9:23".into()),
        ]
    );
}

#[test]
fn plain_keys_and_pointers_in_every_syntax() {
    let json = parse(
        &JSON,
        "{\n  \"icc\": true,\n  \"log-opts\": {\"max-size\": \"10m\"}\n}\n",
    );
    assert_eq!(
        summary(&json, &JSON.lookup(&json, "icc")),
        [("true".into(), String::new(), "2:10".into())]
    );
    assert_eq!(
        summary(&json, &JSON.lookup(&json, "/log-opts/max-size")),
        [("\"10m\"".into(), String::new(), "3:28".into())]
    );
    assert_eq!(
        summary(&json, &JSON.lookup(&json, "/log-opts/*")),
        [("\"10m\"".into(), "log-opts max-size".into(), "3:28".into())]
    );
    let toml = parse(
        &TOML,
        "[plugins.\"io.containerd.grpc.v1.cri\"]\nenable_selinux = false\n",
    );
    assert_eq!(
        summary(
            &toml,
            &TOML.lookup(&toml, "/plugins/io.containerd.grpc.v1.cri/enable_selinux")
        ),
        [("false".into(), String::new(), "2:18".into())]
    );
    let ini = parse(&INI, "[Session]\nsession.cookie_secure = 0\n");
    for key in [
        "Session.session.cookie_secure",
        "/session/session.cookie_secure",
    ] {
        assert_eq!(
            summary(&ini, &INI.lookup(&ini, key)),
            [("\"0\"".into(), String::new(), "2:25".into())],
            "{key}"
        );
    }
    let env = parse(&ENV, "DEBUG=true\n");
    assert_eq!(
        summary(&env, &ENV.lookup(&env, "DEBUG")),
        [("\"true\"".into(), String::new(), "1:7".into())]
    );
    assert_eq!(ENV.placement("DEBUG"), "add a `DEBUG=…` line");
    assert_eq!(
        INI.placement("Session.session.cookie_secure"),
        "add `session.cookie_secure = …` under `[Session]`"
    );
    assert_eq!(
        JSON.placement("/log-opts/max-size"),
        "set `/log-opts/max-size`"
    );
}

#[test]
fn garbage_is_a_problem_never_a_panic() {
    let bomb = {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let (prev, name) = (pair[0], pair[1]);
            text.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        text
    };
    let binary =
        String::from_utf8_lossy(&(0..=255u8).cycle().take(2048).collect::<Vec<_>>()).into_owned();
    let long_line = "x".repeat(2_000_000);
    for format in [&YAML, &JSON, &TOML, &INI, &ENV] {
        for text in [
            bomb.as_str(),
            binary.as_str(),
            "{\"icc\": tr",
            "[[[[",
            long_line.as_str(),
            "---\n- a\n---\n: b: c",
        ] {
            let parsed = parse(format, text);
            let _ = format.lookup(&parsed, "/spec/*/x/*/y | icc");
        }
    }
    let parsed = parse(&YAML, &bomb);
    assert_eq!(parsed.problems.len(), 1);
    assert!(
        parsed.problems[0].message.contains("alias"),
        "{}",
        parsed.problems[0].message
    );
    let parsed = parse(&JSON, "{\"icc\": tr");
    assert_eq!(parsed.problems[0].site.offset, 8);
}
