//! `Gemfile.lock` and `gems.locked`: the gems of the source sections (`GEM`, `GIT`, `PATH`,
//! `PLUGIN SOURCE`), one `name (version)` spec per line at four spaces of indentation. As in
//! Bundler's own parser, the version ends at the first `-`: what follows is the platform
//! (`nokogiri (1.13.3-x86_64-linux)` is nokogiri 1.13.3), and a gem locked for several
//! platforms is one component.

use super::lockfile::{Collector, lines};
use super::{Ecosystem, Extracted, Input};

/// Reads a `Gemfile.lock`.
pub(super) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Collector::new(input.path, Ecosystem::RubyGems);
    let mut in_section = false;
    let mut in_source = false;
    for (number, line) in lines(input.text) {
        let text = line.trim_start_matches(' ');
        if text.trim_end().is_empty() {
            continue;
        }
        match line.len() - text.len() {
            0 => {
                let header = line.trim_end();
                if header.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') {
                    in_section = true;
                    in_source = matches!(header, "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE");
                } else {
                    // Not a section (a merge conflict marker, another format): the section
                    // goes on.
                    out.problem(
                        number,
                        1,
                        format!("expected a section name such as `GEM`, found `{header}`"),
                    );
                }
            }
            _ if !in_section => {
                out.problem(number, 1, "an indented line before any section");
            }
            4 if in_source => spec(text.trim_end(), number, &mut out),
            _ => {}
        }
    }
    out.finish()
}

/// A `name (version[-platform])` spec line, without its indentation.
fn spec(text: &str, line: usize, out: &mut Collector<'_>) {
    const COLUMN: usize = 5;
    let Some((name, rest)) = text.split_once(" (") else {
        out.problem(line, COLUMN, format!("gem `{text}` has no version"));
        return;
    };
    let version = rest
        .strip_suffix(')')
        .map(|inside| inside.split('-').next().unwrap_or_default());
    match version {
        Some(version) if !version.is_empty() && !name.is_empty() && !name.contains(' ') => {
            out.pinned(name, version, line);
        }
        _ => out.problem(
            line,
            COLUMN,
            format!("`{text}` is not a `name (version)` gem spec"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Kind;
    use super::super::fixtures::{self, found};
    use super::*;

    fn read(text: &str) -> Extracted {
        fixtures::parse_text(Kind::GemfileLock, "Gemfile.lock", text)
    }

    #[test]
    fn agrees_with_the_peer_scanners_fixtures() {
        assert!(fixtures::check_folder("gemfile-lock", Kind::GemfileLock) >= 12);
        assert!(fixtures::check_lines("gemfile-lock", Kind::GemfileLock) >= 100);
    }

    #[test]
    fn gems_of_every_source_section() {
        let text = "GIT\r\n  remote: https://github.com/o/r.git\r\n  revision: 0123abc\r\n  specs:\r\n    from-git (2.0.0.alpha1)\r\n      rack (~> 2.0)\r\n\r\nPATH\n  remote: vendor/local\n  specs:\n    local (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.16.0-x86_64-linux)\n      racc (~> 1.4)\n    nokogiri (1.16.0-arm64-darwin)\n    racc (1.7.3)\n\nPLATFORMS\n  arm64-darwin\n  x86_64-linux\n\nDEPENDENCIES\n  from-git!\n  nokogiri (>= 1.0)\n\nCHECKSUMS\n  racc (1.7.3) sha256=abc\n\nBUNDLED WITH\n   2.5.4\n";
        let out = read(text);
        assert_eq!(out.problems, vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("from-git", "2.0.0.alpha1", 5),
                ("local", "0.1.0", 11),
                ("nokogiri", "1.16.0", 16),
                ("racc", "1.7.3", 19),
            ]
        );
        assert!(
            out.components
                .iter()
                .all(|c| c.ecosystem == Ecosystem::RubyGems)
        );
    }

    #[test]
    fn specs_without_versions_are_problems_and_keep_the_others() {
        let text = "GEM\n  specs:\n    invalid-name\n    broken (1.0\n    two words (1.0)\n    empty ()\n    fine (1.0)\n";
        let out = read(text);
        assert_eq!(found(&out), vec![("fine", "1.0", 7)]);
        let messages: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            vec![
                (3, "gem `invalid-name` has no version"),
                (4, "`broken (1.0` is not a `name (version)` gem spec"),
                (5, "`two words (1.0)` is not a `name (version)` gem spec"),
                (6, "`empty ()` is not a `name (version)` gem spec"),
            ]
        );
        assert_eq!(out.problems[0].column, 5);
    }

    #[test]
    fn lines_that_are_not_sections_are_problems_and_keep_the_section() {
        let text = "GEM\n  specs:\n    a (1.0)\n<<<<<<< HEAD\n    b (2.0)\n=======\n    b (2.1)\n>>>>>>> main\n\nPLATFORMS\n  ruby\n";
        let out = read(text);
        assert_eq!(
            found(&out),
            vec![("a", "1.0", 3), ("b", "2.0", 5), ("b", "2.1", 7)]
        );
        let lines: Vec<_> = out.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![4, 6, 8]);
    }

    #[test]
    fn garbage_is_problems_never_a_panic() {
        assert_eq!(read("").problems, vec![]);
        assert_eq!(read("  specs:\n").problems.len(), 1);
        assert_eq!(read("null").problems.len(), 1);
        assert_eq!(read("this is not a Gemfile.lock").problems.len(), 1);
        for text in [
            "GEM\n    (",
            "GEM\n    a (",
            "GEM\n    a ()",
            "GEM\n    \u{feff}é (é-é)",
        ] {
            let _ = read(text);
        }
    }

    #[test]
    fn real_world_lockfile_reads_cleanly() {
        let out = fixtures::extract(
            "gemfile-lock",
            "real-world/osv-scanner-docs.Gemfile.lock",
            Kind::GemfileLock,
        );
        assert_eq!(out.problems, vec![]);
        assert!(out.components.len() > 40, "{}", out.components.len());
    }

    #[test]
    fn thousands_of_gems_are_read_quickly() {
        let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "    gem-{i} (1.{i}.0)\n      rack (>= 2.0, < 4)\n"
            ));
        }
        let start = std::time::Instant::now();
        let out = read(&text);
        let elapsed = start.elapsed();
        assert_eq!(out.components.len(), 5_000);
        assert_eq!(out.components[4_999].line, 4 + 2 * 4_999);
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }
}
