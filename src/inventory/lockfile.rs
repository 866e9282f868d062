//! What the lockfile parsers share: the [`Collector`] that builds an [`Extracted`] (one
//! component per name and version, everything in file order, a cap on problems), line
//! iteration and positions, and the block-YAML subset that `pnpm-lock.yaml` and berry's
//! `yarn.lock` are written in.
//!
//! Lockfiles are large (tens of thousands of entries) and machine-written, so the parsers
//! scan lines instead of building a general document tree: on a 5,000-package
//! `pnpm-lock.yaml` (1.4 MB), serde-saphyr takes about 300 ms in a release build and the
//! `toml` crate about 50 ms on a `Cargo.lock` of the same size, where these scans take a
//! few milliseconds.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashSet;

use super::{Component, Ecosystem, Extracted, Problem};

/// Problems listed per file; past this, one last problem says more were left out.
const MAX_PROBLEMS: usize = 100;

/// Builds what a parser read from one file.
pub(super) struct Collector<'a> {
    path: &'a str,
    ecosystem: Ecosystem,
    seen: HashSet<(String, Option<String>, Option<String>)>,
    out: Extracted,
    problems_left_out: bool,
}

impl<'a> Collector<'a> {
    pub(super) fn new(path: &'a str, ecosystem: Ecosystem) -> Collector<'a> {
        Collector {
            path,
            ecosystem,
            seen: HashSet::new(),
            out: Extracted::default(),
            problems_left_out: false,
        }
    }

    /// A component at an exact version. The same name and version declared again (a
    /// package installed at several places, a platform variant) is kept once, at its first
    /// line.
    pub(super) fn pinned(&mut self, name: &str, version: &str, line: usize) {
        self.add(name, Some(version), None, line);
    }

    /// A component the lockfile does not pin to a version (a git or file dependency), with
    /// what it is resolved from as written.
    pub(super) fn unpinned(&mut self, name: &str, requirement: &str, line: usize) {
        self.add(name, None, Some(requirement), line);
    }

    fn add(&mut self, name: &str, version: Option<&str>, requirement: Option<&str>, line: usize) {
        let key = (
            name.to_owned(),
            version.map(str::to_owned),
            requirement.map(str::to_owned),
        );
        if !self.seen.insert(key) {
            return;
        }
        self.out.components.push(Component {
            ecosystem: self.ecosystem,
            name: name.to_owned(),
            version: version.map(str::to_owned),
            requirement: requirement.map(str::to_owned),
            source_name: None,
            source_version: None,
            path: self.path.to_owned(),
            line,
        });
    }

    /// A part of the file that could not be read.
    pub(super) fn problem(&mut self, line: usize, column: usize, message: impl Into<String>) {
        if self.out.problems.len() < MAX_PROBLEMS {
            self.out.problems.push(Problem {
                line,
                column,
                message: message.into(),
            });
        } else {
            self.problems_left_out = true;
        }
    }

    /// Components and problems, each in file order.
    pub(super) fn finish(mut self) -> Extracted {
        self.out.components.sort_by_key(|c| c.line);
        self.out.problems.sort_by_key(|p| (p.line, p.column));
        if self.problems_left_out {
            let line = self.out.problems.last().map_or(1, |p| p.line);
            self.out.problems.push(Problem {
                line,
                column: 1,
                message: format!(
                    "more than {MAX_PROBLEMS} problems; the rest of this file's are not listed"
                ),
            });
        }
        self.out
    }
}

/// A problem with line `line` as a whole (column 1), for parsers that keep their own list
/// of problems.
pub(super) fn line_problem(line: usize, message: String) -> Problem {
    Problem {
        line,
        column: 1,
        message,
    }
}

/// The lines of `text` with their 1-based numbers, without terminators (`\n`, `\r\n`) and
/// without a leading byte-order mark.
pub(super) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
}

/// The 1-based column, in characters, of byte `at` of `line`.
pub(super) fn column(line: &str, at: usize) -> usize {
    line.get(..at).map_or(at, |before| before.chars().count()) + 1
}

/// Byte offsets to 1-based lines and columns.
pub(super) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(super) fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// Line and column of byte `offset`.
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let index = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[index];
        let line = self.text.get(start..).unwrap_or_default();
        (index + 1, column(line, offset - start))
    }
}

/// Lines and columns of byte offsets, with the index built on first use (only problems
/// need columns).
pub(super) struct Positions<'a> {
    text: &'a str,
    index: OnceCell<LineIndex<'a>>,
}

impl<'a> Positions<'a> {
    pub(super) fn new(text: &'a str) -> Positions<'a> {
        Positions {
            text,
            index: OnceCell::new(),
        }
    }

    /// Line and column of byte `offset`.
    pub(super) fn of(&self, offset: usize) -> (usize, usize) {
        self.index
            .get_or_init(|| LineIndex::new(self.text))
            .position(offset)
    }
}

/// A line of a block-style YAML file that holds something (not blank, not a comment).
pub(super) struct YamlLine<'a> {
    /// 1-based line number.
    pub(super) number: usize,
    /// Leading spaces.
    pub(super) indent: usize,
    /// The line after its indentation.
    pub(super) text: &'a str,
}

/// The lines of a YAML file that hold something.
pub(super) fn yaml_lines(text: &str) -> impl Iterator<Item = YamlLine<'_>> {
    lines(text).filter_map(|(number, line)| {
        let text = line.trim_start_matches(' ');
        let content = text.trim_end();
        if content.is_empty() || content.starts_with('#') {
            return None;
        }
        Some(YamlLine {
            number,
            indent: line.len() - text.len(),
            text: content,
        })
    })
}

/// Splits a block mapping entry `key: value` into its key and what follows the colon
/// (trimmed; empty when the value is a block below). `None` when the line is not a mapping
/// entry with a scalar key.
pub(super) fn yaml_entry(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, rest) = match text.as_bytes().first()? {
        b'"' | b'\'' => {
            let (key, len) = quoted(text).ok()?;
            (key, text[len..].trim_start())
        }
        b'-' if text.len() == 1 || text.as_bytes()[1] == b' ' => return None,
        b'[' | b'{' | b'?' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => {
            return None;
        }
        _ => {
            let bytes = text.as_bytes();
            let colon = (0..bytes.len()).find(|&i| {
                bytes[i] == b':' && bytes.get(i + 1).is_none_or(|&b| b == b' ' || b == b'\t')
            })?;
            let key = text[..colon].trim_end();
            if key.contains(" #") {
                return None;
            }
            (Cow::Borrowed(key), &text[colon..])
        }
    };
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    Some((key, if rest.starts_with('#') { "" } else { rest }))
}

/// A YAML value as written after `key:`.
#[derive(Debug, PartialEq)]
pub(super) enum YamlValue<'a> {
    /// Nothing on the line: the value is a block below, or null.
    Empty,
    /// A plain, single-quoted or double-quoted scalar.
    Scalar(Cow<'a, str>),
    /// A flow collection, block scalar, anchor, alias or tag: not read.
    Other,
}

/// Reads the value after `key:` (as [`yaml_entry`] returns it); `Err` says what is wrong.
pub(super) fn yaml_value(rest: &str) -> Result<YamlValue<'_>, String> {
    match rest.as_bytes().first() {
        None => Ok(YamlValue::Empty),
        Some(b'"' | b'\'') => {
            let (value, len) = quoted(rest)?;
            let after = rest[len..].trim_start();
            if after.is_empty() || after.starts_with('#') {
                Ok(YamlValue::Scalar(value))
            } else {
                Err(format!("unexpected text after a quoted value: `{after}`"))
            }
        }
        Some(b'{' | b'[' | b'|' | b'>' | b'&' | b'*' | b'!') => Ok(YamlValue::Other),
        Some(_) => {
            let value = rest.find(" #").map_or(rest, |i| &rest[..i]).trim_end();
            Ok(YamlValue::Scalar(Cow::Borrowed(value)))
        }
    }
}

/// Reads a quoted scalar at the start of `text` (`'…'` with `''` for a quote, or `"…"` with
/// backslash escapes), returning its value and the bytes it takes; it must end on the line.
pub(super) fn quoted(text: &str) -> Result<(Cow<'_, str>, usize), String> {
    let bytes = text.as_bytes();
    let quote = bytes[0];
    let body = &text[1..];
    // The common case: no escapes.
    let stop = body
        .bytes()
        .position(|b| b == quote || (quote == b'"' && b == b'\\'));
    match stop {
        None => return Err("a quoted string is not closed on its line".to_owned()),
        Some(i) if body.as_bytes()[i] == quote && body.as_bytes().get(i + 1) != Some(&quote) => {
            return Ok((Cow::Borrowed(&body[..i]), i + 2));
        }
        Some(_) => {}
    }
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == char::from(quote) {
            if quote == b'\'' && body[i + 1..].starts_with('\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            return Ok((Cow::Owned(out), i + 2));
        }
        if c == '\\' && quote == b'"' {
            let Some((at, e)) = chars.next() else { break };
            let hex = |n: usize, chars: &mut std::str::CharIndices<'_>| {
                let digits = body.get(at + 1..at + 1 + n)?;
                let code = u32::from_str_radix(digits, 16).ok()?;
                for _ in 0..n {
                    chars.next();
                }
                char::from_u32(code)
            };
            let decoded = match e {
                '"' => Some('"'),
                '\\' => Some('\\'),
                '/' => Some('/'),
                '0' => Some('\0'),
                'a' => Some('\u{7}'),
                'b' => Some('\u{8}'),
                'e' => Some('\u{1b}'),
                'f' => Some('\u{c}'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' | '\t' => Some('\t'),
                'v' => Some('\u{b}'),
                ' ' => Some(' '),
                'N' => Some('\u{85}'),
                '_' => Some('\u{a0}'),
                'L' => Some('\u{2028}'),
                'P' => Some('\u{2029}'),
                'x' => hex(2, &mut chars),
                'u' => hex(4, &mut chars),
                'U' => hex(8, &mut chars),
                _ => None,
            };
            match decoded {
                Some(d) => out.push(d),
                None => return Err(format!("an invalid escape `\\{e}` in a quoted string")),
            }
            continue;
        }
        out.push(c);
    }
    Err("a quoted string is not closed on its line".to_owned())
}

/// Splits an npm package descriptor `name@range` (`@scope/name@range`) at the `@` after
/// the name; `None` when there is no range.
pub(super) fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let from = usize::from(descriptor.starts_with('@'));
    let at = descriptor[from..].find('@')? + from;
    Some((&descriptor[..at], &descriptor[at + 1..]))
}

/// Whether `version` reads as an npm version number (`1.2.3`, `2.0.0-rc.1+build`) rather
/// than a commit, URL or path.
pub(super) fn looks_like_version(version: &str) -> bool {
    version.as_bytes().first().is_some_and(u8::is_ascii_digit) && version.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_values_of_the_yaml_subset() {
        assert_eq!(
            yaml_entry("/foo/1.0.0:"),
            Some((Cow::Borrowed("/foo/1.0.0"), ""))
        );
        assert_eq!(
            yaml_entry("file:..:  # a comment"),
            Some((Cow::Borrowed("file:.."), ""))
        );
        assert_eq!(
            yaml_entry("ansi-regex@https://codeload.github.com/x: {}"),
            Some((
                Cow::Borrowed("ansi-regex@https://codeload.github.com/x"),
                "{}"
            ))
        );
        assert_eq!(
            yaml_entry("'@foo/bar@1.0.0(re''act)':"),
            Some((Cow::Owned("@foo/bar@1.0.0(re'act)".to_owned()), ""))
        );
        assert_eq!(
            yaml_entry("\"a@npm:1, a@npm:2\":"),
            Some((Cow::Borrowed("a@npm:1, a@npm:2"), ""))
        );
        assert_eq!(yaml_entry("- item"), None);
        assert_eq!(yaml_entry("this is not valid yaml!"), None);
        assert_eq!(yaml_entry("'unterminated: x"), None);
        assert_eq!(yaml_entry("\"key\"x: 1"), None);

        assert_eq!(yaml_value(""), Ok(YamlValue::Empty));
        assert_eq!(
            yaml_value("1.0.0 # why"),
            Ok(YamlValue::Scalar(Cow::Borrowed("1.0.0")))
        );
        assert_eq!(
            yaml_value("'6.0'"),
            Ok(YamlValue::Scalar(Cow::Borrowed("6.0")))
        );
        assert_eq!(
            yaml_value(r#""a\tb\u00e9\x41""#),
            Ok(YamlValue::Scalar(Cow::Owned("a\tbéA".to_owned())))
        );
        assert_eq!(yaml_value("{integrity: x}"), Ok(YamlValue::Other));
        assert!(yaml_value("\"open").is_err());
        assert!(yaml_value(r#""bad \q""#).is_err());
        assert!(yaml_value("'x' y").is_err());
        // Truncated escapes never panic.
        for text in ["\"\\", "\"\\u12", "\"\\U", "\"é\\xé\"", "'", "\""] {
            let _ = yaml_value(text);
        }
    }

    #[test]
    fn descriptors_split_after_the_scope() {
        assert_eq!(split_descriptor("a@^1"), Some(("a", "^1")));
        assert_eq!(split_descriptor("@s/a@npm:b@1"), Some(("@s/a", "npm:b@1")));
        assert_eq!(split_descriptor("balanced-match"), None);
        assert_eq!(split_descriptor("@"), None);
    }

    #[test]
    fn positions_of_offsets() {
        let text = "ab\néx\n\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        assert_eq!(index.position(5), (2, 2));
        assert_eq!(index.position(7), (3, 1));
        assert_eq!(index.position(8), (4, 1));
        let lines: Vec<_> = lines("\u{feff}a\r\nb").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b")]);
    }

    #[test]
    fn the_collector_keeps_one_of_each_and_file_order() {
        let mut c = Collector::new("x.lock", Ecosystem::Npm);
        c.pinned("b", "1.0.0", 9);
        c.pinned("a", "1.0.0", 3);
        c.pinned("b", "1.0.0", 12);
        c.unpinned("b", "file:../b", 14);
        c.problem(7, 2, "late");
        c.problem(2, 1, "early");
        let out = c.finish();
        let got: Vec<_> = out
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.version.as_deref(), c.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", Some("1.0.0"), 3),
                ("b", Some("1.0.0"), 9),
                ("b", None, 14)
            ]
        );
        assert_eq!(out.components[2].requirement.as_deref(), Some("file:../b"));
        assert_eq!(out.problems[0].message, "early");

        let mut c = Collector::new("x.lock", Ecosystem::Npm);
        for i in 0..=MAX_PROBLEMS {
            c.problem(i + 1, 1, "bad");
        }
        let out = c.finish();
        assert_eq!(out.problems.len(), MAX_PROBLEMS + 1);
        assert!(out.problems[MAX_PROBLEMS].message.starts_with("more than"));
    }
}
