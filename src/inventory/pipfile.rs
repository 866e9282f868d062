//! Pipenv's `Pipfile.lock`: the packages of `default` and then `develop`, each pinned
//! with `==`. A package in both sections at the same version is listed once, from
//! `default`. Entries without a version (VCS and path dependencies) declare no release
//! and are skipped; a version not pinned with `==` is a [`Problem`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::poetry::LineIndex;
use super::{Component, Ecosystem, Extracted, Input, Problem};

const SECTIONS: [&str; 2] = ["default", "develop"];

/// Reads a `Pipfile.lock`.
pub(crate) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Extracted::default();
    if input.text.trim().is_empty() {
        return out;
    }
    let document: Value = match serde_json::from_str(input.text) {
        Ok(document) => document,
        Err(error) => {
            out.problems.push(Problem {
                line: error.line().max(1),
                column: error.column().max(1),
                message: format!("not a valid `Pipfile.lock`: {error}"),
            });
            return out;
        }
    };
    let lines = key_lines(input.text);
    let mut seen = BTreeSet::new();
    for section in SECTIONS {
        let Some(packages) = document.get(section) else {
            continue;
        };
        let Some(packages) = packages.as_object() else {
            out.problems.push(Problem {
                line: 1,
                column: 1,
                message: format!("`{section}` is not an object"),
            });
            continue;
        };
        for (name, package) in packages {
            let line = lines.get(&(section, name.clone())).copied().unwrap_or(1);
            let Some(version) = package.get("version") else {
                continue; // a VCS or path dependency
            };
            let pinned = version.as_str().and_then(|v| v.strip_prefix("=="));
            match pinned {
                Some(pin) if !pin.is_empty() => {
                    if seen.insert((name.clone(), pin.to_owned())) {
                        out.components.push(Component {
                            ecosystem: Ecosystem::PyPI,
                            name: name.clone(),
                            version: Some(pin.to_owned()),
                            requirement: None,
                            source_name: None,
                            source_version: None,
                            path: input.path.to_owned(),
                            line,
                        });
                    }
                }
                _ => out.problems.push(Problem {
                    line,
                    column: 1,
                    message: format!(
                        "version {version} of `{name}` is not pinned with `==`; skipped"
                    ),
                }),
            }
        }
    }
    out
}

/// The line of every key directly inside the top-level `default` and `develop` objects.
/// The text is valid JSON (serde has read it), so a plain scan suffices.
fn key_lines(text: &str) -> BTreeMap<(&'static str, String), usize> {
    let index = LineIndex::new(text);
    let bytes = text.as_bytes();
    let mut out = BTreeMap::new();
    // Open containers; the section is set while inside the top-level object's
    // `default`/`develop` value.
    let mut depth = 0usize;
    let mut section: Option<&'static str> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth < 2 {
                    section = None;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let raw = text.get(start..=i).unwrap_or("");
                let is_key = bytes
                    .get(i + 1..)
                    .unwrap_or_default()
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .is_some_and(|&b| b == b':');
                if is_key {
                    let key: String = serde_json::from_str(raw).unwrap_or_default();
                    if depth == 1 {
                        section = SECTIONS.into_iter().find(|s| *s == key);
                    } else if let (2, Some(section)) = (depth, section) {
                        out.entry((section, key)).or_insert(index.line(start));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::inventory::Kind;
    use crate::inventory::fixtures::{self, found};

    fn run(text: &str) -> Extracted {
        fixtures::parse_text(Kind::PipfileLock, "Pipfile.lock", text)
    }

    #[test]
    fn sections_in_order_and_duplicates_once() {
        let got = run(r#"{
  "_meta": {"sources": [{"name": "pypi"}], "default": {}},
  "default": {
    "requests": {"version": "==2.31.0", "markers": "{\"x\": 1}"},
    "a\"b": {"version": "==1"}
  },
  "develop": {
    "requests": {"version": "==2.31.0"},
    "pytest": {"hashes": ["sha256:{"], "version": "==8.0.0"},
    "local": {"editable": true, "path": "."}
  }
}"#);
        assert_eq!(
            found(&got),
            [
                ("requests", "2.31.0", 4),
                ("a\"b", "1", 5),
                ("pytest", "8.0.0", 9),
            ]
        );
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn unpinned_versions_and_bad_json_are_problems() {
        let got =
            run("{\"default\": {\"x\": {\"version\": \"*\"}, \"y\": {\"version\": \"==1\"}}}");
        assert_eq!(got.components.len(), 1);
        assert_eq!(got.problems.len(), 1);
        assert!(got.problems[0].message.contains("`x`"));
        let got = run("{\"default\": {\"x\": \n");
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].line, 2);
        assert!(run("  \n").problems.is_empty());
    }

    #[test]
    fn fixtures_agree() {
        let checked = fixtures::check_default_cases("pipfile-lock", Kind::PipfileLock);
        assert_eq!(checked, 10);
    }

    #[test]
    fn truncated_files_give_problems_not_panics() {
        assert!(fixtures::truncations_hold("pipfile-lock", Kind::PipfileLock) > 100);
    }
}
