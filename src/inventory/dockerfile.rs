//! Dockerfile / Containerfile `FROM` instructions: the base images a build pulls.
//!
//! The file is read as `docker build` reads it: the `escape` parser directive, line
//! continuations, comment lines, heredocs (`RUN <<EOF` … `EOF`, whose lines are not
//! instructions). `ARG`s declared before the first `FROM` are substituted into image
//! references (`$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME:+word}`); `--platform`
//! and other flags are skipped; `FROM <earlier stage>` and `FROM scratch` pull no image.
//! An image is named without its tag or digest (`registry:5000/team/app`); its version is
//! the tag, the digest, or `tag@digest` when both are given, and `latest` (what Docker
//! pulls) when neither is. Each image is listed once, at its first `FROM`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Component, Ecosystem, Extracted, Input, Problem};

/// Reads a Dockerfile's base images.
pub(crate) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Extracted::default();
    let mut args: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut stages: BTreeSet<String> = BTreeSet::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut saw_from = false;
    let mut saw_instruction = false;
    // The first instruction other than `ARG` before any `FROM`.
    let mut early: Option<(String, usize)> = None;
    for instruction in instructions(input.text) {
        let (keyword, rest) = instruction
            .text
            .trim()
            .split_once(char::is_whitespace)
            .map_or((instruction.text.trim(), ""), |(k, r)| (k, r.trim()));
        let keyword = keyword.to_ascii_uppercase();
        saw_instruction = true;
        match keyword.as_str() {
            "ARG" if !saw_from => {
                for (name, value) in read_args(rest) {
                    let value = value.map(|v| substitute(&v, &args).unwrap_or(v));
                    args.insert(name, value);
                }
            }
            "FROM" => {
                saw_from = true;
                match read_from(rest, &args, &mut stages, instruction.line) {
                    Ok(Some((name, version))) => {
                        if seen.insert((name.clone(), version.clone())) {
                            out.components.push(Component {
                                ecosystem: Ecosystem::Docker,
                                name,
                                version: Some(version),
                                requirement: None,
                                source_name: None,
                                source_version: None,
                                path: input.path.to_owned(),
                                line: instruction.line,
                            });
                        }
                    }
                    Ok(None) => {}
                    Err(problem) => out.problems.push(problem),
                }
            }
            _ if !saw_from && early.is_none() => early = Some((keyword, instruction.line)),
            _ => {}
        }
    }
    if saw_instruction && !saw_from {
        out.problems.push(Problem {
            line: 1,
            column: 1,
            message: "no `FROM` instruction: not a valid Dockerfile".to_owned(),
        });
    } else if let Some((keyword, line)) = early {
        out.problems.push(Problem {
            line,
            column: 1,
            message: format!("`{keyword}` comes before the first `FROM`: not a valid Dockerfile"),
        });
        out.problems.sort_by_key(|p| p.line);
    }
    out
}

/// One instruction: its text with continuations joined, and the line it starts on.
struct Instruction {
    text: String,
    line: usize,
}

/// The instructions of a Dockerfile (comments, directives and heredoc bodies removed).
fn instructions(text: &str) -> Vec<Instruction> {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: `# key=value` lines at the very top.
    while let Some(line) = lines.get(i) {
        let Some((key, value)) = line
            .trim()
            .strip_prefix('#')
            .and_then(|d| d.split_once('='))
        else {
            break;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            break;
        }
        if key.eq_ignore_ascii_case("escape") && value.trim() == "`" {
            escape = '`';
        }
        i += 1;
    }
    let mut out = Vec::new();
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut joined = String::new();
        let mut current = line;
        loop {
            let body = current.trim_end();
            i += 1;
            let Some(body) = body.strip_suffix(escape) else {
                joined.push_str(body);
                break;
            };
            joined.push_str(body);
            joined.push(' ');
            // The next line that is not a comment or blank continues it.
            while lines
                .get(i)
                .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            {
                i += 1;
            }
            match lines.get(i) {
                Some(next) => current = next,
                None => break,
            }
        }
        for terminator in heredocs(&joined) {
            while let Some(line) = lines.get(i) {
                i += 1;
                if line.trim_start_matches('\t') == terminator {
                    break;
                }
            }
        }
        out.push(Instruction {
            text: joined,
            line: start,
        });
    }
    out
}

/// The terminators of the heredocs an instruction opens (`<<EOF`, `<<-"EOF"`), in order.
fn heredocs(instruction: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = instruction;
    while let Some(at) = rest.find("<<") {
        let after = rest[at + 2..].trim_start_matches('-');
        let quoted = after.starts_with(['"', '\'']);
        let word = after.trim_start_matches(['"', '\'']);
        let end = word
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(word.len());
        if end > 0 && (quoted || word.as_bytes()[0].is_ascii_alphabetic()) {
            out.push(word[..end].to_owned());
        }
        rest = &rest[at + 2..];
    }
    out
}

/// `ARG A=1 B="two" C`: names with their defaults.
fn read_args(rest: &str) -> Vec<(String, Option<String>)> {
    rest.split_whitespace()
        .map(|arg| match arg.split_once('=') {
            Some((name, value)) => (
                name.to_owned(),
                Some(value.trim_matches(['"', '\'']).to_owned()),
            ),
            None => (arg.to_owned(), None),
        })
        .collect()
}

type FromResult = Result<Option<(String, String)>, Problem>;

/// A `FROM`'s image as (name, version); `Ok(None)` when it pulls none (a stage, scratch).
fn read_from(
    rest: &str,
    args: &BTreeMap<String, Option<String>>,
    stages: &mut BTreeSet<String>,
    line: usize,
) -> FromResult {
    let problem = |message: String| Problem {
        line,
        column: 1,
        message,
    };
    let words: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    let (image, stage) = match words[..] {
        [image] => (image, None),
        [image, r#as, stage] if r#as.eq_ignore_ascii_case("as") => (image, Some(stage)),
        [] => return Err(problem("`FROM` names no image".to_owned())),
        _ => {
            return Err(problem(format!(
                "`FROM {rest}` is not `FROM [--platform=…] image [AS name]`"
            )));
        }
    };
    let resolved = match substitute(image, args) {
        Ok(resolved) => resolved,
        Err(name) => {
            return Err(problem(format!(
                "image `{image}` uses build argument `{name}`, which has no default; not listed"
            )));
        }
    };
    let earlier_stage = stages.contains(&resolved.to_ascii_lowercase());
    if let Some(stage) = stage {
        stages.insert(stage.to_ascii_lowercase());
    }
    if earlier_stage || resolved.eq_ignore_ascii_case("scratch") {
        return Ok(None);
    }
    if resolved.is_empty() {
        return Err(problem(format!(
            "image `{image}` is empty once substituted"
        )));
    }
    Ok(Some(split_reference(&resolved)))
}

/// `name[:tag][@digest]` as (name, version).
fn split_reference(reference: &str) -> (String, String) {
    let (named, digest) = match reference.split_once('@') {
        Some((named, digest)) => (named, Some(digest)),
        None => (reference, None),
    };
    let slash = named.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match named[slash..].rfind(':') {
        Some(colon) => (&named[..slash + colon], Some(&named[slash + colon + 1..])),
        None => (named, None),
    };
    let version = match (tag, digest) {
        (Some(tag), Some(digest)) => format!("{tag}@{digest}"),
        (Some(tag), None) => tag.to_owned(),
        (None, Some(digest)) => digest.to_owned(),
        (None, None) => "latest".to_owned(),
    };
    (name.to_owned(), version)
}

/// `text` with `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` substituted from
/// `args`; the name of a variable without a value is the error.
fn substitute(text: &str, args: &BTreeMap<String, Option<String>>) -> Result<String, String> {
    let value = |name: &str| args.get(name).cloned().flatten();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let Some(close) = inner.find('}') else {
                return Err(inner.to_owned());
            };
            let expr = &inner[..close];
            rest = &inner[close + 1..];
            if let Some((name, word)) = expr.split_once(":-") {
                out.push_str(
                    &value(name)
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| word.to_owned()),
                );
            } else if let Some((name, word)) = expr.split_once(":+") {
                if value(name).is_some_and(|v| !v.is_empty()) {
                    out.push_str(word);
                }
            } else {
                out.push_str(&value(expr).ok_or_else(|| expr.to_owned())?);
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if end == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            let name = &after[..end];
            out.push_str(&value(name).ok_or_else(|| name.to_owned())?);
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::inventory::Kind;
    use crate::inventory::fixtures::{self, found};

    fn run(text: &str) -> Extracted {
        fixtures::parse_text(Kind::Dockerfile, "Dockerfile", text)
    }

    #[test]
    fn references_split_into_name_and_version() {
        for (reference, name, version) in [
            ("nginx", "nginx", "latest"),
            ("nginx:1.27.4", "nginx", "1.27.4"),
            ("nginx@sha256:abc", "nginx", "sha256:abc"),
            ("nginx:1.27@sha256:abc", "nginx", "1.27@sha256:abc"),
            (
                "localhost:5000/team/app",
                "localhost:5000/team/app",
                "latest",
            ),
            (
                "localhost:5000/team/app:v2",
                "localhost:5000/team/app",
                "v2",
            ),
            ("ghcr.io/org/img:1-alpine", "ghcr.io/org/img", "1-alpine"),
        ] {
            assert_eq!(
                split_reference(reference),
                (name.to_owned(), version.to_owned()),
                "{reference}"
            );
        }
    }

    #[test]
    fn stages_args_platforms_and_scratch() {
        let got = run(
            "# syntax=docker/dockerfile:1\nARG GO=1.22\nARG BASE=\"debian\" TAG\nFROM --platform=$BUILDPLATFORM golang:${GO}-alpine AS Build\nRUN go build\nFROM build AS test\nFROM ${BASE}:${TAG:-bookworm}-slim\nCOPY --from=build /app /app\nFROM scratch\nFROM golang:${GO}-alpine\nfrom alpine:3.19 as final\n",
        );
        assert_eq!(
            found(&got),
            [
                ("golang", "1.22-alpine", 4),
                ("debian", "bookworm-slim", 7),
                ("alpine", "3.19", 11),
            ]
        );
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn continuations_comments_and_heredocs() {
        let got = run(
            "FROM \\\n  # a comment inside\n  python:3.12 \\\n  AS base\nRUN <<EOF\nFROM not-an-image:1\nEOF\nRUN <<-'SCRIPT' cat\n\tFROM also-not:2\n\tSCRIPT\nFROM node:20\n",
        );
        assert_eq!(found(&got), [("python", "3.12", 1), ("node", "20", 11)]);
        assert!(got.problems.is_empty(), "{:?}", got.problems);
        let got = run(
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS win\nRUN dir c:\\\nFROM win\n",
        );
        assert_eq!(
            found(&got),
            [("mcr.microsoft.com/windows/servercore", "ltsc2022", 2)]
        );
    }

    #[test]
    fn unresolved_arguments_and_bad_files_are_problems() {
        let got = run("ARG IMAGE\nFROM ${IMAGE}\nFROM nginx:1\nFROM\nFROM a b c\n");
        assert_eq!(found(&got), [("nginx", "1", 3)]);
        let lines: Vec<_> = got.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(got.problems[0].message.contains("`IMAGE`"));
        let got = run("RUN yarn install --production\n");
        assert_eq!(got.problems.len(), 1);
        let got = run("RUN true\nFROM nginx\n");
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].line, 1);
        assert!(run("").problems.is_empty());
        assert!(run("# only a comment\n").problems.is_empty());
    }

    #[test]
    fn fixtures_agree() {
        let checked = fixtures::check_default_cases("dockerfile-from", Kind::Dockerfile);
        // The `maxFileSizeBytes` case is skipped: size limits are the reader's business.
        assert_eq!(checked, 8);
    }

    #[test]
    fn truncated_files_give_problems_not_panics() {
        assert!(fixtures::truncations_hold("dockerfile-from", Kind::Dockerfile) > 100);
    }
}
