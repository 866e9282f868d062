//! Go modules' `go.mod`: `require` directives (single lines and blocks, `// indirect` or
//! not), with `replace` directives applied (a replacement naming another module or
//! version substitutes it; a local directory stays listed under its path, with no
//! version), and the Go standard library as the `stdlib` component at the version of the
//! `toolchain` directive, else of the `go` directive. Versions lose their `v` prefix, as
//! OSV spells Go versions.
//!
//! Before go 1.17 a `go.mod` lists only direct dependencies; for those modules (and for
//! modules without a `go` directive, which Go reads as 1.16) the sibling `go.sum` (same
//! name, `.sum` for `.mod`) adds the modules whose content it pins.

use std::collections::BTreeSet;

use super::lockfile::line_problem;
use super::{Component, Ecosystem, Extracted, Input, Problem};

/// Reads a `go.mod` (and, for go 1.16 and older, its `go.sum`).
pub(crate) fn parse(input: &Input<'_>) -> Extracted {
    let mut problems = Vec::new();
    let file = read_mod(input.text, &mut problems);
    let mut components: Vec<Component> = Vec::new();
    for require in &file.requires {
        let mut replaced = false;
        for replace in &file.replaces {
            if replace.old == require.module
                && replace
                    .old_version
                    .as_ref()
                    .is_none_or(|v| *v == require.version)
            {
                components.push(component(
                    input.path,
                    &replace.new,
                    replace.new_version.clone(),
                    replace.line,
                ));
                replaced = true;
                break;
            }
        }
        if !replaced {
            components.push(component(
                input.path,
                &require.module,
                Some(require.version.clone()),
                require.line,
            ));
        }
    }
    if let Some((version, line)) = &file.stdlib {
        components.push(component(
            input.path,
            "stdlib",
            Some(version.clone()),
            *line,
        ));
    }
    if file.go.as_ref().is_none_or(|(v, _)| before_pruning(v)) {
        let at = file.go.as_ref().map_or(1, |(_, line)| *line);
        read_sum(input, at, &mut components, &mut problems);
    }
    let mut seen = BTreeSet::new();
    components.retain(|c| seen.insert((c.name.clone(), c.version.clone())));
    problems.sort_by_key(|p| p.line);
    Extracted {
        components,
        problems,
    }
}

fn component(path: &str, name: &str, version: Option<String>, line: usize) -> Component {
    Component {
        ecosystem: Ecosystem::Go,
        name: name.to_owned(),
        version,
        requirement: None,
        source_name: None,
        source_version: None,
        path: path.to_owned(),
        line,
    }
}

#[derive(Debug, Default)]
struct ModFile {
    requires: Vec<Require>,
    replaces: Vec<Replace>,
    /// The `go` directive's version and line.
    go: Option<(String, usize)>,
    /// The standard library's version (the toolchain's, else the language version) and line.
    stdlib: Option<(String, usize)>,
}

#[derive(Debug)]
struct Require {
    module: String,
    version: String,
    line: usize,
}

#[derive(Debug)]
struct Replace {
    old: String,
    old_version: Option<String>,
    new: String,
    /// `None` for a local directory.
    new_version: Option<String>,
    line: usize,
}

const DIRECTIVES: [&str; 10] = [
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "exclude",
    "replace",
    "retract",
    "tool",
    "ignore",
];

fn read_mod(text: &str, problems: &mut Vec<Problem>) -> ModFile {
    let mut file = ModFile::default();
    let mut toolchain: Option<(String, usize)> = None;
    let mut block: Option<&str> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let code = raw.split_once("//").map_or(raw, |(code, _)| code).trim();
        if code.is_empty() {
            continue;
        }
        let tokens: Vec<&str> = code.split_whitespace().map(unquote).collect();
        let (verb, args) = match block {
            Some(verb) if tokens == [")"] => {
                let _ = verb;
                block = None;
                continue;
            }
            Some(verb) => (verb, &tokens[..]),
            None => {
                let Some(verb) = DIRECTIVES.iter().find(|d| **d == tokens[0]).copied() else {
                    problems.push(line_problem(
                        line,
                        format!("unknown directive `{}`: not a `go.mod` line", tokens[0]),
                    ));
                    continue;
                };
                if tokens[1..] == ["("] {
                    block = Some(verb);
                    continue;
                }
                (verb, &tokens[1..])
            }
        };
        match verb {
            "go" => match args {
                [version] => file.go = Some(((*version).to_owned(), line)),
                _ => problems.push(line_problem(line, "`go` takes one version".to_owned())),
            },
            "toolchain" => match args {
                [name] => match name.strip_prefix("go") {
                    Some(version) if !version.is_empty() => {
                        // `go1.23.6-xyz`: a custom build of go1.23.6.
                        let version = version.split_once('-').map_or(version, |(v, _)| v);
                        toolchain = Some((version.to_owned(), line));
                    }
                    _ if *name == "default" => {}
                    _ => problems.push(line_problem(
                        line,
                        format!("toolchain `{name}` is not `go` and a version"),
                    )),
                },
                _ => problems.push(line_problem(line, "`toolchain` takes one name".to_owned())),
            },
            "require" => match args {
                [module, version] => file.requires.push(Require {
                    module: (*module).to_owned(),
                    version: strip_v(version),
                    line,
                }),
                _ => problems.push(line_problem(
                    line,
                    "`require` takes a module path and a version".to_owned(),
                )),
            },
            "replace" => match read_replace(args, line) {
                Some(replace) => file.replaces.push(replace),
                None => problems.push(line_problem(
                    line,
                    "`replace` takes `module [version] => module version` or `=> ./directory`"
                        .to_owned(),
                )),
            },
            _ => {}
        }
    }
    if let Some(verb) = block {
        problems.push(line_problem(
            text.lines().count().max(1),
            format!("`{verb} (` block is not closed"),
        ));
    }
    file.stdlib = toolchain.or_else(|| file.go.clone());
    file
}

fn read_replace(args: &[&str], line: usize) -> Option<Replace> {
    let arrow = args.iter().position(|a| *a == "=>")?;
    let (old, new) = (&args[..arrow], &args[arrow + 1..]);
    let (old, old_version) = match old {
        [module] => (*module, None),
        [module, version] => (*module, Some(strip_v(version))),
        _ => return None,
    };
    let (new, new_version) = match new {
        [dir] if is_local(dir) => (*dir, None),
        [module, version] if !is_local(module) => (*module, Some(strip_v(version))),
        _ => return None,
    };
    Some(Replace {
        old: old.to_owned(),
        old_version,
        new: new.to_owned(),
        new_version,
        line,
    })
}

/// A replacement directory rather than a module path (Go's own rule).
fn is_local(path: &str) -> bool {
    path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path == "."
        || path == ".."
}

fn strip_v(version: &str) -> String {
    version.strip_prefix('v').unwrap_or(version).to_owned()
}

/// `"path"` or `` `path` `` as the path.
fn unquote(token: &str) -> &str {
    token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| token.strip_prefix('`').and_then(|t| t.strip_suffix('`')))
        .unwrap_or(token)
}

/// Whether a `go` version predates module graph pruning (go 1.17), when `go.mod` began
/// listing indirect dependencies.
fn before_pruning(version: &str) -> bool {
    let mut parts = version.split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts
        .next()
        .map(|p| p.trim_end_matches(|c: char| !c.is_ascii_digit()))
        .and_then(|p| p.parse::<u32>().ok());
    matches!((major, minor), (Some(1), Some(minor)) if minor < 17) || major == Some(0)
}

/// Adds the modules `go.sum` pins (not the `/go.mod`-only lines); problems go to line `at`
/// of `go.mod`, naming the `go.sum` line.
fn read_sum(
    input: &Input<'_>,
    at: usize,
    components: &mut Vec<Component>,
    problems: &mut Vec<Problem>,
) {
    let Some(stem) = input.path.strip_suffix(".mod") else {
        return;
    };
    let sum_path = format!("{stem}.sum");
    if !input.reader.exists(&sum_path) {
        return;
    }
    let text = match input.reader.read(&sum_path) {
        Ok(text) => text,
        Err(why) => {
            problems.push(line_problem(at, format!("cannot read `go.sum`: {why}")));
            return;
        }
    };
    for (index, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[..] {
            [] => {}
            [_, version, _] if version.ends_with("/go.mod") => {}
            [module, version, _] => components.push(component(
                &sum_path,
                module,
                Some(strip_v(version)),
                index + 1,
            )),
            _ => problems.push(line_problem(
                at,
                format!("`{sum_path}` line {}: not `module version hash`", index + 1),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::inventory::{Kind, fixtures};

    fn run(text: &str, files: &[(&str, &str)]) -> Extracted {
        fixtures::parse_with(Kind::GoMod, "svc/go.mod", text, files)
    }

    fn found(got: &Extracted) -> Vec<(&str, Option<&str>, &str, usize)> {
        got.components
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.version.as_deref(),
                    c.path.as_str(),
                    c.line,
                )
            })
            .collect()
    }

    #[test]
    fn requires_replaces_and_stdlib() {
        let got = run(
            "module example.com/app // the app\n\ngo 1.22\n\nrequire (\n\tgithub.com/pkg/errors v0.9.1\n\t\"golang.org/x/net\" v0.20.0 // indirect\n\texample.com/local v1.0.0\n)\n\nrequire github.com/google/uuid v1.6.0+incompatible\n\nreplace golang.org/x/net => golang.org/x/net v0.23.0\nreplace example.com/local v1.0.0 => ../local\nexclude github.com/pkg/errors v0.8.0\n",
            &[("svc/go.sum", "github.com/unused v1.0.0 h1:x=\n")],
        );
        assert_eq!(
            found(&got),
            [
                ("github.com/pkg/errors", Some("0.9.1"), "svc/go.mod", 6),
                ("golang.org/x/net", Some("0.23.0"), "svc/go.mod", 13),
                ("../local", None, "svc/go.mod", 14),
                (
                    "github.com/google/uuid",
                    Some("1.6.0+incompatible"),
                    "svc/go.mod",
                    11
                ),
                ("stdlib", Some("1.22"), "svc/go.mod", 3),
            ]
        );
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn old_modules_add_go_sum() {
        let got = run(
            "module m\n\ngo 1.16\n\nrequire github.com/a/b v1.0.0\n",
            &[(
                "svc/go.sum",
                "github.com/a/b v1.0.0 h1:x=\ngithub.com/a/b v1.0.0/go.mod h1:y=\ngithub.com/c/d v0.1.0/go.mod h1:z=\ngithub.com/e/f v2.0.0+incompatible h1:w=\nbroken line\n",
            )],
        );
        assert_eq!(
            found(&got),
            [
                ("github.com/a/b", Some("1.0.0"), "svc/go.mod", 5),
                ("stdlib", Some("1.16"), "svc/go.mod", 3),
                (
                    "github.com/e/f",
                    Some("2.0.0+incompatible"),
                    "svc/go.sum",
                    4
                ),
            ]
        );
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].line, 3);
        assert!(got.problems[0].message.contains("line 5"));
    }

    #[test]
    fn malformed_lines_are_problems_and_the_rest_is_read() {
        let got = run(
            "module m\ngo 1.21\nrequire (\n\tgithub.com/a/b\n\tgithub.com/c/d v1.2.3\n)\nfoo bar\nrequire (\n",
            &[],
        );
        assert_eq!(
            found(&got),
            [
                ("github.com/c/d", Some("1.2.3"), "svc/go.mod", 5),
                ("stdlib", Some("1.21"), "svc/go.mod", 2),
            ]
        );
        let lines: Vec<_> = got.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 7, 8], "{:?}", got.problems);
        let got = run("this is not a go.mod file!\n", &[]);
        assert_eq!(got.problems.len(), 1);
        assert!(got.components.is_empty());
    }

    #[test]
    fn pruning_starts_at_go_1_17() {
        assert!(before_pruning("1.16"));
        assert!(before_pruning("1.9"));
        assert!(!before_pruning("1.17"));
        assert!(!before_pruning("1.23.5"));
        assert!(!before_pruning("1.21rc1"));
    }

    #[test]
    fn real_world_go_mod_reads_clean() {
        let folder = fixtures::folder("go-mod/real-world");
        let text = std::fs::read_to_string(folder.join("osv-scanner-root.go.mod")).unwrap();
        let reader = crate::conform::RepoReader::new(folder);
        let got = parse(&Input {
            path: "osv-scanner-root.go.mod",
            text: &text,
            reader: &reader,
        });
        assert!(got.problems.is_empty(), "{:?}", got.problems);
        assert!(got.components.len() > 50, "{}", got.components.len());
        assert!(got.components.iter().any(|c| c.name == "stdlib"));
        // go >= 1.17: go.sum is not read.
        assert!(
            got.components
                .iter()
                .all(|c| c.path == "osv-scanner-root.go.mod")
        );
    }

    #[test]
    fn fixtures_agree() {
        let checked = fixtures::check_cases(
            "go-mod",
            Kind::GoMod,
            fixtures::cases("go-mod")
                .into_iter()
                .filter(|c| c.config.is_none()),
            |c| (c.name.clone(), c.version.clone().unwrap_or_default()),
        );
        // `excludeIndirect` cases are skipped: hardline lists indirect dependencies too.
        assert_eq!(checked, 15);
    }

    #[test]
    fn truncated_files_give_problems_not_panics() {
        assert!(fixtures::truncations_hold("go-mod", Kind::GoMod) > 100);
    }
}
