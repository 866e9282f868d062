//! Report formats end to end: SARIF against the official schema, `JUnit` parsed back, Markdown
//! and GitHub annotations snapshotted, escaping of hostile names, the comment cap, several
//! `--report` files in one run, byte-identical output.

use super::*;

const TODAY: &str = "2027-01-01";

/// A scaffolded repository with drift (prod), an out-of-bounds value (dev), nonconformities
/// in conform-only sysctl files with hostile names, and one waived nonconformity.
fn troubled_repo() -> Repo {
    let repo = Repo::scaffold();
    repo.edit(
        "deploy/prod/etc/ssh/sshd_config",
        "X11Forwarding no",
        "X11Forwarding yes",
    );
    repo.edit(
        "environments/dev.yaml",
        "MaxAuthTries: 3",
        "MaxAuthTries: 9",
    );
    repo.write(
        "baselines/kernel.yaml",
        "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {name: kernel, owner: kernel-team@example.com}\nconform: {format: sysctl, paths: [\"etc/sysctl.d/*.conf\"]}\nsettings:\n  net.ipv4.ip_forward: {value: 0, severity: high}\n  kernel.kptr_restrict: {value: 2, min: 1, max: 2, severity: low}\n  kernel.randomize_va_space: {value: 2, severity: medium}\n",
    );
    // File names and values a comment or an annotation must not interpret.
    repo.write(
        "etc/sysctl.d/a%0A::error::x.conf",
        "net.ipv4.ip_forward = 1\n",
    );
    repo.write(
        "etc/sysctl.d/<img src=x>.conf",
        "kernel.randomize_va_space = <script>alert(1)</script>\n",
    );
    repo.write("etc/sysctl.d/z b ü.conf", "kernel.kptr_restrict = 0\n");
    let manifest = repo.read("hardline.yaml");
    assert!(!manifest.contains("waivers:"));
    repo.write(
        "hardline.yaml",
        &format!(
            "{manifest}waivers:\n  - rule: kernel.kernel.kptr_restrict\n    owner: kernel-team@example.com\n    reason: \"lab host, KRN-3\"\n    expires: \"2027-06-30\"\n"
        ),
    );
    repo
}

fn check(repo: &Repo, format: &str) -> Run {
    let run = repo.run(&["check", "--today", TODAY, "--format", format]);
    run.assert_code(1);
    run
}

#[test]
fn the_troubled_repository_has_every_kind_of_finding() {
    let repo = troubled_repo();
    let findings = check(&repo, "json").findings();
    let mut kinds: Vec<(String, bool)> = findings
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_owned(), f["waived"] == true))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("drift".to_owned(), false),
            ("drift".to_owned(), false),
            ("nonconformity".to_owned(), false),
            ("nonconformity".to_owned(), false),
            ("nonconformity".to_owned(), true),
            ("out-of-bounds".to_owned(), false),
        ]
    );
}

#[test]
fn json_reports_validate_against_the_report_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let clean = Repo::scaffold();
    let reports = [
        check(&troubled_repo(), "json").json(),
        clean.run(&["check", "--format", "json"]).json(),
        clean.run(&["validate", "--format", "json"]).json(),
    ];
    for report in &reports {
        let errors: Vec<String> = validator
            .iter_errors(report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
    }
    // The schema is not vacuous: a report missing its summary, or with an unknown severity,
    // fails it.
    let mut broken = reports[0].clone();
    broken["findings"][0]["severity"] = "severe".into();
    assert!(!validator.is_valid(&broken));
    broken.as_object_mut().unwrap().remove("summary");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn inventory_schema_accepts_the_contract_shape() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/inventory.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let good = serde_json::json!({"components": [
        {"ecosystem": "PyPI", "name": "django", "version": "3.2.0", "purl": "pkg:pypi/django@3.2.0", "path": "services/api/requirements.txt", "line": 3},
        {"ecosystem": "npm", "name": "left-pad", "purl": "pkg:npm/left-pad", "path": "package.json", "line": 1}
    ]});
    assert!(validator.is_valid(&good));
    let no_line = serde_json::json!({"components": [
        {"ecosystem": "npm", "name": "x", "purl": "pkg:npm/x", "path": "p"}
    ]});
    assert!(!validator.is_valid(&no_line));
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let sarif_schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/schemas/sarif-schema-2.1.0.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&sarif_schema)
        .unwrap();
    let repo = troubled_repo();
    let log = check(&repo, "sarif").json();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
    // A clean run is a valid log with no results.
    let clean = Repo::scaffold().run(&["check", "--format", "sarif"]).json();
    assert!(validator.is_valid(&clean));
    assert_eq!(clean["runs"][0]["results"], serde_json::json!([]));

    let run = &log["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["drift", "nonconformity", "out-of-bounds"]);
    let nonconformity = &run["tool"]["driver"]["rules"][1];
    // The highest severity among the rule's results.
    assert_eq!(nonconformity["properties"]["security-severity"], "8.0");
    assert!(
        nonconformity["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("constraint does not allow")
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
            artifact["uri"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        [
            "deploy/dev/etc/ssh/sshd_config",
            "deploy/prod/etc/ssh/sshd_config",
            "environments/dev.yaml",
            "etc/sysctl.d/%3Cimg%20src=x%3E.conf",
            "etc/sysctl.d/a%250A%3A%3Aerror%3A%3Ax.conf",
            "etc/sysctl.d/z%20b%20%C3%BC.conf",
        ]
    );
    for r in results {
        assert_eq!(
            r["partialFingerprints"]["hardline/v1"]
                .as_str()
                .unwrap()
                .len(),
            16
        );
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
    }
    let waived: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["suppressions"][0]["kind"], "external");
    assert_eq!(waived[0]["level"], "warning");
    assert_eq!(waived[0]["properties"]["security-severity"], "3.0");
}

type Element = (String, std::collections::BTreeMap<String, String>);

/// Every element's name and attributes, in document order; panics when the XML is not
/// well-formed.
fn xml_elements(xml: &str) -> Vec<Element> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut elements = Vec::new();
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                elements.push(element(&e));
            }
            Ok(Event::Empty(e)) => elements.push(element(&e)),
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed XML at {}: {e}\n{xml}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "unclosed elements:\n{xml}");
    elements
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Element {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                a.unescape_value().unwrap().into_owned(),
            )
        })
        .collect();
    (
        String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
        attrs,
    )
}

fn count(elements: &[Element], name: &str) -> usize {
    elements.iter().filter(|(n, _)| n == name).count()
}

#[test]
fn junit_parses_back_with_a_suite_per_family_and_a_case_per_target() {
    let repo = troubled_repo();
    let xml = check(&repo, "junit").stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let elements = xml_elements(&xml);
    let suites: Vec<(&str, &str, &str)> = elements
        .iter()
        .filter(|(n, _)| n == "testsuite")
        .map(|(_, a)| {
            (
                a["name"].as_str(),
                a["tests"].as_str(),
                a["failures"].as_str(),
            )
        })
        .collect();
    // conform: three files, the waived one passes; drift: dev and prod; validate: dev.yaml.
    assert_eq!(
        suites,
        [
            ("conform", "3", "2"),
            ("drift", "2", "2"),
            ("validate", "1", "1")
        ]
    );
    assert_eq!(count(&elements, "testcase"), 6);
    assert_eq!(count(&elements, "failure"), 5);
    let root = &elements[0];
    assert_eq!(root.0, "testsuites");
    assert_eq!(
        (root.1["tests"].as_str(), root.1["failures"].as_str()),
        ("6", "5")
    );
    // Hostile names survive as attribute values, escaped and unescaped again.
    let names: Vec<&str> = elements
        .iter()
        .filter(|(n, _)| n == "testcase")
        .map(|(_, a)| a["name"].as_str())
        .collect();
    assert!(
        names.contains(&"etc/sysctl.d/<img src=x>.conf"),
        "{names:?}"
    );
    let failure = elements
        .iter()
        .find(|(n, a)| n == "failure" && a["message"].contains("<script>"))
        .expect("the hostile value's failure");
    assert_eq!(failure.1["type"], "nonconformity");

    // Nothing found: still a valid document with one passing case.
    let clean = Repo::scaffold().run(&["check", "--format", "junit"]);
    clean.assert_code(0);
    let elements = xml_elements(&clean.stdout);
    assert_eq!(count(&elements, "testcase"), 1);
    assert_eq!(count(&elements, "failure"), 0);
    assert_eq!(elements[0].1["tests"], "1");
}

/// Output with the repository's temporary path replaced.
fn snapshot_text(repo: &Repo, text: &str) -> String {
    text.replace(repo.path().to_str().unwrap(), "[REPO]")
}

#[test]
fn markdown_comment_is_escaped_and_stable() {
    let repo = troubled_repo();
    let md = check(&repo, "markdown").stdout;
    assert!(md.starts_with("<!-- hardline-report -->\n**hardline** ❌ failed"));
    // Neither a file name nor a value opens HTML.
    assert!(!md.contains("<img"), "{md}");
    assert!(!md.contains("<script"), "{md}");
    assert!(md.contains("&lt;img src=x&gt;"));
    assert!(md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"));
    assert!(md.contains("*waived*"));
    assert!(md.contains("<details><summary>diff</summary>"));
    insta::assert_snapshot!("markdown", snapshot_text(&repo, &md));
}

#[test]
fn github_annotations_cannot_be_injected_and_are_stable() {
    let repo = troubled_repo();
    let text = check(&repo, "github").stdout;
    let lines: Vec<&str> = text.lines().collect();
    // One command per finding plus the summary line: a newline in a name or message does
    // not start a line (a command) of its own.
    assert_eq!(lines.len(), 7, "{text}");
    assert!(lines[..6].iter().all(|l| l.starts_with("::")));
    assert_eq!(
        lines[..6]
            .iter()
            .filter(|l| l.starts_with("::error "))
            .count(),
        3
    );
    assert!(
        text.contains("file=etc/sysctl.d/a%250A%3A%3Aerror%3A%3Ax.conf,line=1,col=1,endLine=1")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::notice ") && l.contains("waived"))
    );
    insta::assert_snapshot!("github", snapshot_text(&repo, &text));
}

#[test]
fn github_format_appends_the_markdown_to_the_step_summary() {
    let repo = troubled_repo();
    let summary = repo.join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = Command::new(bin())
        .args(["-C", repo.path().to_str().unwrap()])
        .args(["check", "--today", TODAY, "--format", "github"])
        .env("NO_COLOR", "1")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let written = std::fs::read_to_string(&summary).unwrap();
    let markdown = check(&repo, "markdown").stdout;
    assert_eq!(written, format!("earlier step\n{markdown}\n"));
}

#[test]
fn gitlab_code_quality_lists_unwaived_findings() {
    let repo = troubled_repo();
    let issues = check(&repo, "gitlab").json();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 5);
    let severities: Vec<&str> = issues
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        ["critical", "critical", "major", "major", "critical"]
    );
    for issue in issues {
        assert!(issue["location"]["path"].as_str().is_some());
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(issue["check_name"].as_str().is_some());
        assert!(issue["description"].as_str().is_some());
    }
    let fingerprints: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len());
}

#[test]
fn a_huge_report_is_capped_at_the_comment_limit_with_a_note() {
    let repo = Repo::scaffold();
    let mut expected = 0;
    for i in 0..1500 {
        repo.write(
            &format!("deploy/prod/stray/a-rather-long-directory-name/file-number-{i:04}.conf"),
            "x\n",
        );
        expected += 1;
    }
    let run = repo.run(&["check", "--format", "markdown"]);
    run.assert_code(0);
    let md = run.stdout;
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    assert!(
        md.len() > 60_000,
        "the cap should be used, not undershot: {}",
        md.len()
    );
    let shown = md.lines().filter(|l| l.starts_with("- **info**")).count();
    let note = md
        .lines()
        .find(|l| l.contains("Left out:"))
        .expect("a note on what was left out");
    let left: usize = note
        .split("Left out: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count in the note");
    assert_eq!(shown + left, expected, "{note}");
    assert!(md.contains(&format!("### Findings ({expected})")));
}

#[test]
fn report_option_writes_every_requested_file_in_one_run() {
    let repo = troubled_repo();
    let run = repo.run(&[
        "check",
        "--today",
        TODAY,
        "--format",
        "json",
        "--report",
        "sarif=out/hardline.sarif",
        "--report",
        "markdown=out/comment.md",
        "--report",
        "junit=out/junit.xml",
        "--report",
        "gitlab=gl-code-quality.json",
    ]);
    run.assert_code(1);
    // stdout shows --format; each file is what its --format would print.
    assert_eq!(run.stdout, check(&repo, "json").stdout);
    assert_eq!(
        repo.read("out/hardline.sarif"),
        check(&repo, "sarif").stdout
    );
    assert_eq!(repo.read("out/comment.md"), check(&repo, "markdown").stdout);
    assert_eq!(repo.read("out/junit.xml"), check(&repo, "junit").stdout);
    assert_eq!(
        repo.read("gl-code-quality.json"),
        check(&repo, "gitlab").stdout
    );
    // No temporary file is left beside them.
    let leftovers: Vec<String> = std::fs::read_dir(repo.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".hardline-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_bad_report_request_exits_2_with_a_hint_and_writes_nothing() {
    let repo = Repo::scaffold();
    let before = repo.snapshot();
    for (spec, hint) in [
        ("sarif", "FORMAT=PATH"),
        (
            "xml=a.xml",
            "formats: human, json, markdown, sarif, junit, github, gitlab",
        ),
        ("junit=", "junit=hardline.xml"),
    ] {
        let run = repo.run(&["check", "--report", "json=ok.json", "--report", spec]);
        run.assert_code(2);
        assert!(run.stderr.contains(hint), "{spec}: {}", run.stderr);
    }
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn reports_are_byte_identical_across_runs() {
    let repo = troubled_repo();
    for format in [
        "json", "markdown", "sarif", "junit", "github", "gitlab", "human",
    ] {
        let a = check(&repo, format).stdout;
        let b = check(&repo, format).stdout;
        assert_eq!(a, b, "{format}");
        assert!(!a.is_empty());
    }
}

#[test]
fn completions_are_printed_for_every_shell() {
    for (shell, needle) in [
        ("bash", "_hardline()"),
        ("zsh", "#compdef hardline"),
        ("fish", "complete -c hardline"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[hardline]"),
    ] {
        let run = run_in(Path::new("."), &["completions", shell]);
        run.assert_code(0);
        assert!(run.stdout.contains(needle), "{shell}:\n{}", run.stdout);
        assert!(run.stdout.contains("report"), "{shell}");
    }
    run_in(Path::new("."), &["completions", "tcsh"]).assert_code(2);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let repo = troubled_repo();
    let human = |color: &str, no_color: Option<&str>| {
        let mut cmd = Command::new(bin());
        cmd.args(["-C", repo.path().to_str().unwrap()])
            .args(["check", "--today", TODAY, "--color", color]);
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    // stdout is a pipe here: auto means no colour, with or without NO_COLOR.
    assert!(!human("auto", None).contains('\u{1b}'));
    assert!(!human("auto", Some("1")).contains('\u{1b}'));
    assert!(!human("never", None).contains('\u{1b}'));
    assert!(human("always", Some("1")).contains('\u{1b}'));
}
