//! pip requirements files (`requirements*.txt`).
//!
//! Each logical line (physical lines joined at a trailing `\`, comments removed) is one
//! requirement or one option. Requirements give a `PyPI` component: exact pins (`==1.0`,
//! `===1.0`) as its version, anything else (`>=1.0`, `~=1.1`, `==2.*`, several clauses)
//! as its requirement with no version, and a bare name with neither. Per-requirement
//! options (`--hash`, `--config-settings`, `-C` …) and environment markers (`; …`) are
//! cut off, extras (`pkg[extra]`) dropped. `-r`/`--requirement` includes are followed
//! relative to the including file, each file once (so include cycles end). Constraint
//! files (`-c`), editable installs (`-e`), paths, URLs and global options declare no
//! versioned `PyPI` component and are skipped, as pip's own resolver input would not name
//! one. A requirement whose version comes from an environment variable (`${VAR}`) cannot
//! be read here and is a [`Problem`].

use std::collections::{BTreeSet, VecDeque};

use super::lockfile::line_problem;
use super::{Component, Ecosystem, Extracted, Input, Problem};
use crate::conform::MAX_INCLUDED_FILES;

/// Options that end a requirement: everything from the first of them on is not part of it.
const PER_REQUIREMENT_OPTIONS: [&str; 5] = [
    "--hash",
    "--global-option",
    "--install-option",
    "--config-settings",
    "-C",
];

/// Version operators, longest first so that `===` is not read as `==`.
const OPERATORS: [&str; 8] = ["===", "==", "~=", "!=", ">=", "<=", ">", "<"];

/// Reads a requirements file and the files it includes. A problem in an included file is
/// reported at the line of the root file that (directly or not) includes it, naming the
/// included file and its line.
pub(crate) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Extracted::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    seen.insert(input.path.to_owned());
    // Files still to read: path, text, and the root file's line that led to them (`None`
    // for the root file itself).
    let mut queue: VecDeque<(String, String, Option<usize>)> = VecDeque::new();
    queue.push_back((input.path.to_owned(), input.text.to_owned(), None));
    while let Some((path, text, via)) = queue.pop_front() {
        let mut problems = Vec::new();
        let includes = parse_file(&path, &text, &mut out.components, &mut problems);
        for (line, target) in includes {
            let at = via.unwrap_or(line);
            let Some(resolved) = join(parent(&path), &target) else {
                problems.push(line_problem(
                    line,
                    format!("include `{target}` leads outside the repository; not read"),
                ));
                continue;
            };
            if !seen.insert(resolved.clone()) {
                continue;
            }
            if seen.len() > MAX_INCLUDED_FILES {
                problems.push(line_problem(
                    line,
                    format!(
                        "more than {MAX_INCLUDED_FILES} included files; `{resolved}` and later includes are not read"
                    ),
                ));
                break;
            }
            match input.reader.read(&resolved) {
                Ok(text) => queue.push_back((resolved, text, Some(at))),
                Err(why) => problems.push(line_problem(
                    line,
                    format!("cannot read included requirements file: {why}"),
                )),
            }
        }
        match via {
            None => out.problems.extend(problems),
            Some(at) => out.problems.extend(problems.into_iter().map(|p| {
                line_problem(
                    at,
                    format!("in included `{path}` line {}: {}", p.line, p.message),
                )
            })),
        }
        if seen.len() > MAX_INCLUDED_FILES {
            break;
        }
    }
    out.problems.sort_by_key(|p| p.line);
    out
}

/// Reads one file's requirements into `components`; returns its includes (line, target
/// as written).
fn parse_file(
    path: &str,
    text: &str,
    components: &mut Vec<Component>,
    problems: &mut Vec<Problem>,
) -> Vec<(usize, String)> {
    let mut includes = Vec::new();
    for (line, logical) in logical_lines(text) {
        match read_line(&logical) {
            Line::Nothing => {}
            Line::Include(target) => includes.push((line, target)),
            Line::Problem(message) => problems.push(line_problem(line, message)),
            Line::Requirement(req) => {
                if req
                    .version
                    .as_deref()
                    .is_some_and(|v| v.contains(char::is_whitespace))
                {
                    problems.push(line_problem(
                        line,
                        format!(
                            "version of `{}` contains text that is not part of a version; read as written",
                            req.name
                        ),
                    ));
                }
                components.push(Component {
                    ecosystem: Ecosystem::PyPI,
                    name: req.name,
                    version: req.version,
                    requirement: req.requirement,
                    source_name: None,
                    source_version: None,
                    path: path.to_owned(),
                    line,
                });
            }
        }
    }
    includes
}

/// One logical line's meaning.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    Nothing,
    Include(String),
    Requirement(Declared),
    Problem(String),
}

#[derive(Debug, PartialEq, Eq)]
struct Declared {
    name: String,
    version: Option<String>,
    requirement: Option<String>,
}

/// Logical lines: comments removed, `\`-continued lines joined; with the 1-based line each
/// starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let stripped = strip_comment(raw);
        let (body, continued) = match stripped.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (stripped, false),
        };
        let entry = pending.get_or_insert_with(|| (index + 1, String::new()));
        entry.1.push_str(body);
        if !continued {
            out.extend(pending.take());
        }
    }
    out.extend(pending);
    out
}

/// The line without its comment: `#` at the start or after whitespace, as pip reads it.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find('#').map(|i| i + from) {
        if i == 0 || bytes[i - 1].is_ascii_whitespace() {
            return line[..i].trim_end();
        }
        from = i + 1;
    }
    line.trim_end()
}

fn read_line(logical: &str) -> Line {
    let line = logical.trim();
    if line.is_empty() {
        return Line::Nothing;
    }
    if let Some(target) = include_target(line) {
        return if target.is_empty() {
            Line::Problem("`-r` without a file name".to_owned())
        } else {
            Line::Include(target.to_owned())
        };
    }
    if line.starts_with('-') {
        // Constraints, editables and global options declare no versioned component.
        return Line::Nothing;
    }
    if let Some(var) = env_variable(line) {
        return Line::Problem(format!(
            "requirement uses environment variable `{var}`, whose value is unknown here; not read"
        ));
    }
    let line = cut_options(line);
    // Environment markers; a URL requirement (`name @ url ; marker`) is cut the same way.
    let line = line.split_once(';').map_or(line, |(req, _)| req).trim();
    let first = line.split_whitespace().next().unwrap_or_default();
    if first.contains("://") || line.starts_with(['.', '/']) {
        return Line::Nothing; // a path or URL: not a PyPI release
    }
    let without_extras = remove_extras(line);
    let line = without_extras.as_str();
    if let Some((name, url)) = line.split_once('@') {
        let name = name.trim();
        return if valid_name(name) {
            Line::Requirement(Declared {
                name: name.to_owned(),
                version: None,
                requirement: Some(format!("@ {}", url.trim())),
            })
        } else {
            Line::Problem(format!("`{}` is not a requirement", logical.trim()))
        };
    }
    let (name, spec) = match OPERATORS.iter().filter_map(|op| line.find(op)).min() {
        Some(at) => (line[..at].trim(), line[at..].trim()),
        None => (line, ""),
    };
    if !valid_name(name) {
        return Line::Problem(format!("`{}` is not a requirement", logical.trim()));
    }
    let spec = collapse_spaces(spec);
    let pin = ["===", "=="]
        .iter()
        .find_map(|op| spec.strip_prefix(op))
        .filter(|_| !spec.contains(','));
    match pin {
        Some("") => Line::Problem(format!("`{name}` has an operator but no version; not read")),
        Some(version) if !version.contains('*') => Line::Requirement(Declared {
            name: name.to_owned(),
            version: Some(version.to_owned()),
            requirement: None,
        }),
        _ if spec.is_empty() => Line::Requirement(Declared {
            name: name.to_owned(),
            version: None,
            requirement: None,
        }),
        _ => {
            if spec.split(',').any(|clause| {
                let clause = clause.trim_start_matches(['=', '!', '~', '<', '>']);
                clause.trim().is_empty()
            }) {
                return Line::Problem(format!("`{name}` has an operator but no version; not read"));
            }
            Line::Requirement(Declared {
                name: name.to_owned(),
                version: None,
                requirement: Some(spec),
            })
        }
    }
}

/// `-r file`, `-rfile`, `--requirement file`, `--requirement=file`.
fn include_target(line: &str) -> Option<&str> {
    let rest = if let Some(rest) = line.strip_prefix("--requirement") {
        if let Some(value) = rest.strip_prefix('=') {
            value
        } else if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            rest
        } else {
            return None; // `--requirements…`: some other option
        }
    } else {
        line.strip_prefix("-r")?
    };
    Some(rest.trim())
}

/// The name of the first `${NAME}` pip would expand.
fn env_variable(line: &str) -> Option<&str> {
    let start = line.find("${")?;
    let rest = &line[start + 2..];
    let end = rest.find('}')?;
    let name = &rest[..end];
    (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
    .then_some(name)
}

/// The requirement before its first per-requirement option (an option starts a
/// whitespace-separated token: `foo--hash==1` is a name).
fn cut_options(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut cut = line.len();
    for option in PER_REQUIREMENT_OPTIONS {
        let mut from = 0;
        while let Some(at) = line[from..].find(option).map(|i| i + from) {
            if at > 0 && bytes[at - 1].is_ascii_whitespace() {
                cut = cut.min(at);
                break;
            }
            from = at + option.len();
        }
    }
    line[..cut].trim_end()
}

fn remove_extras(line: &str) -> String {
    if !line.contains('[') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut depth = 0usize;
    for c in line.chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whitespace removed around operators and commas (`>= 2.8.1, == 2.8.*` → `>=2.8.1,==2.8.*`),
/// kept inside a clause's version (which then is not a version).
fn collapse_spaces(spec: &str) -> String {
    spec.split(',')
        .map(|clause| {
            let clause = clause.trim();
            let op_len = clause
                .bytes()
                .take_while(|b| matches!(b, b'=' | b'!' | b'~' | b'<' | b'>'))
                .count();
            format!("{}{}", &clause[..op_len], clause[op_len..].trim())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// PEP 508 project names: ASCII letters and digits, with `.`, `_`, `-` inside.
fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        _ => false,
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `rel` resolved against the repo-relative directory `dir`; `None` when it leaves the
/// repository or is absolute.
fn join(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for segment in rel.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    // A file named by absolute path (`hardline inventory /srv/app`) keeps its includes absolute.
    let root = if dir.starts_with('/') { "/" } else { "" };
    Some(format!("{root}{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::inventory::fixtures::{self, found};
    use crate::inventory::{Component, Kind};

    fn run(path: &str, text: &str, files: &[(&str, &str)]) -> Extracted {
        fixtures::parse_with(Kind::Requirements, path, text, files)
    }

    fn req(line: &str) -> Line {
        read_line(line)
    }

    fn component(name: &str, version: Option<&str>, requirement: Option<&str>) -> Line {
        Line::Requirement(Declared {
            name: name.to_owned(),
            version: version.map(str::to_owned),
            requirement: requirement.map(str::to_owned),
        })
    }

    /// How upstream reports a component's version: the pin, else the version of a single
    /// `>=`, `<=` or `~=` clause (its "lowest version"), else nothing.
    fn upstream_version(c: &Component) -> String {
        if let Some(v) = &c.version {
            return v.clone();
        }
        match c.requirement.as_deref() {
            Some(spec) if !spec.contains([',', '*']) => [">=", "<=", "~="]
                .iter()
                .find_map(|op| spec.strip_prefix(op))
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        }
    }

    #[test]
    fn pins_ranges_and_bare_names() {
        assert_eq!(req("nltk==3.2.2"), component("nltk", Some("3.2.2"), None));
        assert_eq!(req("yolo===1.0"), component("yolo", Some("1.0"), None));
        assert_eq!(
            req("newspaper3k>=0.2.2"),
            component("newspaper3k", None, Some(">=0.2.2"))
        );
        assert_eq!(req("asdf==0.7.*"), component("asdf", None, Some("==0.7.*")));
        assert_eq!(
            req("requests [security] >= 2.8.1, == 2.8.* ; python_version < \"2.7\""),
            component("requests", None, Some(">=2.8.1,==2.8.*"))
        );
        assert_eq!(
            req("Mopidy-Dirble ~= 1.1"),
            component("Mopidy-Dirble", None, Some("~=1.1"))
        );
        assert_eq!(req("pytest"), component("pytest", None, None));
        assert_eq!(
            req("pyjwt [crypto] == 2.1.0"),
            component("pyjwt", Some("2.1.0"), None)
        );
        assert_eq!(
            req("urllib3 @ https://example.com/urllib3-1.26.8.zip"),
            component(
                "urllib3",
                None,
                Some("@ https://example.com/urllib3-1.26.8.zip")
            )
        );
    }

    #[test]
    fn options_paths_and_urls_are_not_components() {
        for line in [
            "-c constraints.txt",
            "-e git+https://github.com/a/b#egg=b",
            "--index-url https://pypi.example.com/simple",
            "./downloads/numpy-1.9.2-cp34-none-win32.whl",
            "http://wxpython.org/Phoenix/wxPython_Phoenix-3.0.3-cp34-none-win_amd64.whl",
            "git+https://github.com/a/b.git@v1.0#egg=b",
            "   ",
        ] {
            assert_eq!(req(line), Line::Nothing, "{line}");
        }
        assert_eq!(req("-r other.txt"), Line::Include("other.txt".to_owned()));
        assert_eq!(req("-rother.txt"), Line::Include("other.txt".to_owned()));
        assert_eq!(
            req("--requirement=dev/other.txt"),
            Line::Include("dev/other.txt".to_owned())
        );
    }

    #[test]
    fn malformed_requirements_are_problems() {
        for line in [
            "asdf==",
            "==1.0",
            "asdf 1.0",
            "foo>=1.0,<",
            "qwert==${MY_VARIABLE_1}",
        ] {
            assert!(
                matches!(req(line), Line::Problem(_)),
                "{line}: {:?}",
                req(line)
            );
        }
    }

    #[test]
    fn hash_options_markers_and_continuations() {
        let text = "# top\npkgA==1.0 \\\n  --hash=sha256:123 \\\n  --hash=sha256:456\n\nfoo5==1.0; python_version < \"2.7\" --hash=sha256:1\nfoo17--hash==1.0\nsix==1.2 # pinned\n";
        let got = run("requirements.txt", text, &[]);
        assert_eq!(
            found(&got),
            [
                ("pkgA", "1.0", 2),
                ("foo5", "1.0", 6),
                ("foo17--hash", "1.0", 7),
                ("six", "1.2", 8),
            ]
        );
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn includes_are_relative_and_read_once() {
        let got = run(
            "svc/requirements.txt",
            "-r common/base.txt\n-r ../shared/requirements.txt\nflask==3.0.0\n",
            &[
                (
                    "svc/common/base.txt",
                    "requests==2.31.0\n-r ../requirements.txt\n",
                ),
                (
                    "shared/requirements.txt",
                    "-r ../svc/common/base.txt\nidna==3.6\n",
                ),
            ],
        );
        let found: Vec<_> = got
            .components
            .iter()
            .map(|c| (c.path.as_str(), c.name.as_str(), c.line))
            .collect();
        assert_eq!(
            found,
            [
                ("svc/requirements.txt", "flask", 3),
                ("svc/common/base.txt", "requests", 1),
                ("shared/requirements.txt", "idna", 2),
            ]
        );
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn unreadable_and_escaping_includes_are_problems() {
        let got = run(
            "requirements.txt",
            "-r missing.txt\n-r ../../etc/passwd\nflask==3.0.0\n",
            &[],
        );
        assert_eq!(got.components.len(), 1);
        let problems: Vec<_> = got.problems.iter().map(|p| p.line).collect();
        assert_eq!(problems, [1, 2]);
        assert!(got.problems[0].message.contains("missing.txt"));
    }

    #[test]
    fn a_large_file_is_fast() {
        let text: String = (0..5000)
            .map(|i| format!("package-{i}[extra]=={i}.0.1 --hash=sha256:{i:064x} ; python_version >= \"3.8\" # pinned\n"))
            .collect();
        let start = std::time::Instant::now();
        let got = run("requirements.txt", &text, &[]);
        let elapsed = start.elapsed();
        assert_eq!(got.components.len(), 5000);
        assert!(got.problems.is_empty());
        // Debug builds are ~10x slower than release; the bound catches quadratic work.
        assert!(elapsed.as_millis() < 500, "{elapsed:?}");
    }

    #[test]
    fn real_world_file_reads_clean() {
        let folder = fixtures::folder("requirements-txt/real-world");
        let text = std::fs::read_to_string(folder.join("python-fixture.requirements.txt")).unwrap();
        let got = run("requirements.txt", &text, &[]);
        let declared = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .count();
        assert_eq!(got.components.len(), declared);
        assert!(got.components.iter().all(|c| c.version.is_some()));
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    /// The fixtures through upstream's view of versions (see `upstream_version`), with the
    /// line of every package where upstream asserts it.
    #[test]
    fn fixtures_agree() {
        let checked = fixtures::check_cases(
            "requirements-txt",
            Kind::Requirements,
            fixtures::cases("requirements-txt")
                .into_iter()
                .filter(|c| c.config.is_none()),
            |c| (c.name.clone(), upstream_version(c)),
        );
        assert_eq!(checked, 10);
    }

    #[test]
    fn truncated_files_give_problems_not_panics() {
        assert!(fixtures::truncations_hold("requirements-txt", Kind::Requirements) > 100);
    }
}
