//! `hardline audit` and `hardline inventory`, and the audit inside `check`: lockfiles,
//! an offline OSV database, patch deadlines, version policy and end-of-life dates.

use super::{Repo, assert_report_schema, one, rules, run_in};
use serde_json::{Value, json};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

fn osv(
    id: &str,
    alias: &str,
    published: &str,
    ecosystem: &str,
    name: &str,
    events: &Value,
    cvss: &str,
) -> String {
    serde_json::to_string_pretty(&json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-01-01T00:00:00Z",
        "published": format!("{published}T00:00:00Z"),
        "aliases": [alias],
        "summary": format!("{name} problem"),
        "severity": [{ "type": "CVSS_V3", "score": cvss }],
        "affected": [{ "package": { "ecosystem": ecosystem, "name": name },
                       "ranges": [{ "type": "ECOSYSTEM", "events": events }] }]
    }))
    .unwrap()
}

const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
const MEDIUM: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N";

/// A scaffolded repository with lockfiles, a Dockerfile, an advisory directory, a policy
/// and an end-of-life catalogue.
fn audited_repo() -> Repo {
    let repo = Repo::scaffold();
    let manifest = repo.read("hardline.yaml");
    let manifest = &manifest[..manifest.find("components:").unwrap()];
    repo.write(
        "hardline.yaml",
        &format!(
            "{manifest}components:\n  lockfiles: [\"services/**/requirements.txt\", \"images/**/Dockerfile\"]\n  endOfLife: eol.yaml\n  policy:\n    - {{ ecosystem: PyPI, name: requests, minVersion: \"2.31.0\", reason: \"session fixes\" }}\n    - {{ ecosystem: PyPI, name: pyyaml, banned: [\"<5.4\"], reason: \"unsafe load\" }}\nadvisories: advisories\npatch:\n  sla: {{ critical: 2d, high: 7d, medium: 30d, low: 90d }}\n"
        ),
    );
    repo.write(
        "services/api/requirements.txt",
        "# API service\nDjango==3.2.0\nrequests==2.25.1\nPyYAML==5.3.1 \\\n    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\nflask>=2.0\n",
    );
    repo.write(
        "images/api/Dockerfile",
        "ARG PY=3.8\nFROM python:${PY}-slim AS build\nRUN true\nFROM build\n",
    );
    repo.write(
        "eol.yaml",
        "apiVersion: hardline/v1\nkind: EndOfLife\nproducts:\n  - name: python\n    components: [{ ecosystem: Docker, name: python }]\n    cycles:\n      - { cycle: \"3.8\", eol: 2024-10-07 }\n      - { cycle: \"3.12\", eol: 2028-10-31 }\n",
    );
    repo.write(
        "advisories/PyPI/PYSEC-2021-98.json",
        &osv("PYSEC-2021-98", "CVE-2021-33203", "2021-06-08", "PyPI", "django",
             &json!([{ "introduced": "0" }, { "fixed": "2.2.24" }, { "introduced": "3.0" }, { "fixed": "3.1.12" }, { "introduced": "3.2" }, { "fixed": "3.2.4" }]), HIGH),
    );
    // The same vulnerability as published by GitHub: merged, not reported twice.
    repo.write(
        "advisories/PyPI/GHSA-68w8-qjq3-2gfm.json",
        &osv(
            "GHSA-68w8-qjq3-2gfm",
            "CVE-2021-33203",
            "2021-06-09",
            "PyPI",
            "Django",
            &json!([{ "introduced": "3.2" }, { "fixed": "3.2.4" }]),
            HIGH,
        ),
    );
    repo.write(
        "advisories/PyPI/PYSEC-2023-74.json",
        &osv(
            "PYSEC-2023-74",
            "CVE-2023-32681",
            "2021-05-01",
            "PyPI",
            "requests",
            &json!([{ "introduced": "2.3.0" }, { "fixed": "2.31.0" }]),
            MEDIUM,
        ),
    );
    repo
}

#[test]
fn audit_reports_vulnerabilities_deadlines_policy_and_end_of_life() {
    let repo = audited_repo();
    let run = repo.run(&["audit", "--format", "json", "--today", "2021-06-10"]);
    run.assert_code(1);
    assert_report_schema(&run.json());
    let findings = run.findings();
    let django = one(&findings, "vulnerable-component");
    assert_eq!(django["severity"], "high");
    assert_eq!(django["location"]["path"], "services/api/requirements.txt");
    assert_eq!(django["location"]["line"], 2);
    assert_eq!(django["advisory"]["id"], "GHSA-68w8-qjq3-2gfm");
    assert_eq!(
        django["advisory"]["aliases"],
        json!(["CVE-2021-33203", "PYSEC-2021-98"])
    );
    assert_eq!(django["advisory"]["published"], "2021-06-08");
    assert_eq!(django["advisory"]["due"], "2021-06-15");
    assert_eq!(django["component"]["purl"], "pkg:pypi/django@3.2.0");
    let message = django["message"].as_str().unwrap();
    assert!(message.contains("due in 5 days"), "{message}");
    assert!(
        django["help"]
            .as_str()
            .unwrap()
            .contains("upgrade `Django` to 3.2.4"),
        "{django}"
    );
    // requests: medium advisory published 2021-06-01, 30 days: still due; below policy minimum.
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "outdated-component" && f["component"]["name"] == "requests")
    );
    let banned = one(&findings, "banned-component");
    assert_eq!(banned["component"]["name"], "PyYAML");
    assert_eq!(banned["location"]["line"], 4);
    let unpinned = one(&findings, "unpinned-component");
    assert_eq!(unpinned["component"]["name"], "flask");
    // python 3.8 is still supported on that date.
    assert!(!rules(&findings).contains(&"end-of-life".to_owned()));

    // A month later Django is overdue (raised to critical) and requests too; python 3.8
    // is past its end of life later on.
    let later = repo.run(&["audit", "--format", "json", "--today", "2025-01-01"]);
    let findings = later.findings();
    let overdue: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "patch-overdue")
        .collect();
    assert_eq!(overdue.len(), 2, "{findings:#?}");
    assert_eq!(overdue[0]["severity"], "critical");
    assert!(
        overdue[0]["message"]
            .as_str()
            .unwrap()
            .contains("patch overdue by")
    );
    assert_eq!(overdue[1]["severity"], "high");
    let eol = one(&findings, "end-of-life");
    assert_eq!(eol["location"]["path"], "images/api/Dockerfile");
    assert!(
        eol["message"]
            .as_str()
            .unwrap()
            .contains("end of life since 2024-10-07"),
        "{eol}"
    );
}

#[test]
fn waivers_name_advisories_by_id_or_alias_and_fingerprints_ignore_the_date() {
    let repo = audited_repo();
    let before = repo
        .run(&["audit", "--format", "json", "--today", "2021-06-10"])
        .findings();
    let after = repo
        .run(&["audit", "--format", "json", "--today", "2021-06-11"])
        .findings();
    let print = |f: &[Value]| -> Vec<String> {
        f.iter()
            .filter(|f| f["rule"] == "vulnerable-component")
            .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(print(&before), print(&after));
    let manifest = repo.read("hardline.yaml");
    repo.write(
        "hardline.yaml",
        &format!("{manifest}waivers:\n  - {{ rule: CVE-2021-33203, reason: \"fix rolls out with SEC-9\", owner: alice@example.com, expires: 2021-07-01 }}\n"),
    );
    let run = repo.run(&["audit", "--format", "json", "--today", "2021-06-10"]);
    let django = one(&run.findings(), "vulnerable-component").clone();
    assert_eq!(django["waived"], true);
}

#[test]
fn check_includes_the_audit_when_the_manifest_names_lockfiles() {
    let repo = audited_repo();
    let run = repo.run(&["check", "--format", "json", "--today", "2021-06-10"]);
    run.assert_code(1);
    let rules = rules(&run.findings());
    for rule in [
        "vulnerable-component",
        "outdated-component",
        "banned-component",
        "unpinned-component",
    ] {
        assert!(rules.contains(&rule.to_owned()), "{rule}: {rules:?}");
    }
    // A scaffold without lockfiles checks clean and audits nothing.
    let scaffold = Repo::scaffold();
    scaffold.run(&["check"]).assert_code(0);
    scaffold.run(&["audit"]).assert_code(0);
    // A manifest naming no lockfiles has nothing to audit: exit 2 with what to do.
    let manifest = scaffold.read("hardline.yaml");
    scaffold.write(
        "hardline.yaml",
        &manifest[..manifest.find("components:").unwrap()],
    );
    let run = scaffold.run(&["audit"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("components.lockfiles"),
        "{}",
        run.stderr
    );
}

#[test]
fn audit_of_paths_needs_no_manifest_and_reads_a_real_osv_export() {
    let dir = Repo::empty();
    dir.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    let db = format!("{SHARED}/osv-db/crates.io/all.zip");
    let run = run_in(
        dir.path(),
        &[
            "audit",
            "Cargo.lock",
            "--db",
            &db,
            "--format",
            "json",
            "--today",
            "2026-11-26",
        ],
    );
    run.assert_code(1);
    let findings = run.findings();
    let smallvec: Vec<&Value> = findings
        .iter()
        .filter(|f| f["component"]["name"] == "smallvec")
        .collect();
    assert!(
        smallvec
            .iter()
            .any(|f| f["advisory"]["id"] == "RUSTSEC-2021-0003"),
        "{findings:#?}"
    );
    assert!(smallvec.iter().all(|f| f["rule"] == "patch-overdue"));
    assert!(findings.iter().all(|f| f["component"]["name"] != "serde"));
    assert_eq!(smallvec[0]["location"]["line"], 4);

    // The whole export directory: the Go export is not opened (no Go components), the
    // crates.io one gives the same findings.
    let export_dir = format!("{SHARED}/osv-db");
    let whole = run_in(
        dir.path(),
        &[
            "audit",
            "Cargo.lock",
            "--db",
            &export_dir,
            "--format",
            "json",
            "--today",
            "2026-11-26",
        ],
    );
    assert_eq!(whole.findings().len(), findings.len(), "{}", whole.stdout);

    // No database: exit 2 with a hint; an unknown file: exit 2.
    let none = run_in(dir.path(), &["audit", "Cargo.lock"]);
    none.assert_code(2);
    assert!(none.stderr.contains("--db"), "{}", none.stderr);
    dir.write("notes.txt", "hello");
    run_in(dir.path(), &["audit", "notes.txt", "--db", &db]).assert_code(2);
}

#[test]
fn a_corrupt_database_file_or_lockfile_is_a_finding_and_hides_nothing() {
    let repo = audited_repo();
    // A corrupt export of an ecosystem the repository uses (exports of others are not
    // opened), and a truncated record.
    repo.write("advisories/PyPI/all.zip", "PK\u{3}\u{4} this is not a zip");
    repo.write(
        "advisories/Go/all.zip",
        "PK\u{3}\u{4} not opened: no Go components",
    );
    repo.write(
        "advisories/PyPI/broken.json",
        "{\"id\": \"PYSEC-1\", \"name\": \"django\"",
    );
    repo.write(
        "services/worker/requirements.txt",
        "requests==2.31.0\n--hash\n",
    );
    let run = repo.run(&["audit", "--format", "json", "--today", "2021-06-10"]);
    let findings = run.findings();
    let problems: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "invalid-advisory")
        .collect();
    assert_eq!(problems.len(), 2, "{findings:#?}");
    assert!(findings.iter().any(|f| f["rule"] == "vulnerable-component"));
}

#[test]
fn inventory_lists_components_as_table_json_and_cyclonedx() {
    let repo = audited_repo();
    let json = repo.run(&["inventory", "--format", "json"]);
    json.assert_code(0);
    let schema: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/inventory.schema.json"
    )))
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    assert!(validator.is_valid(&json.json()), "{}", json.stdout);
    let components = json.json()["components"].as_array().unwrap().clone();
    let names: Vec<&str> = components
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["python", "Django", "requests", "PyYAML", "flask"]);
    assert_eq!(components[0]["ecosystem"], "Docker");
    assert_eq!(
        components[1],
        json!({
            "ecosystem": "PyPI", "name": "Django", "version": "3.2.0", "purl": "pkg:pypi/django@3.2.0",
            "path": "services/api/requirements.txt", "line": 2
        })
    );
    assert!(components[4].get("version").is_none());

    let table = repo.run(&["inventory"]);
    table.assert_code(0);
    assert!(table.stdout.starts_with("ECOSYSTEM"), "{}", table.stdout);
    assert!(
        table.stdout.contains("services/api/requirements.txt:2"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("5 components in 2 files"),
        "{}",
        table.stdout
    );

    let bom = repo.run(&["inventory", "--format", "cyclonedx"]);
    bom.assert_code(0);
    let document: Value = bom.json();
    validate_cyclonedx(&document);
    assert_eq!(document["components"].as_array().unwrap().len(), 5);
    assert_eq!(
        bom.stdout,
        repo.run(&["inventory", "--format", "cyclonedx"]).stdout
    );
    // cyclonedx is for inventories only, and inventories are no findings report.
    repo.run(&["check", "--format", "cyclonedx"]).assert_code(2);
    let run = repo.run(&["check", "--report", "cyclonedx=bom.json"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("hardline inventory --format cyclonedx"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["inventory", "--format", "sarif"]);
    run.assert_code(2);
    assert!(run.stderr.contains("table"), "{}", run.stderr);
}

/// Resolves the CycloneDX schema's references to the copies beside it.
struct Beside;

impl jsonschema::Retrieve for Beside {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let text = std::fs::read_to_string(format!("{CYCLONEDX}/{name}"))?;
        Ok(serde_json::from_str(&text)?)
    }
}

const CYCLONEDX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cyclonedx");

fn validate_cyclonedx(document: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{CYCLONEDX}/bom-1.5.SNAPSHOT.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .with_retriever(Beside)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn inventory_of_paths_walks_folders_and_respects_gitignore() {
    let dir = Repo::empty();
    dir.write("a/requirements.txt", "six==1.16.0\n");
    dir.write("vendor/requirements.txt", "six==1.0.0\n");
    dir.write(".gitignore", "vendor/\n");
    let run = run_in(dir.path(), &["inventory", ".", "--format", "json"]);
    run.assert_code(0);
    let components = run.json()["components"].as_array().unwrap().clone();
    assert_eq!(components.len(), 1, "{components:#?}");
    assert_eq!(components[0]["path"], "a/requirements.txt");
}

#[test]
fn paths_outside_the_working_directory_are_read_with_their_includes() {
    let files = Repo::empty();
    files.write(
        "web/package-lock.json",
        "{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": { \"name\": \"web\" },\n    \"node_modules/left-pad\": { \"version\": \"1.3.0\" }\n  }\n}\n",
    );
    files.write("api/requirements.txt", "-r base.txt\nflask==2.0.0\n");
    files.write("api/base.txt", "six==1.16.0\n");
    let elsewhere = Repo::empty();
    let web = files.join("web").display().to_string();
    let api = files.join("api/requirements.txt").display().to_string();
    let run = run_in(
        elsewhere.path(),
        &["inventory", &web, &api, "--format", "json"],
    );
    run.assert_code(0);
    let names: Vec<String> = run.json()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        ["six@1.16.0", "flask@2.0.0", "left-pad@1.3.0"],
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn a_missing_database_or_catalogue_named_by_the_manifest_is_a_finding() {
    let repo = audited_repo();
    repo.edit(
        "hardline.yaml",
        "advisories: advisories",
        "advisories: advisory-db",
    );
    repo.edit(
        "hardline.yaml",
        "endOfLife: eol.yaml",
        "endOfLife: catalogue/eol.yaml",
    );
    let run = repo.run(&["audit", "--format", "json", "--today", "2021-06-10"]);
    run.assert_code(1);
    let findings = run.findings();
    let db = one(&findings, "invalid-advisory");
    assert_eq!(db["location"]["path"], "hardline.yaml");
    assert!(
        db["message"].as_str().unwrap().contains("`advisory-db`"),
        "{db}"
    );
    let eol = findings
        .iter()
        .find(|f| f["rule"] == "schema")
        .expect("a finding for the missing catalogue");
    assert!(
        eol["message"]
            .as_str()
            .unwrap()
            .contains("catalogue/eol.yaml"),
        "{eol}"
    );
    // The rest of the audit still runs: policy findings are there.
    assert!(rules(&findings).contains(&"banned-component".to_owned()));

    // So does a glob that does not parse: the others are still read.
    repo.edit("hardline.yaml", "lockfiles: [", "lockfiles: [\"a/[b\", ");
    let run = repo.run(&["audit", "--format", "json", "--today", "2021-06-10"]);
    run.assert_code(1);
    let findings = run.findings();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "schema" && f["message"].as_str().unwrap().contains("a/[b")),
        "{findings:#?}"
    );
    assert!(rules(&findings).contains(&"banned-component".to_owned()));
}
