//! `pnpm-lock.yaml`: the entries of `packages`, in lockfile versions 5.x
//! (`/name/1.0.0_peer@2.0.0`, with a registry host in front for other registries), 6.x
//! (`/name@1.0.0(peer@2.0.0)`) and 9.x (`name@1.0.0`, peers in `snapshots`). An entry's
//! `name` and `version` fields, when present (git, tarball and directory dependencies),
//! override what its key says. Each package is read at the line of its key.
//!
//! pnpm writes block-style YAML; the file is scanned line by line for the top-level keys and
//! the `packages` entries with their `name` and `version`, everything else is skipped.

use std::borrow::Cow;

use super::lockfile::{
    self, Collector, YamlValue, looks_like_version, split_descriptor, yaml_entry, yaml_lines,
    yaml_value,
};
use super::{Ecosystem, Extracted, Input};

/// Reads a `pnpm-lock.yaml`.
pub(super) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Collector::new(input.path, Ecosystem::Npm);
    let scan = scan(input.text, &mut out);
    let declared = scan.version.as_ref().map(|v| (v, syntax(&v.text)));
    match &declared {
        Some((version, None)) => out.problem(
            version.line,
            version.column,
            format!(
                "lockfileVersion {} is not one hardline knows (5.x, 6.x or 9.x); its packages \
                 are read by the shape of their keys",
                version.text
            ),
        ),
        None if !scan.entries.is_empty() => out.problem(
            1,
            1,
            "the file has no lockfileVersion; its packages are read by the shape of their keys",
        ),
        _ => {}
    }
    for entry in &scan.entries {
        let syntax = declared.as_ref().and_then(|(_, s)| *s).unwrap_or_else(|| {
            if entry.key.starts_with('/') {
                Syntax::Path
            } else {
                Syntax::Name
            }
        });
        entry.read(syntax, &mut out);
    }
    out.finish()
}

/// How package keys are written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Syntax {
    /// Versions 5 and 6: `/name/1.0.0`, `/name@1.0.0`, `host/name/1.0.0`.
    Path,
    /// Version 9: `name@1.0.0`.
    Name,
}

/// The key syntax of a known lockfile version.
fn syntax(version: &str) -> Option<Syntax> {
    let major = version.split('.').next().unwrap_or_default();
    match major.parse::<u32>().ok()? {
        5 | 6 => Some(Syntax::Path),
        9 => Some(Syntax::Name),
        _ => None,
    }
}

struct Scan<'a> {
    version: Option<Located<'a>>,
    entries: Vec<Entry<'a>>,
}

/// A scalar and where it is.
struct Located<'a> {
    text: Cow<'a, str>,
    line: usize,
    column: usize,
}

/// An entry of `packages`.
struct Entry<'a> {
    key: Cow<'a, str>,
    line: usize,
    column: usize,
    name: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    field_indent: Option<usize>,
}

#[derive(PartialEq)]
enum Section {
    Packages,
    Other,
}

fn scan<'a>(text: &'a str, out: &mut Collector<'_>) -> Scan<'a> {
    let mut scan = Scan {
        version: None,
        entries: Vec::new(),
    };
    let mut section = Section::Other;
    let mut entry_indent = None;
    // Whether the last entry line was read (its fields belong to it).
    let mut in_entry = false;
    for line in yaml_lines(text) {
        let column = line.indent + 1;
        if line.text.starts_with('\t') {
            out.problem(
                line.number,
                column,
                "YAML does not allow tabs for indentation",
            );
            continue;
        }
        if line.indent == 0 {
            section = Section::Other;
            if matches!(line.text, "---" | "...") || line.text.starts_with("--- ") {
                continue;
            }
            if line.text == "-" || line.text.starts_with("- ") {
                // An item of a sequence written at its key's indentation.
                continue;
            }
            let Some((key, rest)) = yaml_entry(line.text) else {
                out.problem(
                    line.number,
                    column,
                    "expected a `key: value` entry at the top level of the lockfile",
                );
                continue;
            };
            match key.as_ref() {
                "lockfileVersion" => match yaml_value(rest) {
                    Ok(YamlValue::Scalar(value)) => {
                        scan.version = Some(Located {
                            text: value,
                            line: line.number,
                            column: lockfile::column(line.text, line.text.len() - rest.len()),
                        });
                    }
                    _ => out.problem(line.number, column, "lockfileVersion is not a version"),
                },
                "packages" => match rest.split(" #").next().unwrap_or_default().trim_end() {
                    "" => {
                        section = Section::Packages;
                        entry_indent = None;
                        in_entry = false;
                    }
                    "{}" | "null" | "~" => {}
                    _ => out.problem(line.number, column, "`packages` is not a mapping"),
                },
                _ => {}
            }
            continue;
        }
        if section != Section::Packages {
            continue;
        }
        let indent = *entry_indent.get_or_insert(line.indent);
        if line.indent < indent {
            out.problem(
                line.number,
                column,
                "this line is indented less than the package entries before it",
            );
            in_entry = false;
            continue;
        }
        if line.indent == indent {
            if in_entry && (line.text == ":" || line.text.starts_with(": ")) {
                // The value of a `? key` entry (js-yaml writes keys over 1024 characters so,
                // as long peer suffixes make them): its first field follows on this line.
                let first = line.text[1..].trim_start();
                if let Some(entry) = scan.entries.last_mut()
                    && !first.is_empty()
                {
                    let at = indent + 2;
                    if *entry.field_indent.get_or_insert(at) == at {
                        entry.field(first, line.number, at + 1, out);
                    }
                }
                continue;
            }
            in_entry = false;
            let key = match line.text.strip_prefix("? ") {
                Some(key) => match yaml_value(key.trim_start()) {
                    Ok(YamlValue::Scalar(key)) => Some(key),
                    _ => None,
                },
                None => yaml_entry(line.text).map(|(key, _)| key),
            };
            match key {
                Some(key) if !key.is_empty() => {
                    scan.entries.push(Entry {
                        key,
                        line: line.number,
                        column,
                        name: None,
                        version: None,
                        field_indent: None,
                    });
                    in_entry = true;
                }
                _ => out.problem(line.number, column, "expected a package entry `key:`"),
            }
            continue;
        }
        let Some(entry) = scan.entries.last_mut().filter(|_| in_entry) else {
            continue;
        };
        if *entry.field_indent.get_or_insert(line.indent) == line.indent {
            entry.field(line.text, line.number, column, out);
        }
    }
    scan
}

impl<'a> Entry<'a> {
    /// A `key: value` line of the entry: `name` and `version` are kept.
    fn field(&mut self, text: &'a str, line: usize, column: usize, out: &mut Collector<'_>) {
        let Some((key, rest)) = yaml_entry(text) else {
            return;
        };
        let slot = match key.as_ref() {
            "name" => &mut self.name,
            "version" => &mut self.version,
            _ => return,
        };
        match yaml_value(rest) {
            Ok(YamlValue::Scalar(value)) if !value.is_empty() => *slot = Some(value),
            Ok(_) => out.problem(line, column, format!("`{key}` is not a single value")),
            Err(message) => out.problem(line, column, message),
        }
    }

    fn read(&self, syntax: Syntax, out: &mut Collector<'_>) {
        let key = self.key.as_ref();
        let (key_name, key_version) = match syntax {
            Syntax::Path => match from_path(key) {
                Ok(found) => found,
                Err(()) if self.name.is_none() || self.version.is_none() => {
                    out.problem(
                        self.line,
                        self.column,
                        format!("invalid dependency path `{key}`"),
                    );
                    return;
                }
                Err(()) => (None, None),
            },
            Syntax::Name => from_name(key),
        };
        let Some(name) = self.name.as_deref().or(key_name) else {
            out.problem(
                self.line,
                self.column,
                format!("cannot tell the package name of entry `{key}`"),
            );
            return;
        };
        match self.version.as_deref().or(key_version) {
            Some(version) => out.pinned(name, version, self.line),
            None => out.problem(
                self.line,
                self.column,
                format!("cannot tell the version of entry `{key}`"),
            ),
        }
    }
}

/// Without the peer suffix of versions 6 and 9: `a@1.0.0(b@2.0.0)` is `a@1.0.0`.
fn without_peers(key: &str) -> &str {
    key.find('(').map_or(key, |i| &key[..i])
}

/// The name and version in a version 5 or 6 key (`/name/1.0.0_peer`, `/@s/name@1.0.0(peer)`,
/// `registry.example.com/name/1.0.0`); `file:` keys say neither. `Err` for a key that is not
/// a path.
fn from_path(key: &str) -> Result<(Option<&str>, Option<&str>), ()> {
    if key.starts_with("file:") {
        return Ok((None, None));
    }
    let key = without_peers(key);
    // What follows the first `/` (after the host, or the leading `/`).
    let rest = &key[key.find('/').ok_or(())? + 1..];
    let name_len = if rest.starts_with('@') {
        match rest.find('/') {
            Some(i) => rest[i + 1..].find('/').map_or(rest.len(), |j| i + 1 + j),
            None => rest.len(),
        }
    } else {
        rest.find('/').unwrap_or(rest.len())
    };
    let name = &rest[..name_len];
    let segment = rest[name_len..]
        .strip_prefix('/')
        .and_then(|after| after.split('/').next())
        .filter(|v| !v.is_empty());
    let (name, version) = match segment {
        // Version 5: `/name/1.0.0_peer@2.0.0`.
        Some(version) => (name, version.split('_').next().unwrap_or_default()),
        // Version 6: `/name@1.0.0`.
        None => match name.rfind('@').filter(|&i| i > 0) {
            Some(i) => (&name[..i], &name[i + 1..]),
            None => (name, ""),
        },
    };
    let name = (!name.is_empty()).then_some(name);
    Ok((name, Some(version).filter(|v| looks_like_version(v))))
}

/// The name and version in a version 9 key (`name@1.0.0(peer)`, `@s/name@1.0.0`,
/// `name@https://…` whose version is a field).
fn from_name(key: &str) -> (Option<&str>, Option<&str>) {
    let key = without_peers(key);
    match split_descriptor(key) {
        Some((name, version)) => (
            (!name.is_empty()).then_some(name),
            Some(version).filter(|v| looks_like_version(v)),
        ),
        None => ((!key.is_empty()).then_some(key), None),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Kind;
    use super::super::fixtures::{self, found, messages};
    use super::*;

    fn read(text: &str) -> Extracted {
        fixtures::parse_text(Kind::PnpmLock, "pnpm-lock.yaml", text)
    }

    #[test]
    fn agrees_with_the_peer_scanners_fixtures() {
        assert!(fixtures::check_folder("pnpm-lock", Kind::PnpmLock) >= 30);
        assert!(fixtures::check_lines("pnpm-lock", Kind::PnpmLock) >= 90);
    }

    #[test]
    fn keys_of_each_lockfile_version() {
        for (key, syntax, expected) in [
            ("/foo/1.0.0", Syntax::Path, (Some("foo"), Some("1.0.0"))),
            (
                "/@s/foo/1.0.0_react@18.0.0",
                Syntax::Path,
                (Some("@s/foo"), Some("1.0.0")),
            ),
            (
                "registry.npmjs.org/@s/foo/1.1.0",
                Syntax::Path,
                (Some("@s/foo"), Some("1.1.0")),
            ),
            (
                "/foo@1.0.0-rc.1(react@18.0.0)",
                Syntax::Path,
                (Some("foo"), Some("1.0.0-rc.1")),
            ),
            (
                "/@s/foo@1.0.0(@s/bar@2.0.0(react@18.0.0))",
                Syntax::Path,
                (Some("@s/foo"), Some("1.0.0")),
            ),
            (
                "github.com/kevva/is-positive",
                Syntax::Path,
                (Some("kevva"), None),
            ),
            ("github.com/o/r/0123abcd", Syntax::Path, (Some("o"), None)),
            ("file:../local", Syntax::Path, (None, None)),
            ("foo@1.0.0", Syntax::Name, (Some("foo"), Some("1.0.0"))),
            (
                "@s/foo@1.0.0(react@18.0.0)",
                Syntax::Name,
                (Some("@s/foo"), Some("1.0.0")),
            ),
            (
                "foo@https://codeload.github.com/o/r/tar.gz/0123",
                Syntax::Name,
                (Some("foo"), None),
            ),
            ("foo", Syntax::Name, (Some("foo"), None)),
        ] {
            let got = match syntax {
                Syntax::Path => from_path(key).unwrap(),
                Syntax::Name => from_name(key),
            };
            assert_eq!(got, expected, "{key}");
        }
        assert_eq!(from_path("invalidpath"), Err(()));
    }

    #[test]
    fn version_9_packages_not_snapshots() {
        let text = "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n\nimporters:\n\n  .:\n    dependencies:\n      '@s/a':\n        specifier: ^1.0.0\n        version: 1.0.0(react@18.2.0)\n\npackages:\n\n  '@s/a@1.0.0':\n    resolution: {integrity: sha512-x}\n    peerDependencies:\n      react: '>=18'\n\n  react@18.2.0:\n    resolution: {integrity: sha512-y}\n    engines: {node: '>=0.10.0'}\n\n  from-git@https://codeload.github.com/o/r/tar.gz/0123abc:\n    resolution: {tarball: https://codeload.github.com/o/r/tar.gz/0123abc}\n    version: 2.1.0\n\nsnapshots:\n\n  '@s/a@1.0.0(react@18.2.0)':\n    dependencies:\n      react: 18.2.0\n\n  react@18.2.0: {}\n";
        let out = read(text);
        assert_eq!(messages(&out), vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("@s/a", "1.0.0", 16),
                ("react", "18.2.0", 21),
                ("from-git", "2.1.0", 25)
            ]
        );
        assert!(out.components.iter().all(|c| c.ecosystem == Ecosystem::Npm));
    }

    #[test]
    fn long_keys_written_as_explicit_entries() {
        let peers = "(react@18.2.0)".repeat(80);
        let text = format!(
            "lockfileVersion: '6.0'\n\npackages:\n\n  ? /long@1.0.0{peers}\n  : resolution: {{integrity: sha512-x}}\n    dev: false\n\n  ? file:../dir\n  : name: local\n    version: 3.0.0\n\n  /short@2.0.0:\n    resolution: {{integrity: sha512-y}}\n"
        );
        let out = read(&text);
        assert_eq!(messages(&out), vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("long", "1.0.0", 5),
                ("local", "3.0.0", 9),
                ("short", "2.0.0", 13)
            ]
        );
    }

    #[test]
    fn unknown_or_missing_versions_and_bad_entries_are_problems() {
        let text = "lockfileVersion: 5.4\n\npackages:\n\n  /a/1.0.0:\n    dev: false\n\n  invalidpath:\n    dev: false\n\n  github.com/o/nameless:\n    resolution: {tarball: x}\n\n  file:../dir:\n    version: 1.0.0\n\n  /b/2.0.0:\n    name: [b]\n\n  - not an entry\n  /c/3.0.0:\n    version: \"3.0\n";
        let out = read(text);
        // `b`'s bad `name` field leaves the name its key gives.
        assert_eq!(
            found(&out),
            vec![("a", "1.0.0", 5), ("b", "2.0.0", 17), ("c", "3.0.0", 21)]
        );
        assert_eq!(
            messages(&out),
            vec![
                (8, 3, "invalid dependency path `invalidpath`"),
                (
                    11,
                    3,
                    "cannot tell the version of entry `github.com/o/nameless`"
                ),
                (14, 3, "cannot tell the package name of entry `file:../dir`"),
                (18, 5, "`name` is not a single value"),
                (20, 3, "expected a package entry `key:`"),
                (22, 5, "a quoted string is not closed on its line"),
            ]
        );
        let out = read("lockfileVersion: '10.0'\npackages:\n  a@1.0.0: {}\n  /b/2.0.0: {}\n");
        assert_eq!(found(&out), vec![("a", "1.0.0", 3), ("b", "2.0.0", 4)]);
        assert_eq!(out.problems.len(), 1);
        assert_eq!((out.problems[0].line, out.problems[0].column), (1, 18));
        let out = read("packages:\n  a@1.0.0: {}\n");
        assert_eq!(found(&out), vec![("a", "1.0.0", 2)]);
        assert_eq!(out.problems.len(), 1);
    }

    #[test]
    fn documents_that_are_not_lockfiles_are_problems() {
        assert_eq!(read("").problems, vec![]);
        assert_eq!(read("# only a comment\n").problems, vec![]);
        assert_eq!(read("lockfileVersion: '6.0'\n").problems, vec![]);
        for text in [
            "this is not valid yaml!",
            "lockfileVersion: [6]\n",
            "packages: [a]\n",
            "packages:\n\t/a/1.0.0:\n",
        ] {
            let out = read(text);
            assert_eq!(out.components, vec![], "{text}");
            assert_eq!(out.problems.len(), 1, "{text}: {:?}", out.problems);
        }
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "packages:\n  '",
            "packages:\n  /:\n",
            "packages:\n  /@:\n",
            "packages:\n  '/@s':\n",
            "packages:\n  a@:\n",
            "packages:\n  '@':\n",
            "packages:\n  (:\n",
            "packages:\n    a@1.0.0:\n  b@1.0.0:\n      version: x\n",
            "lockfileVersion: x\npackages:\n  é/é/é:\n",
        ] {
            let _ = read(text);
        }
    }

    #[test]
    fn thousands_of_packages_are_read_quickly() {
        let mut text = String::from(
            "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n\npackages:\n\n",
        );
        for i in 0..5_000 {
            text.push_str(&format!("  pkg-{i}@1.{i}.0:\n    resolution: {{integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}}\n    engines: {{node: '>=0.4.0'}}\n    hasBin: true\n\n"));
        }
        text.push_str("snapshots:\n\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "  pkg-{i}@1.{i}.0(react@18.2.0):\n    dependencies:\n      a-{i}: 1.0.0\n\n"
            ));
        }
        let start = std::time::Instant::now();
        let out = read(&text);
        let elapsed = start.elapsed();
        assert_eq!(out.problems, vec![]);
        assert_eq!(out.components.len(), 5_000);
        assert_eq!(out.components[4_999].line, 8 + 5 * 4_999);
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }
}
