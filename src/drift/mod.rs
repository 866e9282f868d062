//! Drift: rendered files against the files checked in under each environment's output
//! directory. Changed files become `drift` findings carrying a unified diff and pointing at
//! the first changed line; files that should exist but do not are `missing-file`; files no
//! baseline renders are `unmanaged-file`.

use rayon::prelude::*;
use similar::{DiffOp, TextDiff};
use std::collections::HashSet;

use crate::finding::{Finding, RuleId, Severity};
use crate::fs::{self, Bounded, FsError};
use crate::render::RenderedFile;
use crate::repo::Repository;
use crate::tree::{self, Kind, Tree};

/// Largest checked-in file compared, in bytes (larger ones are drift without a diff).
pub const MAX_DEPLOYED_BYTES: u64 = 16 * 1024 * 1024;
/// Largest file for which a unified diff is computed and shown.
pub const MAX_DIFF_BYTES: usize = 1024 * 1024;

enum Outcome {
    Same,
    Missing,
    Escapes(fs::PathProblem),
    TooLarge(u64),
    NotUtf8,
    Differs {
        text: String,
        first_line: usize,
        diff: Option<String>,
    },
}

/// Compares every rendered file with its checked-in copy and lists unmanaged files of the
/// environments in `envs`. Checked-in files that drifted are added to the source store.
pub fn check(
    repo: &mut Repository,
    rendered: &[RenderedFile],
    envs: &[String],
) -> Result<Vec<Finding>, FsError> {
    check_same(repo, rendered, envs).map(|(findings, _)| findings)
}

/// [`check`], and for each rendered file (same order) whether its checked-in copy is a
/// regular file inside the output directory with exactly the rendered bytes: its text is
/// then the rendered text, and later stages (conformance) need not read it again.
pub fn check_same(
    repo: &mut Repository,
    rendered: &[RenderedFile],
    envs: &[String],
) -> Result<(Vec<Finding>, Vec<bool>), FsError> {
    let tree = repo.tree.clone();
    // One walk per environment (not following links) finds every checked-in file: regular
    // files seen this way are inside the output directory by construction, so only files
    // not seen need the slower symlink-resolving path check.
    let with_files: HashSet<&str> = rendered.iter().map(|f| f.environment.as_str()).collect();
    let walks: Vec<Result<Walk, FsError>> = repo
        .environments
        .par_iter()
        .filter(|e| envs.contains(&e.metadata.name) || with_files.contains(e.name()))
        .map(|e| walk(&tree, e.name(), e.output.trim_end_matches('/')))
        .collect();
    let walks: Vec<Walk> = walks.into_iter().collect::<Result<_, _>>()?;
    let regular: HashSet<&str> = walks
        .iter()
        .flat_map(|w| w.files.iter().filter(|(_, r)| *r).map(|(p, _)| p.as_str()))
        .collect();
    let outcomes: Vec<Result<Outcome, FsError>> = rendered
        .par_iter()
        .map(|file| compare(&tree, file, regular.contains(file.path.as_str())))
        .collect();
    let mut findings = Vec::new();
    let mut same = Vec::with_capacity(rendered.len());
    for (file, outcome) in rendered.iter().zip(outcomes) {
        let baseline = repo.baseline(&file.baseline).map(|b| b.file);
        let outcome = outcome?;
        same.push(matches!(outcome, Outcome::Same));
        match outcome {
            Outcome::Same => {}
            Outcome::Missing => {
                let location = baseline.map_or_else(
                    || crate::finding::Location::file(file.path.clone()),
                    |b| repo.value_location(b, "/render/target"),
                );
                findings.push(
                    Finding::new(
                        RuleId::MissingFile,
                        Severity::High,
                        format!(
                            "`{}` is not checked in; baseline `{}` renders it for `{}`",
                            file.path, file.baseline, file.environment
                        ),
                        format!("run `hardline render --write --env {}` and commit the result", file.environment),
                    )
                    .at(location)
                    .in_env(&file.environment),
                );
            }
            Outcome::Escapes(problem) => findings.push(
                Finding::new(
                    RuleId::UnsafePath,
                    Severity::High,
                    format!("`{}` {}", file.path, problem.describe()),
                    "rendered files must stay inside the environment's output directory",
                )
                .at(crate::finding::Location::file(file.path.clone()))
                .in_env(&file.environment),
            ),
            Outcome::TooLarge(size) => findings.push(drift_finding(
                file,
                crate::finding::Location::file(file.path.clone()),
                format!("`{}` differs from what baseline `{}` renders for `{}` (checked-in file is {size} bytes, too large to compare)", file.path, file.baseline, file.environment),
            )),
            Outcome::NotUtf8 => findings.push(drift_finding(
                file,
                crate::finding::Location::file(file.path.clone()),
                format!("`{}` differs from what baseline `{}` renders for `{}` (checked-in file is not UTF-8)", file.path, file.baseline, file.environment),
            )),
            Outcome::Differs { text, first_line, diff } => {
                let id = repo.sources.add(file.path.clone(), text);
                let location = repo.sources.get(id).line_location(first_line);
                let mut finding = drift_finding(
                    file,
                    location,
                    format!(
                        "`{}` differs from what baseline `{}` renders for `{}`",
                        file.path, file.baseline, file.environment
                    ),
                );
                if let Some(diff) = diff {
                    finding = finding.with_diff(diff);
                }
                findings.push(finding);
            }
        }
    }
    // With a baseline file unreadable, which files it renders is unknown: do not call them
    // unmanaged (the file's own finding says what to fix first).
    if repo.unloaded_baselines.is_empty() {
        let mut managed: HashSet<String> = rendered.iter().map(|f| f.path.clone()).collect();
        // A file whose baseline failed to render is still managed (its finding says why).
        for env in &repo.environments {
            let output = env.output.trim_end_matches('/');
            managed.extend(
                repo.baselines
                    .iter()
                    .filter(|b| env.renders(b.name()))
                    .filter_map(|b| b.render.as_ref())
                    .map(|r| format!("{output}/{}", r.target)),
            );
        }
        for walk in walks.iter().filter(|w| envs.contains(&w.environment)) {
            for (path, _) in walk.files.iter().filter(|(p, _)| !managed.contains(p)) {
                findings.push(
                    Finding::new(
                        RuleId::UnmanagedFile,
                        Severity::Info,
                        format!(
                            "`{path}` is rendered by no baseline of `{}`",
                            walk.environment
                        ),
                        "delete it, or add a baseline that renders it so it is checked",
                    )
                    .at(crate::finding::Location::file(path.clone()))
                    .in_env(&walk.environment),
                );
            }
        }
    }
    Ok((findings, same))
}

fn drift_finding(
    file: &RenderedFile,
    location: crate::finding::Location,
    message: String,
) -> Finding {
    Finding::new(RuleId::Drift, Severity::High, message, format!(
        "run `hardline render --write --env {}` and commit, or change the baseline or overlay instead of the rendered file",
        file.environment
    ))
    .at(location)
    .in_env(&file.environment)
    // One problem whatever the message says about it (too large, not UTF-8, which line):
    // a file that still differs is the same finding in pull-request mode.
    .keyed(format!("differs from what baseline `{}` renders", file.baseline))
}

fn compare(tree: &Tree, file: &RenderedFile, seen_regular: bool) -> Result<Outcome, FsError> {
    if !seen_regular {
        // Not found by the walk: missing, or behind a symlink (which may lead out).
        return Ok(match tree.confine(&file.path) {
            Err(problem) => Outcome::Escapes(problem),
            Ok(()) => Outcome::Missing,
        });
    }
    let bytes = match tree.read_confined(&file.path, MAX_DEPLOYED_BYTES)? {
        Bounded::TooLarge(size) => return Ok(Outcome::TooLarge(size)),
        Bounded::Bytes(bytes) => bytes,
    };
    if bytes == file.contents.as_bytes() {
        return Ok(Outcome::Same);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(Outcome::NotUtf8);
    };
    let unified = unified_diff(
        &text,
        &file.contents,
        &format!("a/{}", file.path),
        &format!("b/{} (rendered)", file.path),
    );
    let (first_line, diff) = if let Some(unified) = unified {
        (unified.first_line, Some(unified.text))
    } else {
        let first = text
            .lines()
            .zip(file.contents.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| text.lines().count().min(file.contents.lines().count()));
        (first + 1, None)
    };
    Ok(Outcome::Differs {
        text,
        first_line,
        diff,
    })
}

/// A unified diff and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnifiedDiff {
    /// 1-based line of the first change in the old text.
    pub first_line: usize,
    /// The diff: headers, then hunks with three lines of context.
    pub text: String,
}

/// The unified diff from `old` to `new` under the given `---`/`+++` headers; `None` when
/// either text is larger than [`MAX_DIFF_BYTES`] (line diffs of huge files are slow and
/// unreadable).
pub fn unified_diff(
    old: &str,
    new: &str,
    old_header: &str,
    new_header: &str,
) -> Option<UnifiedDiff> {
    if old.len().max(new.len()) > MAX_DIFF_BYTES {
        return None;
    }
    let diff = TextDiff::from_lines(old, new);
    let first = diff
        .ops()
        .iter()
        .find(|op| !matches!(op, DiffOp::Equal { .. }))
        .map_or(0, |op| op.old_range().start);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(old_header, new_header)
        .to_string();
    Some(UnifiedDiff {
        first_line: first + 1,
        text,
    })
}

/// The files under one environment's output directory.
struct Walk {
    environment: String,
    /// Repo-relative path and whether it is a regular file (not a symlink or special file).
    files: Vec<(String, bool)>,
}

fn walk(tree: &Tree, environment: &str, output: &str) -> Result<Walk, FsError> {
    let mut files = Vec::new();
    // An output directory that is itself a symlink out of the root is `unsafe-path`
    // (validation); nothing under it is read.
    if tree.confine(output).is_ok() && tree.is_dir(output) {
        let dir = tree::normalise_dir(output);
        for entry in tree.walk(dir)? {
            // A submodule is a directory in a checkout (its files are another repository's);
            // reading it as a rendered target reports it.
            if matches!(entry.kind, Kind::Dir | Kind::Submodule) {
                continue;
            }
            let Some(rel) = tree::below(&entry.path, dir) else {
                continue;
            };
            // Spelled as the overlay spells `output`, as the rendered paths are.
            files.push((format!("{output}/{rel}"), entry.kind == Kind::File));
        }
    }
    Ok(Walk {
        environment: environment.to_owned(),
        files,
    })
}
