//! `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 1 to 3.
//!
//! Versions 2 and 3 list every installed package in `packages`, keyed by its install path
//! (`node_modules/a/node_modules/@s/b`): the name is the entry's `name` (an alias's real
//! name) or the path's last package, the version its `version`. Links (workspaces, `file:`
//! directories) are skipped: their target is an entry of its own. Version 1 (and files
//! without `packages`) nest `dependencies`: `npm:name@version` aliases give the real name;
//! git, file and tarball dependencies have no version, only the requirement as written.
//!
//! npm ignores `package-lock.json` when an `npm-shrinkwrap.json` sits beside it, and so does
//! this reader. Each package is read at the line of its key.

use super::located_json::{self, Member, Node, Value};
use super::lockfile::{Collector, Positions, looks_like_version};
use super::{Ecosystem, Extracted, Input};

/// Reads a `package-lock.json` or `npm-shrinkwrap.json`.
pub(super) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Collector::new(input.path, Ecosystem::Npm);
    let (dir, name) = input.path.rsplit_once('/').unwrap_or(("", input.path));
    if name == "package-lock.json" {
        let shrinkwrap = if dir.is_empty() {
            "npm-shrinkwrap.json".to_owned()
        } else {
            format!("{dir}/npm-shrinkwrap.json")
        };
        if input.reader.exists(&shrinkwrap) {
            return out.finish();
        }
    }
    let doc = located_json::parse(input.text);
    let at = Positions::new(input.text);
    if let Some(error) = &doc.error {
        out.problem(error.line, error.column, error.message.clone());
    }
    if let Some(root) = &doc.root {
        if let Value::Object(_) = root.value {
            read(root, &at, &mut out);
        } else if doc.error.is_none() {
            let (line, column) = at.of(root.offset);
            out.problem(
                line,
                column,
                format!("expected a lockfile object, found {}", root.describe()),
            );
        }
    }
    out.finish()
}

fn read(root: &Node<'_>, at: &Positions<'_>, out: &mut Collector<'_>) {
    if let Some(version) = root.get("lockfileVersion")
        && !matches!(version.value.value, Value::Number("1" | "2" | "3"))
    {
        let (line, column) = at.of(version.value.offset);
        let shown = match &version.value.value {
            Value::Number(n) => (*n).to_owned(),
            Value::String(s) => format!("\"{s}\""),
            _ => version.value.describe().to_owned(),
        };
        out.problem(
            line,
            column,
            format!(
                "lockfileVersion {shown} is not one hardline knows (1, 2 or 3); read as far as \
                 its entries look like those"
            ),
        );
    }
    if let Some(packages) = root.get("packages") {
        match &packages.value.value {
            Value::Object(entries) => {
                for entry in entries {
                    package(entry, at, out);
                }
                return;
            }
            Value::Null => {}
            _ => {
                let (line, column) = at.of(packages.value.offset);
                out.problem(
                    line,
                    column,
                    format!("`packages` is {}, not an object", packages.value.describe()),
                );
            }
        }
    }
    if let Some(dependencies) = root.get("dependencies") {
        nested(dependencies, at, out);
    }
}

/// An entry of `packages` (lockfile versions 2 and 3).
fn package(member: &Member<'_>, at: &Positions<'_>, out: &mut Collector<'_>) {
    let path = member.key.as_ref();
    if path.is_empty() {
        // The project itself.
        return;
    }
    let entry = &member.value;
    if !entry.complete {
        // Cut short by a syntax error, reported already.
        return;
    }
    let Value::Object(_) = entry.value else {
        let (line, column) = at.of(entry.offset);
        out.problem(
            line,
            column,
            format!("package `{path}` is {}, not an object", entry.describe()),
        );
        return;
    };
    if entry
        .get("link")
        .is_some_and(|m| m.value.value == Value::Bool(true))
    {
        return;
    }
    let name = if let Some(m) = entry.get("name") {
        let Some(name) = m.value.as_str().filter(|n| !n.is_empty()) else {
            let (line, column) = at.of(m.value.offset);
            out.problem(
                line,
                column,
                format!("package `{path}` has an invalid `name`"),
            );
            return;
        };
        name
    } else {
        let Some(name) = name_from_path(path) else {
            let (line, column) = at.of(member.offset);
            out.problem(
                line,
                column,
                format!("cannot tell a package name from `{path}`"),
            );
            return;
        };
        name
    };
    match entry.get("version") {
        Some(version) => match version.value.as_str() {
            Some(v) if !v.is_empty() => out.pinned(name, v, member.line),
            _ => {
                let (line, column) = at.of(version.value.offset);
                out.problem(
                    line,
                    column,
                    format!("package `{path}` has an invalid `version`"),
                );
            }
        },
        // A git dependency whose package.json has no version: what it resolves to.
        None => match entry.get("resolved").and_then(|m| m.value.as_str()) {
            Some(resolved) if !resolved.is_empty() => out.unpinned(name, resolved, member.line),
            _ => {
                let (line, column) = at.of(member.offset);
                out.problem(line, column, format!("package `{path}` has no `version`"));
            }
        },
    }
}

/// The package an install path names: the part after the last `node_modules/`, or else the
/// last segment (with its scope).
fn name_from_path(path: &str) -> Option<&str> {
    let name = if let Some(i) = path.rfind("node_modules/") {
        &path[i + "node_modules/".len()..]
    } else {
        let mut cut = path.rfind('/').map_or(0, |i| i + 1);
        if cut > 0 {
            let scope_start = path[..cut - 1].rfind('/').map_or(0, |i| i + 1);
            if path[scope_start..].starts_with('@') {
                cut = scope_start;
            }
        }
        &path[cut..]
    };
    let valid = !name.is_empty() && !name.ends_with('/') && !name.starts_with('.');
    valid.then_some(name)
}

/// A `dependencies` object of lockfile version 1, with the `dependencies` nested in it.
fn nested(dependencies: &Member<'_>, at: &Positions<'_>, out: &mut Collector<'_>) {
    let node = &dependencies.value;
    let Value::Object(entries) = &node.value else {
        if node.value != Value::Null {
            let (line, column) = at.of(node.offset);
            out.problem(
                line,
                column,
                format!("`dependencies` is {}, not an object", node.describe()),
            );
        }
        return;
    };
    for member in entries {
        let name = member.key.as_ref();
        let entry = &member.value;
        let Value::Object(_) = entry.value else {
            let (line, column) = at.of(entry.offset);
            out.problem(
                line,
                column,
                format!("dependency `{name}` is {}, not an object", entry.describe()),
            );
            continue;
        };
        match entry.get("version") {
            Some(version) => match version.value.as_str() {
                Some(v) if !v.is_empty() => dependency(name, v, member.line, out),
                _ => {
                    let (line, column) = at.of(version.value.offset);
                    out.problem(
                        line,
                        column,
                        format!("dependency `{name}` has an invalid `version`"),
                    );
                }
            },
            None if entry.complete => {
                let (line, column) = at.of(member.offset);
                out.problem(
                    line,
                    column,
                    format!("dependency `{name}` has no `version`"),
                );
            }
            None => {}
        }
        if let Some(inner) = entry.get("dependencies") {
            nested(inner, at, out);
        }
    }
}

/// A version-1 dependency: `version` is a version, an `npm:` alias, or where it comes from.
fn dependency(name: &str, version: &str, line: usize, out: &mut Collector<'_>) {
    if let Some(alias) = version.strip_prefix("npm:") {
        match alias.rfind('@').filter(|&i| i > 0) {
            Some(i) => out.pinned(&alias[..i], &alias[i + 1..], line),
            None => out.unpinned(name, version, line),
        }
    } else if looks_like_version(version) {
        out.pinned(name, version, line);
    } else {
        // git, file, link and tarball dependencies.
        out.unpinned(name, version, line);
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, messages};
    use super::super::{Kind, parse as parse_kind};
    use super::*;
    use crate::conform::RepoReader;

    fn read(text: &str) -> Extracted {
        fixtures::parse_text(Kind::NpmLock, "web/package-lock.json", text)
    }

    fn found(out: &Extracted) -> Vec<(&str, Option<&str>, Option<&str>, usize)> {
        out.components
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.version.as_deref(),
                    c.requirement.as_deref(),
                    c.line,
                )
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_peer_scanners_fixtures() {
        assert!(fixtures::check_folder("package-lock-json", Kind::NpmLock) >= 34);
        assert!(fixtures::check_lines("package-lock-json", Kind::NpmLock) >= 9);
    }

    #[test]
    fn version_3_packages_by_install_path() {
        let text = r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "app", "workspaces": ["packages/*"]},
    "node_modules/@babel/core": {"version": "7.24.0"},
    "node_modules/a/node_modules/@babel/core": {"version": "7.0.0"},
    "node_modules/cjs": {"name": "string-width", "version": "4.2.3"},
    "node_modules/ws-a": {"resolved": "packages/a", "link": true},
    "packages/a": {"name": "ws-a", "version": "0.1.0"},
    "node_modules/dup/node_modules/@babel/core": {"version": "7.24.0"},
    "node_modules/from-git": {"resolved": "git+ssh://git@github.com/o/r.git#0123abc"}
  }
}"#;
        let out = read(text);
        assert_eq!(messages(&out), vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("@babel/core", Some("7.24.0"), None, 6),
                ("@babel/core", Some("7.0.0"), None, 7),
                ("string-width", Some("4.2.3"), None, 8),
                ("ws-a", Some("0.1.0"), None, 10),
                (
                    "from-git",
                    None,
                    Some("git+ssh://git@github.com/o/r.git#0123abc"),
                    12
                ),
            ]
        );
        assert!(
            out.components
                .iter()
                .all(|c| c.ecosystem == Ecosystem::Npm && c.path == "web/package-lock.json")
        );
    }

    #[test]
    fn version_1_nests_dependencies() {
        let text = r#"{
  "lockfileVersion": 1,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "dependencies": {
        "b": {"version": "2.0.0"},
        "c": {"version": "npm:@s/real@3.0.0"}
      }
    },
    "local": {"version": "file:../local"},
    "gh": {"version": "github:o/r#0123abc"}
  }
}"#;
        let out = read(text);
        assert_eq!(messages(&out), vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("a", Some("1.0.0"), None, 4),
                ("b", Some("2.0.0"), None, 7),
                ("@s/real", Some("3.0.0"), None, 8),
                ("local", None, Some("file:../local"), 11),
                ("gh", None, Some("github:o/r#0123abc"), 12),
            ]
        );
    }

    #[test]
    fn bad_entries_are_problems_and_keep_the_others() {
        let text = r#"{
  "lockfileVersion": 3,
  "packages": {
    "node_modules/a": "1.0.0",
    "node_modules/b": {"version": 2},
    "node_modules/c": {},
    "node_modules/d": {"version": "4.0.0"}
  }
}"#;
        let out = read(text);
        assert_eq!(found(&out), vec![("d", Some("4.0.0"), None, 7)]);
        assert_eq!(
            messages(&out),
            vec![
                (4, 23, "package `node_modules/a` is a string, not an object"),
                (5, 35, "package `node_modules/b` has an invalid `version`"),
                (6, 5, "package `node_modules/c` has no `version`"),
            ]
        );
    }

    #[test]
    fn unknown_lockfile_versions_are_problems_and_still_read() {
        let text = "{\"lockfileVersion\": 4, \"packages\": {\"node_modules/a\": {\"version\": \"1.0.0\"}}}";
        let out = read(text);
        assert_eq!(found(&out), vec![("a", Some("1.0.0"), None, 1)]);
        assert_eq!(out.problems.len(), 1);
        assert_eq!((out.problems[0].line, out.problems[0].column), (1, 21));
        assert!(
            out.problems[0]
                .message
                .starts_with("lockfileVersion 4 is not")
        );
    }

    #[test]
    fn a_truncated_file_keeps_the_entries_before_the_cut() {
        let text = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": \"1.0.0\"},\n    \"node_modules/b\": {\"version\": \"2.0";
        let out = read(text);
        assert_eq!(found(&out), vec![("a", Some("1.0.0"), None, 4)]);
        assert_eq!(
            messages(&out),
            vec![(5, 39, "not valid JSON: the file ends inside a string")]
        );
    }

    #[test]
    fn documents_that_are_not_lockfiles_are_problems() {
        for (text, message) in [
            ("null", "expected a lockfile object, found null"),
            ("[]", "expected a lockfile object, found an array"),
            (
                "",
                "not valid JSON: the file is empty; expected a JSON value",
            ),
            ("{\"packages\": 1}", "`packages` is a number, not an object"),
            (
                "{\"dependencies\": []}",
                "`dependencies` is an array, not an object",
            ),
        ] {
            let out = read(text);
            assert_eq!(out.components, vec![], "{text}");
            assert_eq!(out.problems.len(), 1, "{text}");
            assert_eq!(out.problems[0].message, message, "{text}");
        }
    }

    #[test]
    fn package_lock_gives_way_to_a_shrinkwrap_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let reader = RepoReader::new(dir.path().to_path_buf());
        let text = "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": {\"version\": \"1.0.0\"}}}";
        let read_as = |path: &str| {
            parse_kind(
                Kind::NpmLock,
                &Input {
                    path,
                    text,
                    reader: &reader,
                },
            )
        };
        assert_eq!(read_as("web/package-lock.json").components.len(), 1);
        std::fs::create_dir(dir.path().join("web")).unwrap();
        #[allow(clippy::disallowed_methods)]
        std::fs::write(dir.path().join("web/npm-shrinkwrap.json"), text).unwrap();
        assert_eq!(read_as("web/package-lock.json").components.len(), 0);
        assert_eq!(read_as("web/npm-shrinkwrap.json").components.len(), 1);
        assert_eq!(read_as("package-lock.json").components.len(), 1);
    }

    #[test]
    fn install_paths_name_packages() {
        for (path, name) in [
            ("node_modules/a", Some("a")),
            ("node_modules/@s/a", Some("@s/a")),
            ("node_modules/x/node_modules/@s/a", Some("@s/a")),
            ("deps/etag", Some("etag")),
            ("deps/@s/etag", Some("@s/etag")),
            ("etag", Some("etag")),
            ("node_modules/", None),
            ("..", None),
        ] {
            assert_eq!(name_from_path(path), name, "{path}");
        }
    }

    #[test]
    fn real_world_lockfile_reads_cleanly() {
        let out = fixtures::extract(
            "package-lock-json",
            "real-world/osv-scanner-fix-in-place-npm.package-lock.json",
            Kind::NpmLock,
        );
        assert_eq!(out.problems, vec![]);
        assert!(out.components.len() > 90, "{}", out.components.len());
        assert!(out.components.iter().all(|c| c.version.is_some()));
    }

    #[test]
    fn thousands_of_packages_are_read_quickly() {
        let mut text =
            String::from("{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {},\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "    \"node_modules/pkg-{i}\": {{\n      \"version\": \"1.{i}.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.{i}.0.tgz\",\n      \"integrity\": \"sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==\",\n      \"dependencies\": {{\"a\": \"^1.0.0\", \"b\": \"^2.0.0\"}}\n    }},\n"
            ));
        }
        text.push_str("    \"node_modules/last\": {\"version\": \"1.0.0\"}\n  }\n}\n");
        let start = std::time::Instant::now();
        let out = read(&text);
        let elapsed = start.elapsed();
        assert_eq!(out.problems, vec![]);
        assert_eq!(out.components.len(), 5_001);
        assert_eq!(out.components[4_999].line, 5 + 6 * 4_999);
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }
}
