//! Conformance: what checked-in config files really say, against each setting's constraint.
//!
//! For every file a baseline targets — the files it renders in each environment, and the
//! files its `conform.paths` name (hand-written, vendor defaults, manifests) — the file is
//! parsed with the baseline's format ([`Format`]: one module per syntax) and every setting
//! is looked up and evaluated ([`value`]). A violated setting is a `nonconformity` at the
//! directive's line and column; a missing one is reported at the file, saying where it
//! belongs. Formats read included files only through a [`Reader`] confined to the
//! repository.

pub mod nginx;
pub mod postgresql;
pub mod sshd;
pub mod structured;
pub mod sysctl;
pub mod value;

use std::any::Any;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use serde_json::Value;

use crate::finding::{Finding, Location, RuleId, Severity};
use crate::fs::{self, Bounded};
use crate::model::{Baseline, KeySpec, Setting};
use crate::repo::Repository;
use crate::resolve::{
    Resolved,
    constraint::{self, Patterns},
};
use crate::tree::{Kind, Tree};

/// Largest config file (or included file) read, in bytes.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;
/// Most files one checked file may pull in through includes.
pub const MAX_INCLUDED_FILES: usize = 256;

/// A checked file as a format sees it.
pub struct Input<'a> {
    /// Repo-relative path.
    pub path: &'a str,
    /// Its text.
    pub text: &'a str,
    /// Repo-relative directory that stands for `/` (the environment's output directory for
    /// rendered files), for absolute include paths. Empty: the repository root.
    pub sysroot: &'a str,
}

/// Reads files for formats that follow includes. Every path is repo-relative and confined to
/// the repository: a path leading out is an error, never a read.
pub trait Reader: Sync {
    /// The text of a file, or why it cannot be read.
    fn read(&self, path: &str) -> Result<String, String>;
    /// Repo-relative files matching a repo-relative glob (`*`, `?`, `[...]`, `**`), sorted.
    fn glob(&self, pattern: &str) -> Vec<String>;
    /// Whether anything exists at `path` (looked up, never read). Formats whose daemon
    /// silently skips a missing include ask this first.
    fn exists(&self, path: &str) -> bool;
}

/// A byte span in one of the files of a [`Parsed`] config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    /// Index into [`Parsed::files`] (0: the checked file itself).
    pub file: usize,
    /// Byte offset.
    pub offset: usize,
    /// Byte length.
    pub len: usize,
}

/// A value a file gives a setting.
#[derive(Clone, Debug)]
pub struct Observed {
    /// The value as written (a string for text formats, typed for structured ones).
    pub value: Value,
    /// Where.
    pub site: Site,
    /// `None` for the value in force globally; otherwise the narrower scope it applies to
    /// (`Match User deploy`, `server example.com > location /`, `Deployment/web container app`).
    pub scope: Option<String>,
}

/// What a lookup found in one scope.
#[derive(Clone, Debug)]
pub enum Found {
    /// The key is set.
    Value(Observed),
    /// The key is absent in a scope that needs it (a container without a securityContext);
    /// the site is the scope's own node.
    Missing {
        /// The scope.
        scope: String,
        /// Where the scope is.
        site: Site,
    },
}

/// A problem while parsing: unparseable line, include loop, include out of the repository.
#[derive(Clone, Debug)]
pub struct Problem {
    /// Where.
    pub site: Site,
    /// What, one line.
    pub message: String,
}

/// A parsed config: the files read (the checked file first, then included ones), problems,
/// and format-specific data for [`Format::lookup`].
pub struct Parsed {
    /// `(repo-relative path, text)`; index 0 is the checked file.
    pub files: Vec<(String, String)>,
    /// Parse problems.
    pub problems: Vec<Problem>,
    /// The format's own representation.
    pub data: Box<dyn Any + Send + Sync>,
}

/// One config syntax.
pub trait Format: Sync {
    /// Parses a file (and what it includes).
    fn parse(&self, input: &Input<'_>, reader: &dyn Reader) -> Parsed;
    /// Every value the file gives `key` with the format's semantics (first or last value
    /// wins, scopes): the value in force globally first, then narrower scopes. Empty when
    /// the key is not set anywhere.
    fn lookup(&self, parsed: &Parsed, key: &str) -> Vec<Found>;
    /// Whether settings absent from this parse are reported against this file. A format
    /// whose files act together (sysctl's boot-time set) reports absence once, at one file.
    fn reports_absence(&self, _parsed: &Parsed) -> bool {
        true
    }
    /// Where a missing setting belongs, for the help text.
    fn placement(&self, key: &str) -> String {
        format!("add `{key}` to the file")
    }
}

/// The format called `name`, if hardline can parse it.
pub fn format(name: &str) -> Option<&'static dyn Format> {
    match name {
        "sysctl" => Some(&sysctl::Sysctl),
        "sshd" => Some(&sshd::Sshd),
        "nginx" => Some(&nginx::Nginx),
        "postgresql" => Some(&postgresql::Postgresql),
        "pg_hba" => Some(&postgresql::PgHba),
        "yaml" => Some(&structured::YAML),
        "json" => Some(&structured::JSON),
        "toml" => Some(&structured::TOML),
        "ini" => Some(&structured::INI),
        "env" => Some(&structured::ENV),
        _ => None,
    }
}

/// The format a baseline's checked files use.
fn baseline_format(baseline: &Baseline) -> Option<&str> {
    baseline
        .conform
        .as_ref()
        .and_then(|c| c.format.as_deref())
        .or_else(|| baseline.render.as_ref().and_then(|r| r.format.as_deref()))
}

/// One file to check and what it must say.
struct Target<'a> {
    path: String,
    sysroot: String,
    baseline: &'a Baseline,
    format: &'static dyn Format,
    /// The environment and its effective values; `None`: the baseline's defaults.
    environment: Option<(&'a str, &'a Resolved)>,
    /// The file's text when the caller already read it (see [`check_known`]).
    known: Option<&'a str>,
}

/// Checks every targeted file of `repo` (rendered targets of the environments in `envs`,
/// and every baseline's `conform.paths`). Files read are added to the source store when a
/// finding points into them.
pub fn check(
    repo: &mut Repository,
    resolved: &[Resolved],
    envs: &[String],
    patterns: &Patterns,
) -> Vec<Finding> {
    check_known(repo, resolved, envs, patterns, &HashMap::new())
}

/// [`check`], with the text of some checked-in files already known: `known` maps a
/// repo-relative path to the exact contents of that file, which must be a regular file inside
/// the repository (as drift establishes for files identical to the rendered ones). Those
/// files are not read again; the result is the same as [`check`]'s.
pub fn check_known(
    repo: &mut Repository,
    resolved: &[Resolved],
    envs: &[String],
    patterns: &Patterns,
    known: &HashMap<&str, &str, impl std::hash::BuildHasher>,
) -> Vec<Finding> {
    let repo_reader = RepoReader::with_tree(repo.tree.clone());
    let mut findings = Vec::new();
    let mut targets = Vec::new();
    for job in resolved {
        let env = &repo.environments[job.environment];
        let baseline = &repo.baselines[job.baseline];
        let (Some(render), Some(format_name)) = (&baseline.render, baseline_format(baseline))
        else {
            continue;
        };
        if !envs.iter().any(|e| e == env.name()) || !env.renders(baseline.name()) {
            continue;
        }
        let Some(format) = format(format_name) else {
            continue;
        };
        let output = env.output.trim_end_matches('/');
        let path = format!("{output}/{}", render.target);
        targets.push(Target {
            known: known.get(path.as_str()).copied(),
            path,
            sysroot: output.to_owned(),
            baseline,
            format,
            environment: Some((env.name(), job)),
        });
    }
    for baseline in &repo.baselines {
        let Some(spec) = &baseline.conform else {
            continue;
        };
        let Some(format) = baseline_format(baseline).and_then(format) else {
            continue;
        };
        for (i, pattern) in spec.paths.iter().enumerate() {
            let matched = if is_glob(pattern) {
                repo_reader.glob(pattern)
            } else if repo.tree.exists(pattern) {
                vec![pattern.clone()]
            } else {
                findings.push(
                    Finding::new(
                        RuleId::Nonconformity,
                        Severity::Medium,
                        format!(
                            "`{pattern}` does not exist; baseline `{}` checks it",
                            baseline.name()
                        ),
                        "fix the path in `conform.paths`, or commit the file",
                    )
                    .at(repo.value_location(baseline.file, &format!("/conform/paths/{i}"))),
                );
                Vec::new()
            };
            for path in matched {
                targets.push(Target {
                    path,
                    sysroot: spec.root.clone().unwrap_or_default(),
                    baseline,
                    format,
                    environment: None,
                    known: None,
                });
            }
        }
    }
    let results: Vec<(Option<Parsed>, Vec<Pending>)> = targets
        .par_iter()
        .map(|t| {
            let (parsed, pending) = check_target(repo, t, patterns, &repo_reader);
            // Only files with findings are needed below; the rest is freed here, in parallel.
            (parsed.filter(|_| !pending.is_empty()), pending)
        })
        .collect();
    for (parsed, pending) in results {
        if pending.is_empty() {
            continue;
        }
        if let Some(parsed) = &parsed {
            for (path, text) in &parsed.files {
                if repo.sources.by_path(path).is_none() {
                    repo.sources.add(path.clone(), text.as_str());
                }
            }
        }
        for p in pending {
            let location = match (&parsed, p.site) {
                (Some(parsed), Some(site)) => {
                    let path = &parsed.files[site.file].0;
                    repo.sources.by_path(path).map_or_else(
                        || Location::file(path.clone()),
                        |f| f.location(site.offset, site.len),
                    )
                }
                _ => Location::file(p.path.clone()),
            };
            findings.push(p.finding.at(location));
        }
    }
    findings
}

/// A finding waiting for its location (sources are added after the parallel stage).
struct Pending {
    finding: Finding,
    path: String,
    site: Option<Site>,
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

fn check_target(
    repo: &Repository,
    target: &Target<'_>,
    patterns: &Patterns,
    reader: &RepoReader,
) -> (Option<Parsed>, Vec<Pending>) {
    let text = match target.known {
        Some(text) => Cow::Borrowed(text),
        None => match reader.read(&target.path) {
            Ok(text) => Cow::Owned(text),
            // Missing rendered files are `missing-file` (drift); unreadable ones are reported here.
            Err(_) if !repo.tree.exists(&target.path) => return (None, Vec::new()),
            Err(message) => {
                let finding = Finding::new(
                    RuleId::InvalidConfig,
                    Severity::High,
                    format!("`{}` cannot be checked: {message}", target.path),
                    "commit a readable UTF-8 text file",
                )
                .keyed(stable_message(&message));
                return (None, vec![pending(finding, target, None)]);
            }
        },
    };
    let parsed = target.format.parse(
        &Input {
            path: &target.path,
            text: &text,
            sysroot: &target.sysroot,
        },
        reader,
    );
    let mut out = Vec::new();
    for problem in &parsed.problems {
        let finding = Finding::new(
            RuleId::InvalidConfig,
            Severity::High,
            problem.message.clone(),
            "fix the file so the component (and hardline) can read it",
        )
        .keyed(stable_message(&problem.message));
        out.push(pending(finding, target, Some(problem.site)));
    }
    let baseline = target.baseline;
    for (name, setting) in &baseline.settings {
        let expected = match target.environment {
            Some((_, job)) => job
                .effective(repo, name)
                .map_or(&setting.value, |e| e.value),
            None => &setting.value,
        };
        let found = match &setting.key {
            None => target.format.lookup(&parsed, name),
            Some(KeySpec::One(key)) => target.format.lookup(&parsed, key),
            Some(KeySpec::Many(keys)) => keys
                .iter()
                .map(|k| target.format.lookup(&parsed, k))
                .find(|f| !f.is_empty())
                .unwrap_or_default(),
        };
        for problem in evaluate(
            target,
            name,
            setting,
            expected,
            &found,
            patterns,
            !parsed.problems.is_empty() || !target.format.reports_absence(&parsed),
        ) {
            out.push(problem);
        }
    }
    (Some(parsed), out)
}

/// A problem message without the sizes and byte offsets that [`RepoReader::read`] puts in
/// (they change while the problem stays): the finding's key in pull-request mode.
fn stable_message(message: &str) -> String {
    static VOLATILE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r" is \d+ bytes, above the \d+ byte limit| \(byte \d+\)").ok()
    });
    match &*VOLATILE {
        Some(volatile) => volatile.replace_all(message, "").into_owned(),
        None => message.to_owned(),
    }
}

fn pending(finding: Finding, target: &Target<'_>, site: Option<Site>) -> Pending {
    let finding = match target.environment {
        Some((env, _)) => finding.in_env(env),
        None => finding,
    };
    Pending {
        finding,
        path: target.path.clone(),
        site,
    }
}

fn evaluate(
    target: &Target<'_>,
    name: &str,
    setting: &Setting,
    expected: &Value,
    found: &[Found],
    patterns: &Patterns,
    parse_failed: bool,
) -> Vec<Pending> {
    // Messages, help texts and the setting key are only built for a finding: most settings
    // of most files conform.
    let setting_key = || format!("{}.{name}", target.baseline.name());
    let nonconformity = |setting_key: String, message: String, help: String, site: Option<Site>| {
        let finding = Finding::new(RuleId::Nonconformity, setting.severity, message, help)
            .for_setting(setting_key);
        pending(finding, target, site)
    };
    let mut out = Vec::new();
    if found.is_empty() {
        if setting.forbidden || (expected.is_null() && !setting.required) || parse_failed {
            // Absent is what a forbidden or unset setting wants; and after a parse error,
            // "not set" would only repeat the invalid-config finding.
            return out;
        }
        let key = setting
            .key
            .as_ref()
            .and_then(|k| k.keys().first().copied())
            .unwrap_or(name);
        let help = format!(
            "{}, with {}",
            target.format.placement(key),
            wanted(setting, expected)
        );
        if let Some(builtin) = &setting.builtin {
            let problems = value::conforms(setting, expected, builtin, patterns);
            if let Some(problem) = problems.first() {
                let setting_key = setting_key();
                out.push(nonconformity(
                    setting_key.clone(),
                    format!(
                        "`{setting_key}` is not set in `{}`, and its built-in default {problem}",
                        target.path
                    ),
                    help,
                    None,
                ));
            }
        } else {
            let setting_key = setting_key();
            out.push(nonconformity(
                setting_key.clone(),
                format!("`{setting_key}` is not set in `{}`", target.path),
                help,
                None,
            ));
        }
        return out;
    }
    for item in found {
        match item {
            Found::Value(observed) => {
                let problems = value::conforms(setting, expected, &observed.value, patterns);
                if let Some(problem) = problems.first() {
                    let scope = observed
                        .scope
                        .as_ref()
                        .map_or_else(String::new, |s| format!(" in `{s}`"));
                    let want = wanted(setting, expected);
                    let setting_key = setting_key();
                    out.push(nonconformity(
                        setting_key.clone(),
                        format!("`{setting_key}`{scope} {problem}"),
                        match &setting.rationale {
                            Some(r) => format!("set {want}; {}", lower_first(r)),
                            None => format!("set {want}"),
                        },
                        Some(observed.site),
                    ));
                }
            }
            Found::Missing { scope, site } => {
                if !setting.forbidden && (!expected.is_null() || setting.required) {
                    let setting_key = setting_key();
                    out.push(nonconformity(
                        setting_key.clone(),
                        format!("`{setting_key}` is not set in `{scope}`"),
                        format!("set it there, to {}", wanted(setting, expected)),
                        Some(*site),
                    ));
                }
            }
        }
    }
    out
}

/// What to write: the value itself when it must be exact, else what the constraint allows.
fn wanted(setting: &Setting, expected: &Value) -> String {
    if setting.locked || !value::has_explicit_constraint(setting) {
        format!("`{}`", value::show(expected))
    } else {
        format!(
            "a value the baseline allows ({})",
            constraint::describe(setting)
        )
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The repository as seen by formats: bounded, confined, UTF-8 only.
pub struct RepoReader {
    tree: Tree,
}

impl RepoReader {
    /// A reader confined to the working directory `root`.
    #[allow(clippy::needless_pass_by_value)] // kept: callers pass an owned path
    pub fn new(root: std::path::PathBuf) -> RepoReader {
        RepoReader::with_tree(Tree::work(&root))
    }

    /// A reader of `tree` (the working directory or a git revision).
    pub fn with_tree(tree: Tree) -> RepoReader {
        RepoReader { tree }
    }
}

impl Reader for RepoReader {
    fn exists(&self, path: &str) -> bool {
        // A path that is not plainly relative, or a symlink wherever it points, "exists":
        // reading it then reports the escape instead of skipping it silently. (In a git tree
        // a path through a symlink leading out has no entry to look at.)
        fs::check_relative(path).is_err()
            || self.tree.kind(path).is_some()
            || (self.tree.is_git() && self.tree.confine(path).is_err())
    }

    fn read(&self, path: &str) -> Result<String, String> {
        self.tree
            .confine(path)
            .map_err(|p| format!("`{path}` {}", p.describe()))?;
        match self
            .tree
            .read_confined(path, MAX_CONFIG_BYTES)
            .map_err(|e| e.to_string())?
        {
            Bounded::TooLarge(size) => Err(format!(
                "`{path}` is {size} bytes, above the {MAX_CONFIG_BYTES} byte limit"
            )),
            Bounded::Bytes(bytes) => String::from_utf8(bytes).map_err(|e| {
                format!(
                    "`{path}` is not UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                )
            }),
        }
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        let Ok(glob) = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
        else {
            return Vec::new();
        };
        let matcher = glob.compile_matcher();
        // Walk only below the pattern's literal prefix.
        let prefix: Vec<&str> = pattern
            .split('/')
            .take_while(|segment| !is_glob(segment))
            .collect();
        let base = prefix.join("/");
        let base = if base.is_empty() { "." } else { &base };
        if self.tree.confine(base).is_err() {
            return Vec::new();
        }
        // An unreadable directory matches nothing, as before.
        self.tree
            .walk(base)
            .unwrap_or_default()
            .into_iter()
            .filter(|entry| entry.kind == Kind::File && matcher.is_match(Path::new(&entry.path)))
            .map(|entry| entry.path)
            .collect()
    }
}

/// An in-memory repository for the formats' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::BTreeMap;

    use super::Reader;

    /// Files in memory, standing for the repository.
    pub(crate) struct MemoryReader(pub(crate) BTreeMap<String, String>);

    impl MemoryReader {
        /// From `(path, text)` pairs.
        pub(crate) fn of(files: &[(&str, &str)]) -> MemoryReader {
            MemoryReader(
                files
                    .iter()
                    .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
                    .collect(),
            )
        }
    }

    impl Reader for MemoryReader {
        fn read(&self, path: &str) -> Result<String, String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| format!("`{path}` does not exist"))
        }

        fn glob(&self, pattern: &str) -> Vec<String> {
            let matcher = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .unwrap()
                .compile_matcher();
            self.0
                .keys()
                .filter(|k| matcher.is_match(k.as_str()))
                .cloned()
                .collect()
        }

        fn exists(&self, path: &str) -> bool {
            self.0.contains_key(path)
        }
    }
}
