//! Poetry's `poetry.lock`: every `[[package]]` table with its `name` and `version`
//! (lock file versions 1 and 2), at the line of its `name` key.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Component, Ecosystem, Extracted, Input, Problem};

/// Reads a `poetry.lock`.
pub(crate) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Extracted::default();
    let lines = LineIndex::new(input.text);
    let document = match DeTable::parse(input.text) {
        Ok(document) => document,
        Err(error) => {
            let at = error.span().map_or(0, |s| s.start);
            let message = error.message().lines().next().unwrap_or("").trim();
            out.problems.push(Problem {
                line: lines.line(at),
                column: lines.column(input.text, at),
                message: format!("not a valid `poetry.lock`: {message}"),
            });
            return out;
        }
    };
    let Some(packages) = field(document.get_ref(), "package") else {
        return out; // no dependencies
    };
    let Some(packages) = packages.get_ref().as_array() else {
        out.problems.push(Problem {
            line: lines.line(packages.span().start),
            column: 1,
            message: "`package` is not an array of tables".to_owned(),
        });
        return out;
    };
    for package in packages {
        let at = package.span().start;
        let Some(table) = package.get_ref().as_table() else {
            out.problems.push(Problem {
                line: lines.line(at),
                column: 1,
                message: "a `package` entry is not a table".to_owned(),
            });
            continue;
        };
        let name = field(table, "name");
        let version = field(table, "version");
        match (
            name.and_then(|n| n.get_ref().as_str()),
            version.and_then(|v| v.get_ref().as_str()),
        ) {
            (Some(name_text), Some(version_text)) => out.components.push(Component {
                ecosystem: Ecosystem::PyPI,
                name: name_text.to_owned(),
                version: Some(version_text.to_owned()),
                requirement: None,
                source_name: None,
                source_version: None,
                path: input.path.to_owned(),
                line: lines.line(name_key_start(table).unwrap_or(at)),
            }),
            (Some(name_text), None) => out.problems.push(Problem {
                line: lines.line(name_key_start(table).unwrap_or(at)),
                column: 1,
                message: format!("package `{name_text}` has no string `version`; skipped"),
            }),
            (None, _) => out.problems.push(Problem {
                line: lines.line(at),
                column: 1,
                message: "a `[[package]]` has no string `name`; skipped".to_owned(),
            }),
        }
    }
    out
}

/// The value of `key` in `table`.
fn field<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// Where the `name` key of a package table starts.
fn name_key_start(table: &DeTable<'_>) -> Option<usize> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "name")
        .map(|(k, _)| k.span().start)
}

/// Byte offsets to 1-based lines and columns, by binary search over line starts.
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The index of `text`'s lines.
    pub(super) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset`.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }

    /// The 1-based column (in characters) of byte `offset` of `text`.
    pub(super) fn column(&self, text: &str, offset: usize) -> usize {
        let start = self.starts[self.line(offset) - 1];
        text.get(start..offset.min(text.len()))
            .map_or(1, |s| s.chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::inventory::Kind;
    use crate::inventory::fixtures::{self, found};

    fn run(text: &str) -> Extracted {
        fixtures::parse_text(Kind::PoetryLock, "poetry.lock", text)
    }

    #[test]
    fn packages_at_their_name_line() {
        let got = run(
            "# generated\n[[package]]\nname = \"numpy\"\nversion = \"1.23.3\"\n\n[package.dependencies]\nsix = \"*\"\n\n[[package]]\nversion = \"2.0\"\nname = \"Django\"\n\n[metadata]\nlock-version = \"2.0\"\n",
        );
        assert_eq!(found(&got), [("numpy", "1.23.3", 3), ("Django", "2.0", 11)]);
        assert!(got.problems.is_empty());
    }

    #[test]
    fn a_bad_entry_does_not_hide_the_others() {
        let got = run(
            "[[package]]\nname = \"a\"\n\n[[package]]\nname = \"b\"\nversion = \"1\"\n\n[[package]]\nversion = \"2\"\n",
        );
        assert_eq!(got.components.len(), 1);
        let problems: Vec<_> = got.problems.iter().map(|p| p.line).collect();
        assert_eq!(problems, [2, 8]);
    }

    #[test]
    fn invalid_toml_is_one_problem_with_its_place() {
        let got = run("[[package]]\nname = \"a\"\nversion = \n");
        assert!(got.components.is_empty());
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].line, 3);
        assert!(got.problems[0].message.contains("poetry.lock"));
        let got = run("package = \"x\"\n");
        assert_eq!(got.problems.len(), 1);
    }

    #[test]
    fn line_index() {
        let text = "ab\ncd\n\nü";
        let index = LineIndex::new(text);
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(2), 1);
        assert_eq!(index.line(3), 2);
        assert_eq!(index.line(7), 4);
        assert_eq!(index.column(text, 4), 2);
    }

    #[test]
    fn fixtures_agree() {
        let checked = fixtures::check_default_cases("poetry-lock", Kind::PoetryLock);
        assert_eq!(checked, 11);
        assert_eq!(fixtures::check_folder("poetry-lock", Kind::PoetryLock), 11);
    }

    #[test]
    fn truncated_files_give_problems_not_panics() {
        assert!(fixtures::truncations_hold("poetry-lock", Kind::PoetryLock) > 100);
    }
}
