//! The peer scanner's lockfile fixtures (`../shared/osv-fixtures`, from osv-scalibr and
//! osv-scanner) with their expected package lists: every fixture of a folder goes through
//! [`super::parse`] and the (name, version) sets must agree exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Extracted, Input, Kind};
use crate::conform::{Reader, RepoReader};

/// Files held in memory by repo-relative path: what a format may pull in besides the file
/// being read (`-r` includes, a sibling `go.sum`, `status.d` entries).
pub(super) struct Files(BTreeMap<String, String>);

impl Files {
    pub(super) fn new(files: &[(&str, &str)]) -> Files {
        Files(
            files
                .iter()
                .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
                .collect(),
        )
    }
}

impl Reader for Files {
    fn read(&self, path: &str) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| format!("`{path}` does not exist"))
    }
    fn glob(&self, _: &str) -> Vec<String> {
        Vec::new()
    }
    fn exists(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }
}

/// Parses `text` as `kind` from `path`, with `files` the only other files there are.
pub(super) fn parse_with(kind: Kind, path: &str, text: &str, files: &[(&str, &str)]) -> Extracted {
    super::parse(
        kind,
        &Input {
            path,
            text,
            reader: &Files::new(files),
        },
    )
}

/// Parses `text` as `kind` from `path`, with no other file to read.
pub(super) fn parse_text(kind: Kind, path: &str, text: &str) -> Extracted {
    parse_with(kind, path, text, &[])
}

/// The (name, version, line) of every component, in order; `""` for no version.
pub(super) fn found(out: &Extracted) -> Vec<(&str, &str, usize)> {
    out.components
        .iter()
        .map(|c| (c.name.as_str(), c.version.as_deref().unwrap_or(""), c.line))
        .collect()
}

/// The (line, column, message) of every problem, in order.
pub(super) fn messages(out: &Extracted) -> Vec<(usize, usize, &str)> {
    out.problems
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect()
}

/// `../shared/osv-fixtures/<folder>`.
pub(super) fn folder(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/osv-fixtures")
        .join(folder)
}

/// What one fixture's expected file asks for.
pub(super) struct Case {
    /// The fixture file, relative to its folder.
    pub fixture: String,
    /// The upstream test's name.
    pub name: String,
    /// Non-default test configuration (`None` for the default).
    pub config: Option<Value>,
    /// Whether upstream expects the extraction to fail.
    pub expect_error: bool,
    /// Expected (name, version) pairs; `None` when upstream asserts no list.
    pub packages: Option<BTreeSet<(String, String)>>,
}

/// Every case of every `*.expected.json` under `folder` (recursively), sorted by fixture.
pub(super) fn cases(folder_name: &str) -> Vec<Case> {
    let root = folder(folder_name);
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(fixture) = name.strip_suffix(".expected.json") else {
            continue;
        };
        let rel_dir = path.parent().unwrap().strip_prefix(&root).unwrap();
        let fixture = rel_dir.join(fixture).to_string_lossy().replace('\\', "/");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let packages = case["packages"].as_array().map(|list| {
                list.iter()
                    .map(|p| {
                        (
                            p["name"].as_str().unwrap_or_default().to_owned(),
                            p["version"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            });
            out.push(Case {
                fixture: fixture.clone(),
                name: case["test_name"].as_str().unwrap_or_default().to_owned(),
                config: case.get("test_config").cloned(),
                expect_error: case.get("expect_error").is_some_and(|e| !e.is_null()),
                packages,
            });
        }
    }
    out
}

/// Parses one fixture as `kind`, reading included files from the fixture's folder.
pub(super) fn extract(folder_name: &str, fixture: &str, kind: Kind) -> Extracted {
    let root = folder(folder_name);
    let text = String::from_utf8_lossy(&std::fs::read(root.join(fixture)).unwrap()).into_owned();
    let reader = RepoReader::new(root);
    super::parse(
        kind,
        &Input {
            path: fixture,
            text: &text,
            reader: &reader,
        },
    )
}

/// Runs every default-configuration case of `folder_name` through `kind` and asserts
/// agreement: the same (name, version) set, and a problem wherever upstream expects an
/// error. Returns how many cases were checked; panics listing every disagreement.
pub(super) fn check_folder(folder_name: &str, kind: Kind) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases(folder_name) {
        if case.config.is_some() {
            continue;
        }
        checked += 1;
        let extracted = extract(folder_name, &case.fixture, kind);
        if case.expect_error && extracted.problems.is_empty() {
            failures.push(format!(
                "{} ({}): upstream expects an error, no problem reported",
                case.fixture, case.name
            ));
        }
        if let Some(expected) = &case.packages {
            if case.expect_error && expected.is_empty() {
                continue;
            }
            let got: BTreeSet<(String, String)> = extracted
                .components
                .iter()
                .map(|c| (c.name.clone(), c.version.clone().unwrap_or_default()))
                .collect();
            if &got != expected {
                let missing: Vec<_> = expected.difference(&got).collect();
                let extra: Vec<_> = got.difference(expected).collect();
                failures.push(format!(
                    "{} ({}): missing {missing:?}, unexpected {extra:?}",
                    case.fixture, case.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{folder_name}: {} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

/// Like [`check_folder`] over the given `cases`, with each component keyed as `key` says
/// (for formats where upstream reports a field in its own way), and with every line
/// upstream asserts compared too. Returns how many cases were checked.
pub(super) fn check_cases(
    folder_name: &str,
    kind: Kind,
    cases: impl IntoIterator<Item = Case>,
    key: impl Fn(&super::Component) -> (String, String),
) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases {
        checked += 1;
        let extracted = extract(folder_name, &case.fixture, kind);
        if case.expect_error && extracted.problems.is_empty() {
            failures.push(format!(
                "{} ({}): upstream expects an error, no problem reported",
                case.fixture, case.name
            ));
        }
        let Some(expected) = &case.packages else {
            continue;
        };
        if case.expect_error && expected.is_empty() {
            continue;
        }
        let got: BTreeSet<(String, String)> = extracted.components.iter().map(&key).collect();
        if &got != expected {
            let missing: Vec<_> = expected.difference(&got).collect();
            let extra: Vec<_> = got.difference(expected).collect();
            failures.push(format!(
                "{} ({}): missing {missing:?}, unexpected {extra:?}",
                case.fixture, case.name
            ));
        }
        for (name, version, line) in expected_lines(folder_name, &case) {
            let found = extracted
                .components
                .iter()
                .any(|c| key(c) == (name.clone(), version.clone()) && c.line == line);
            if !found {
                failures.push(format!(
                    "{} ({}): `{name}` `{version}` expected at line {line}",
                    case.fixture, case.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{folder_name}: {} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

/// [`check_cases`] over every default-configuration case of `folder_name`, each component
/// keyed by its name and version.
pub(super) fn check_default_cases(folder_name: &str, kind: Kind) -> usize {
    check_cases(
        folder_name,
        kind,
        cases(folder_name)
            .into_iter()
            .filter(|c| c.config.is_none()),
        |c| (c.name.clone(), c.version.clone().unwrap_or_default()),
    )
}

/// The (name, version, line) of every package whose line upstream asserts in `case`.
pub(super) fn expected_lines(folder_name: &str, case: &Case) -> Vec<(String, String, usize)> {
    let path = folder(folder_name).join(format!("{}.expected.json", case.fixture));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["test_name"].as_str() == Some(case.name.as_str()))
        .flat_map(|c| c["packages"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| {
            Some((
                p["name"].as_str()?.to_owned(),
                p["version"].as_str().unwrap_or_default().to_owned(),
                usize::try_from(p["line"].as_u64()?).ok()?,
            ))
        })
        .collect()
}

/// Parses truncations of every file under `folder_name` as `kind` (cut at up to ~200
/// places each, at and inside lines): truncated input must give problems, never a panic,
/// and every component's line must lie inside the text it came from. Returns how many
/// texts were parsed.
pub(super) fn truncations_hold(folder_name: &str, kind: Kind) -> usize {
    let root = folder(folder_name);
    let reader = RepoReader::new(root.clone());
    let mut parsed = 0;
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file()
            || entry.path().to_string_lossy().ends_with(".expected.json")
        {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        let step = (text.len() / 200).max(1);
        let cuts = (0..text.len())
            .step_by(step)
            .chain(text.match_indices('\n').map(|(i, _)| i))
            .filter(|i| text.is_char_boundary(*i));
        for cut in cuts {
            let prefix = &text[..cut];
            let got = super::parse(
                kind,
                &Input {
                    path: &rel,
                    text: prefix,
                    reader: &reader,
                },
            );
            let lines = prefix.lines().count().max(1);
            for c in got.components.iter().filter(|c| c.path == rel) {
                assert!(c.line >= 1 && c.line <= lines, "{rel}[..{cut}]: {c:?}");
            }
            for p in &got.problems {
                assert!(p.line >= 1, "{rel}[..{cut}]: {p:?}");
            }
            parsed += 1;
        }
    }
    parsed
}

/// Asserts that every expected package the upstream test places at a line is found at that
/// line (same name and version), for every default-configuration case of `folder_name`.
/// Returns how many located packages were checked; panics listing every disagreement.
pub(super) fn check_lines(folder_name: &str, kind: Kind) -> usize {
    let root = folder(folder_name);
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        let Some(fixture) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".expected.json"))
        else {
            continue;
        };
        let rel_dir = path.parent().unwrap().strip_prefix(&root).unwrap();
        let fixture = rel_dir.join(fixture).to_string_lossy().replace('\\', "/");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut extracted = None;
        for case in doc["cases"].as_array().unwrap() {
            if case.get("test_config").is_some() {
                continue;
            }
            for package in case["packages"].as_array().into_iter().flatten() {
                let Some(line) = package["line"].as_u64() else {
                    continue;
                };
                let name = package["name"].as_str().unwrap_or_default();
                let version = package["version"].as_str().unwrap_or_default();
                let got = extracted.get_or_insert_with(|| extract(folder_name, &fixture, kind));
                checked += 1;
                let at: Vec<usize> = got
                    .components
                    .iter()
                    .filter(|c| {
                        c.name == name && c.version.as_deref().unwrap_or_default() == version
                    })
                    .map(|c| c.line)
                    .collect();
                if !at.contains(&usize::try_from(line).unwrap()) {
                    failures.push(format!(
                        "{fixture}: {name} {version} expected at line {line}, found at {at:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{folder_name}: {} misplaced package(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}
