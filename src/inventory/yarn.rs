//! `yarn.lock`, classic (v1) and berry (v2 and later, YAML with a `__metadata` entry).
//!
//! Each entry is headed by the descriptors it resolves (`"a@^1.0.0", a@^1.1.0:` in classic
//! files, `"a@npm:^1.0.0, a@npm:^1.1.0":` in berry ones) and is one package: named by berry's
//! `resolution`, else by the first descriptor (an `npm:` alias by the package it aliases),
//! at the `version` the entry locks. git, file, link and patch entries are packages like the
//! others; the project itself (the `workspace:.` entry) is not. Each package is read at the
//! line of its header.

use std::borrow::Cow;

use super::lockfile::{Collector, YamlValue, column, lines, quoted, split_descriptor, yaml_value};
use super::{Ecosystem, Extracted, Input};

/// Reads a `yarn.lock`.
pub(super) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Collector::new(input.path, Ecosystem::Npm);
    let mut current: Option<Entry<'_>> = None;
    let mut orphans_reported = false;
    for (number, raw) in lines(input.text) {
        let text = raw.trim_start_matches(' ');
        let content = text.trim_end();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = raw.len() - text.len();
        if indent == 0 {
            if content == ":" && current.as_ref().is_some_and(|e| e.explicit_key) {
                // The value indicator after a long `? "key"` (berry).
                continue;
            }
            if let Some(entry) = current.take() {
                entry.finish(&mut out);
            }
            current = Some(Entry::header(content, number, &mut out));
            continue;
        }
        let Some(entry) = current.as_mut() else {
            if !orphans_reported {
                out.problem(number, indent + 1, "an indented line before any entry");
                orphans_reported = true;
            }
            continue;
        };
        if entry.broken {
            continue;
        }
        if *entry.field_indent.get_or_insert(indent) == indent {
            entry.field(content, number, column(raw, indent), &mut out);
        }
    }
    if let Some(entry) = current {
        entry.finish(&mut out);
    }
    out.finish()
}

/// An entry: its header and the fields read so far.
struct Entry<'a> {
    line: usize,
    descriptors: Vec<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    resolution: Option<Cow<'a, str>>,
    field_indent: Option<usize>,
    /// `__metadata` (berry): not a package.
    metadata: bool,
    /// The header came as `? "key"` (berry writes keys over 1024 characters so).
    explicit_key: bool,
    /// The header could not be read (reported); its fields are skipped.
    broken: bool,
}

impl<'a> Entry<'a> {
    fn header(content: &'a str, line: usize, out: &mut Collector<'_>) -> Entry<'a> {
        let mut entry = Entry {
            line,
            descriptors: Vec::new(),
            version: None,
            resolution: None,
            field_indent: None,
            metadata: false,
            explicit_key: false,
            broken: false,
        };
        let key = if let Some(key) = content.strip_prefix("? ") {
            entry.explicit_key = true;
            key.trim_start()
        } else if let Some(key) = content.strip_suffix(':') {
            key.trim_end()
        } else {
            out.problem(
                line,
                1,
                format!("expected an entry header ending in `:`, found `{content}`"),
            );
            entry.broken = true;
            return entry;
        };
        if key == "__metadata" {
            entry.metadata = true;
            return entry;
        }
        match descriptors(key) {
            Ok(descriptors) if !descriptors.is_empty() => entry.descriptors = descriptors,
            Ok(_) => {
                out.problem(line, 1, "an entry header names no package");
                entry.broken = true;
            }
            Err(message) => {
                out.problem(line, 1, format!("cannot read the entry header: {message}"));
                entry.broken = true;
            }
        }
        entry
    }

    /// A `key value` (classic) or `key: value` (berry) line of the entry.
    fn field(&mut self, content: &'a str, line: usize, column: usize, out: &mut Collector<'_>) {
        let (key, rest) = if content.starts_with('"') {
            match quoted(content) {
                Ok((key, len)) => (key, &content[len..]),
                Err(message) => {
                    out.problem(line, column, message);
                    return;
                }
            }
        } else {
            let end = content.find([' ', ':']).unwrap_or(content.len());
            (Cow::Borrowed(&content[..end]), &content[end..])
        };
        let slot = match key.as_ref() {
            "version" => &mut self.version,
            "resolution" => &mut self.resolution,
            _ => return,
        };
        let value = match rest.strip_prefix(':') {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => yaml_value(rest.trim()),
            Some(_) => Err(format!("cannot read the `{key}` line")),
            None => yaml_value(rest.trim()),
        };
        match value {
            Ok(YamlValue::Scalar(value)) if !value.is_empty() => *slot = Some(value),
            Ok(_) => out.problem(line, column, format!("`{key}` is not a single value")),
            Err(message) => out.problem(line, column, message),
        }
    }

    fn finish(self, out: &mut Collector<'_>) {
        if self.broken || self.metadata {
            return;
        }
        let root = self
            .descriptors
            .iter()
            .any(|d| split_descriptor(d).is_some_and(|(_, range)| range == "workspace:."))
            || self
                .resolution
                .as_deref()
                .is_some_and(|r| r.ends_with("@workspace:."));
        if root {
            return;
        }
        let name = match self.resolution.as_deref().and_then(split_descriptor) {
            Some((name, _)) => name,
            None => package_name(&self.descriptors[0]),
        };
        if name.is_empty() {
            out.problem(self.line, 1, "cannot tell the package name from the header");
            return;
        }
        match self.version.as_deref() {
            Some(version) => out.pinned(name, version, self.line),
            None => out.problem(self.line, 1, format!("package `{name}` has no `version`")),
        }
    }
}

/// The descriptors of a header (without its colon): comma-separated, each quoted or not; a
/// quoted one may hold several (berry).
fn descriptors<'a>(key: &'a str) -> Result<Vec<Cow<'a, str>>, String> {
    let mut out = Vec::new();
    let mut push = |text: Cow<'a, str>| match text {
        Cow::Borrowed(text) => out.extend(
            text.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(Cow::Borrowed),
        ),
        Cow::Owned(text) => out.extend(
            text.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| Cow::Owned(d.to_owned())),
        ),
    };
    let mut rest = key.trim_start();
    while !rest.is_empty() {
        if rest.starts_with(['"', '\'']) {
            let (text, len) = quoted(rest)?;
            push(text);
            rest = rest[len..].trim_start();
            match rest.strip_prefix(',') {
                Some(after) => rest = after.trim_start(),
                None if rest.is_empty() => {}
                None => return Err(format!("unexpected `{rest}` after a quoted descriptor")),
            }
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            push(Cow::Borrowed(&rest[..end]));
            rest = rest[end..].strip_prefix(',').unwrap_or("").trim_start();
        }
    }
    Ok(out)
}

/// The package a descriptor is for: its name, or for an `npm:` alias
/// (`cjs@npm:string-width@^4`) the aliased package.
fn package_name(descriptor: &str) -> &str {
    match split_descriptor(descriptor) {
        None => descriptor,
        Some((name, range)) => range
            .strip_prefix("npm:")
            .and_then(split_descriptor)
            .map_or(name, |(aliased, _)| aliased),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Kind;
    use super::super::fixtures::{self, found};
    use super::*;

    fn read(text: &str) -> Extracted {
        fixtures::parse_text(Kind::YarnLock, "yarn.lock", text)
    }

    fn messages(out: &Extracted) -> Vec<(usize, &str)> {
        out.problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect()
    }

    #[test]
    fn agrees_with_the_peer_scanners_fixtures() {
        assert!(fixtures::check_folder("yarn-lock", Kind::YarnLock) >= 25);
        assert!(fixtures::check_lines("yarn-lock", Kind::YarnLock) >= 70);
    }

    #[test]
    fn classic_entries() {
        let text = "# yarn lockfile v1\n\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.12.13\":\n  version \"7.12.13\"\n  resolved \"https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz\"\n  dependencies:\n    \"@babel/highlight\" \"^7.12.13\"\n\nstring-width-cjs@npm:string-width@^4.2.0:\n  version \"4.2.3\"\n\nfiledep@file:../dep:\n  version \"1.2.0\"\n";
        let out = read(text);
        assert_eq!(messages(&out), vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("@babel/code-frame", "7.12.13", 4),
                ("string-width", "4.2.3", 10),
                ("filedep", "1.2.0", 13),
            ]
        );
        assert!(out.components.iter().all(|c| c.ecosystem == Ecosystem::Npm));
    }

    #[test]
    fn berry_entries() {
        let long: Vec<String> = (0..120).map(|i| format!("left-pad@npm:^1.{i}.0")).collect();
        let text = format!(
            "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"resolve@npm:^1.20.0\":\n  version: 1.22.8\n  resolution: \"resolve@npm:1.22.8\"\n\n\"resolve@patch:resolve@npm%3A^1.20.0#optional!builtin<compat/resolve>\":\n  version: 1.22.8\n  resolution: \"resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d\"\n\n? \"{}\"\n:\n  version: 1.3.0\n  resolution: \"left-pad@npm:1.3.0\"\n  languageName: node\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n",
            long.join(", ")
        );
        let out = read(&text);
        assert_eq!(messages(&out), vec![]);
        assert_eq!(
            found(&out),
            vec![("resolve", "1.22.8", 5), ("left-pad", "1.3.0", 13)]
        );
    }

    #[test]
    fn bad_entries_are_problems_and_keep_the_others() {
        let text = "  orphan \"1\"\n  orphan \"2\"\na@^1:\n  version \"1.0.0\"\nthis is not an entry\n  version \"9.9.9\"\nb@^2:\n  resolved \"https://x\"\n\"c@^3:\n  version \"3.0.0\"\nd@^4:\n  version \"open\n  version: [4]\ne@^5:\n  version \"5.0.0\"\n";
        let out = read(text);
        assert_eq!(found(&out), vec![("a", "1.0.0", 3), ("e", "5.0.0", 14)]);
        assert_eq!(
            messages(&out),
            vec![
                (1, "an indented line before any entry"),
                (
                    5,
                    "expected an entry header ending in `:`, found `this is not an entry`"
                ),
                (7, "package `b` has no `version`"),
                (
                    9,
                    "cannot read the entry header: a quoted string is not closed on its line"
                ),
                (11, "package `d` has no `version`"),
                (12, "a quoted string is not closed on its line"),
                (13, "`version` is not a single value"),
            ]
        );
    }

    #[test]
    fn headers_split_into_descriptors() {
        for (key, expected) in [
            ("a@^1, \"a@^2\", 'a@^3'", vec!["a@^1", "a@^2", "a@^3"]),
            ("\"a@npm:1, a@npm:2\"", vec!["a@npm:1", "a@npm:2"]),
            ("balanced-match", vec!["balanced-match"]),
            (",,", vec![]),
        ] {
            let got: Vec<String> = descriptors(key)
                .unwrap()
                .into_iter()
                .map(Cow::into_owned)
                .collect();
            assert_eq!(got, expected, "{key}");
        }
        assert!(descriptors("\"a@1\" b").is_err());
        assert_eq!(package_name("cjs@npm:@s/real@^4"), "@s/real");
        assert_eq!(package_name("a@npm:^1.0.0"), "a");
        assert_eq!(package_name("@s/a"), "@s/a");
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            ":",
            "? ",
            "?",
            "a:\n  \"",
            "a:\n  \"version",
            "a:\n  version:x",
            "\"\":\n",
            "é:\n  version é\n",
        ] {
            let _ = read(text);
        }
        assert!(!read("this is not a yarn lockfile").problems.is_empty());
    }

    #[test]
    fn thousands_of_packages_are_read_quickly() {
        let mut text = String::from("__metadata:\n  version: 8\n  cacheKey: 10c0\n\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "\"pkg-{i}@npm:^1.{i}.0, pkg-{i}@npm:^1.0.0\":\n  version: 1.{i}.0\n  resolution: \"pkg-{i}@npm:1.{i}.0\"\n  dependencies:\n    a: \"npm:^1.0.0\"\n  checksum: 10c0/a91daeddd54746338478eef88af3439a7edf30f8e23196e2d6ed182da9add559c601266dbef01c2efa46a958ad6f1f8b176799657616c702b5b02e799e7fd8dc\n  languageName: node\n  linkType: hard\n\n"
            ));
        }
        let start = std::time::Instant::now();
        let out = read(&text);
        let elapsed = start.elapsed();
        assert_eq!(out.problems, vec![]);
        assert_eq!(out.components.len(), 5_000);
        assert_eq!(out.components[4_999].line, 5 + 9 * 4_999);
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }
}
