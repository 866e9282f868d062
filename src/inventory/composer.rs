//! `composer.lock`: the Packagist packages of `packages` and `packages-dev`, each at the
//! line of its `name`, with the version as locked (`2.0.4`, `v1.1.3`, `dev-main`).

use super::located_json::{self, Node, Value};
use super::lockfile::{Collector, Positions};
use super::{Ecosystem, Extracted, Input};

/// Reads a `composer.lock`.
pub(super) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Collector::new(input.path, Ecosystem::Packagist);
    let doc = located_json::parse(input.text);
    let at = Positions::new(input.text);
    if let Some(error) = &doc.error {
        out.problem(error.line, error.column, error.message.clone());
    }
    match &doc.root {
        Some(
            root @ Node {
                value: Value::Object(_),
                ..
            },
        ) => {
            for section in ["packages", "packages-dev"] {
                let Some(list) = root.get(section) else {
                    continue;
                };
                match &list.value.value {
                    Value::Array(items) => {
                        for item in items {
                            package(item, section, &at, &mut out);
                        }
                    }
                    Value::Null => {}
                    _ => {
                        let (line, column) = at.of(list.value.offset);
                        out.problem(
                            line,
                            column,
                            format!("`{section}` is {}, not an array", list.value.describe()),
                        );
                    }
                }
            }
        }
        Some(root) if doc.error.is_none() => {
            let (line, column) = at.of(root.offset);
            out.problem(
                line,
                column,
                format!("expected a lockfile object, found {}", root.describe()),
            );
        }
        _ => {}
    }
    out.finish()
}

fn package(item: &Node<'_>, section: &str, at: &Positions<'_>, out: &mut Collector<'_>) {
    let Value::Object(_) = item.value else {
        let (line, column) = at.of(item.offset);
        out.problem(
            line,
            column,
            format!(
                "an entry of `{section}` is {}, not an object",
                item.describe()
            ),
        );
        return;
    };
    if !item.complete {
        // Cut short by a syntax error, reported already.
        return;
    }
    let Some(name) = item.get("name") else {
        let (line, column) = at.of(item.offset);
        out.problem(
            line,
            column,
            format!("an entry of `{section}` has no `name`"),
        );
        return;
    };
    let Some(name_text) = name.value.as_str().filter(|n| !n.is_empty()) else {
        let (line, column) = at.of(name.value.offset);
        out.problem(line, column, "`name` is not a package name");
        return;
    };
    let Some(version) = item.get("version") else {
        let (line, column) = at.of(name.offset);
        out.problem(
            line,
            column,
            format!("package `{name_text}` has no `version`"),
        );
        return;
    };
    if let Some(v) = version.value.as_str().filter(|v| !v.is_empty()) {
        out.pinned(name_text, v, name.line);
    } else {
        let (line, column) = at.of(version.value.offset);
        out.problem(
            line,
            column,
            format!("package `{name_text}` has an invalid `version`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::Kind;
    use super::super::fixtures::{self, found};
    use super::*;

    fn read(text: &str) -> Extracted {
        fixtures::parse_text(Kind::ComposerLock, "app/composer.lock", text)
    }

    #[test]
    fn agrees_with_the_peer_scanners_fixtures() {
        assert!(fixtures::check_folder("composer-lock", Kind::ComposerLock) >= 9);
        assert!(fixtures::check_lines("composer-lock", Kind::ComposerLock) >= 13);
    }

    #[test]
    fn packages_and_dev_packages_at_their_names() {
        let text = r#"{
  "packages": [
    {
      "source": {"reference": "abc"},
      "name": "monolog/monolog",
      "version": "3.5.0"
    }
  ],
  "packages-dev": [
    {"name": "phpunit/phpunit", "version": "10.5.1"},
    {"name": "monolog/monolog", "version": "3.5.0"}
  ],
  "aliases": []
}"#;
        let out = read(text);
        assert_eq!(out.problems, vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("monolog/monolog", "3.5.0", 5),
                ("phpunit/phpunit", "10.5.1", 10)
            ]
        );
        assert!(
            out.components
                .iter()
                .all(|c| c.ecosystem == Ecosystem::Packagist && c.path == "app/composer.lock")
        );
    }

    #[test]
    fn bad_entries_are_problems_and_keep_the_others() {
        let text = r#"{
  "packages": [
    "monolog/monolog",
    {"version": "1.0.0"},
    {"name": "a/b"},
    {"name": "c/d", "version": null},
    {"name": "e/f", "version": "v2.0.0"}
  ],
  "packages-dev": {}
}"#;
        let out = read(text);
        assert_eq!(found(&out), vec![("e/f", "v2.0.0", 7)]);
        let messages: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            vec![
                (3, 5, "an entry of `packages` is a string, not an object"),
                (4, 5, "an entry of `packages` has no `name`"),
                (5, 6, "package `a/b` has no `version`"),
                (6, 32, "package `c/d` has an invalid `version`"),
                (9, 19, "`packages-dev` is an object, not an array"),
            ]
        );
    }

    #[test]
    fn documents_that_are_not_lockfiles_are_problems() {
        for text in [
            "null",
            "[]",
            "",
            "this is not json",
            "{\"packages\": [{\"name\": \"a/b\", \"vers",
        ] {
            let out = read(text);
            assert_eq!(out.components, vec![], "{text}");
            assert_eq!(out.problems.len(), 1, "{text}: {:?}", out.problems);
        }
    }

    #[test]
    fn real_world_lockfile_reads_cleanly() {
        let out = fixtures::extract(
            "composer-lock",
            "real-world/locks-many-with-insecure.composer.lock",
            Kind::ComposerLock,
        );
        assert_eq!(out.problems, vec![]);
        assert_eq!(out.components.len(), 6);
    }

    #[test]
    fn thousands_of_packages_are_read_quickly() {
        let mut text = String::from("{\n  \"packages\": [\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "    {{\n      \"name\": \"vendor/pkg-{i}\",\n      \"version\": \"v1.{i}.0\",\n      \"source\": {{\"type\": \"git\", \"url\": \"https://github.com/vendor/pkg.git\", \"reference\": \"4c115873c86ad5bd0ac6d962db70ca53bf8fb874\"}},\n      \"require\": {{\"php\": \">=8.1\"}}\n    }},\n"
            ));
        }
        text.push_str("    {\"name\": \"vendor/last\", \"version\": \"1.0.0\"}\n  ]\n}\n");
        let start = std::time::Instant::now();
        let out = read(&text);
        let elapsed = start.elapsed();
        assert_eq!(out.problems, vec![]);
        assert_eq!(out.components.len(), 5_001);
        assert_eq!(out.components[4_999].line, 4 + 6 * 4_999);
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }
}
