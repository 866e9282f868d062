//! `hardline audit`: components against the advisory database, version policies,
//! end-of-life dates and patch deadlines. With PATH arguments no manifest is needed.

use std::path::{Path, PathBuf};

use miette::{Result, miette};

use super::{Context, conclude_without_repo};
use crate::ExitStatus;
use crate::audit::osv::{Database, DbFile, MAX_DB_FILE_BYTES, Wanted};
use crate::audit::patch::Sla;
use crate::audit::policy::{Catalogue, Rule};
use crate::audit::scan::{self, Inventory, Policy};
use crate::cli::AuditArgs;
use crate::conform::RepoReader;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::fs::{self, Bounded, FsError};
use crate::inventory::{Ecosystem, Kind};
use crate::repo::{MANIFEST, Repository};
use crate::source::{FileId, Sources};
use crate::validate::schema::DocKind;
use crate::waiver::Date;

/// Largest lockfile, package list or Dockerfile read, in bytes.
pub const MAX_LOCKFILE_BYTES: u64 = 64 * 1024 * 1024;

/// Files found to inventory, read into `sources`.
pub struct Collected {
    /// Their texts.
    pub sources: Sources,
    /// Which of `sources` to parse, and as what.
    pub files: Vec<(FileId, Kind)>,
    /// Files that could not be read.
    pub findings: Vec<Finding>,
}

/// Reads the files named on the command line (folders are walked, `.gitignore` respected).
/// Paths are shown relative to `root` when inside it.
pub fn collect_paths(root: &Path, paths: &[PathBuf]) -> Result<Collected> {
    let mut found: Vec<(PathBuf, String, Kind)> = Vec::new();
    for given in paths {
        let full = if given.is_absolute() {
            given.clone()
        } else {
            root.join(given)
        };
        let meta = std::fs::metadata(&full).map_err(|e| {
            miette!(
                help = "pass lockfiles, package lists, Dockerfiles or folders holding them",
                "cannot read `{}`: {e}",
                given.display()
            )
        })?;
        if meta.is_dir() {
            for entry in ignore::WalkBuilder::new(&full)
                .sort_by_file_name(std::cmp::Ord::cmp)
                .require_git(false)
                .build()
                .flatten()
            {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let shown = display_path(root, entry.path());
                if let Some(kind) = Kind::detect(&shown) {
                    found.push((entry.path().to_path_buf(), shown, kind));
                }
            }
        } else {
            let shown = display_path(root, &full);
            let kind = Kind::detect(&shown).ok_or_else(|| {
                miette!(
                    help = "hardline reads Cargo.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, composer.lock, Gemfile.lock, poetry.lock, Pipfile.lock, requirements*.txt, go.mod, var/lib/dpkg/status, opkg status and Dockerfiles, recognised by file name",
                    "`{}` is not a file format hardline inventories",
                    given.display()
                )
            })?;
            found.push((full, shown, kind));
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found.dedup_by(|a, b| a.1 == b.1);
    read_all(found, |full, shown| {
        fs::read_bounded(full, shown, MAX_LOCKFILE_BYTES)
    })
}

/// The files named on the command line and those they pull in (`-r` includes, a sibling
/// `go.sum` or `npm-shrinkwrap.json`, `os-release`), read where they are: relative to the
/// working directory, or absolute. The user chose them and nothing is written, so reads are
/// bounded but not confined; a repository's files go through its `Tree` instead.
pub struct PathReader {
    base: PathBuf,
}

impl PathReader {
    /// Resolves relative paths against `base` (the `-C` directory).
    pub fn new(base: &Path) -> PathReader {
        PathReader {
            base: base.to_path_buf(),
        }
    }

    fn resolve(&self, path: &str) -> PathBuf {
        let path = Path::new(path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        }
    }
}

impl crate::conform::Reader for PathReader {
    fn read(&self, path: &str) -> Result<String, String> {
        match fs::read_bounded(&self.resolve(path), path, MAX_LOCKFILE_BYTES)
            .map_err(|e| e.to_string())?
        {
            Bounded::TooLarge(size) => Err(format!(
                "`{path}` is {size} bytes, above the {MAX_LOCKFILE_BYTES} byte limit"
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
        RepoReader::new(self.base.clone()).glob(pattern)
    }

    fn exists(&self, path: &str) -> bool {
        self.resolve(path).symlink_metadata().is_ok()
    }
}

/// Reads the repository's files matching the manifest's `components.lockfiles` globs
/// (`.gitignore` respected, nothing outside the repository).
pub fn collect_manifest(repo: &Repository) -> Result<Collected> {
    let globs = &repo.manifest.components.lockfiles;
    let mut builder = globset::GlobSetBuilder::new();
    let mut unknown = Vec::new();
    for (i, glob) in globs.iter().enumerate() {
        match globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
        {
            Ok(glob) => {
                builder.add(glob);
            }
            // The user's file is wrong: a finding at the glob; the others still count.
            Err(e) => unknown.push(
                Finding::new(
                    RuleId::Schema,
                    Severity::High,
                    format!("lockfile glob `{glob}` is not a valid glob: {}", e.kind()),
                    "use `*`, `?`, `[...]` and `**` in components.lockfiles",
                )
                .at(repo.value_location(repo.manifest_file, &format!("/components/lockfiles/{i}"))),
            ),
        }
    }
    let set = builder
        .build()
        .map_err(|e| miette!("invalid lockfile globs in {MANIFEST}: {e}"))?;
    let mut found = Vec::new();
    if !globs.is_empty() {
        // A git revision holds only tracked files; in the working directory `.gitignore`
        // decides what belongs to the repository.
        let candidates: Vec<String> = if repo.tree.is_git() {
            repo.tree
                .walk("")?
                .into_iter()
                .filter(|e| e.kind == crate::tree::Kind::File)
                .map(|e| e.path)
                .collect()
        } else {
            ignore::WalkBuilder::new(&repo.root)
                .sort_by_file_name(std::cmp::Ord::cmp)
                .require_git(false)
                .build()
                .flatten()
                .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
                .filter_map(|entry| fs::slash_relative(entry.path(), &repo.root))
                .collect()
        };
        for rel in candidates {
            if !set.is_match(&rel) {
                continue;
            }
            match Kind::detect(&rel) {
                Some(kind) => found.push((repo.root.join(&rel), rel, kind)),
                None => unknown.push(
                    Finding::new(
                        RuleId::InvalidLockfile,
                        Severity::Low,
                        format!(
                            "`{rel}` matches `components.lockfiles` but is not a format hardline reads"
                        ),
                        "narrow the glob; hardline recognises lockfiles, package lists and Dockerfiles by file name",
                    )
                    .at(Location::file(rel)),
                ),
            }
        }
    }
    let mut collected = read_all(found, |_, rel| {
        repo.tree.read_confined(rel, MAX_LOCKFILE_BYTES)
    })?;
    collected.findings.extend(unknown);
    Ok(collected)
}

fn display_path(root: &Path, path: &Path) -> String {
    fs::slash_relative(path, root).unwrap_or_else(|| path.to_string_lossy().replace('\\', "/"))
}

fn read_all(
    found: Vec<(PathBuf, String, Kind)>,
    read: impl Fn(&Path, &str) -> Result<Bounded, FsError>,
) -> Result<Collected> {
    let mut collected = Collected {
        sources: Sources::default(),
        files: Vec::new(),
        findings: Vec::new(),
    };
    for (full, shown, kind) in found {
        match read(&full, &shown)? {
            Bounded::TooLarge(size) => collected.findings.push(
                Finding::new(
                    RuleId::InvalidLockfile,
                    Severity::Medium,
                    format!("`{shown}` is {size} bytes, above the {MAX_LOCKFILE_BYTES} byte limit"),
                    "audit a smaller file; lockfiles this large are not read",
                )
                .at(Location::file(shown)),
            ),
            Bounded::Bytes(bytes) => {
                let text = match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(e) => {
                        collected.findings.push(
                            Finding::new(
                                RuleId::InvalidLockfile,
                                Severity::Medium,
                                format!(
                                    "`{shown}` is not UTF-8 text (byte {}); read with replacement characters",
                                    e.utf8_error().valid_up_to()
                                ),
                                "regenerate the file with its package manager",
                            )
                            .at(Location::file(shown.clone())),
                        );
                        String::from_utf8_lossy(e.as_bytes()).into_owned()
                    }
                };
                let id = collected.sources.add(shown, text);
                collected.files.push((id, kind));
            }
        }
    }
    Ok(collected)
}

/// Reads the advisory database at `path`, outside the repository (`--db`): a directory of
/// OSV JSON records and zips, or one file. `shown` names it in findings.
pub fn read_db(path: &Path, shown: &str) -> Result<Vec<DbFile>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        miette!(
            help =
                "pass --db with a directory of OSV records or an osv.dev export such as Go/all.zip",
            "cannot read the advisory database `{shown}`: {e}"
        )
    })?;
    let shown = shown.trim_end_matches('/');
    if meta.is_dir() {
        let mut files = db_files(&crate::tree::Tree::work(path), "")?;
        for file in &mut files {
            file.path = format!("{shown}/{}", file.path);
        }
        return Ok(files);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut files = db_files(&crate::tree::Tree::work(dir), &name)?;
    for file in &mut files {
        shown.clone_into(&mut file.path);
    }
    Ok(files)
}

/// Reads the advisory database at `rel` inside the repository's tree (the working
/// directory or a git revision).
pub fn read_db_tree(tree: &crate::tree::Tree, rel: &str) -> Result<Vec<DbFile>> {
    tree.confine(rel)
        .map_err(|p| miette!("advisories `{rel}` in {MANIFEST} {}", p.describe()))?;
    db_files(tree, rel)
}

/// The advisory files at `rel` in `tree`: every `.json` and `.zip` below a directory, or the
/// file itself; paths are tree-relative.
fn db_files(tree: &crate::tree::Tree, rel: &str) -> Result<Vec<DbFile>> {
    let paths: Vec<String> = if tree.is_dir(rel) {
        tree.walk(rel)?
            .into_iter()
            .filter(|e| e.kind == crate::tree::Kind::File && is_db_file(&e.path))
            .map(|e| e.path)
            .collect()
    } else {
        vec![rel.to_owned()]
    };
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        match tree.read_confined(&path, MAX_DB_FILE_BYTES)? {
            Bounded::Bytes(bytes) => files.push(DbFile { path, bytes }),
            Bounded::TooLarge(size) => {
                return Err(miette!(
                    "advisory file `{path}` is {size} bytes, above the {MAX_DB_FILE_BYTES} byte limit"
                ));
            }
        }
    }
    Ok(files)
}

/// An OSV record (`.json`) or export (`.zip`).
fn is_db_file(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("zip"))
}

/// Findings for the problems met loading the database.
pub fn db_findings(db: &Database) -> Vec<Finding> {
    db.problems
        .iter()
        .chain(&db.invalid_records())
        .map(|p| {
            let place = p
                .entry
                .as_ref()
                .map(|e| format!(" (record `{e}`)"))
                .unwrap_or_default();
            Finding::new(
                RuleId::InvalidAdvisory,
                Severity::Low,
                format!("advisory database{place}: {}", p.message),
                "refresh the database from osv.dev; other records are still used",
            )
            .at(Location::file(p.path.clone()))
            .keyed(format!("{}{place}", p.path))
        })
        .collect()
}

/// The version rules of a repository: `components.policy` and each baseline's `component`.
pub fn rules_of(repo: &Repository) -> Vec<Rule> {
    let mut rules: Vec<Rule> = repo
        .manifest
        .components
        .policy
        .iter()
        .map(|p| Rule {
            ecosystem: p.ecosystem.as_deref().and_then(Ecosystem::parse),
            name: p.name.clone(),
            min_version: p.min_version.clone(),
            banned: p.banned.clone(),
            reason: p.reason.clone(),
            severity: p.severity,
            origin: MANIFEST.to_owned(),
        })
        .collect();
    for baseline in &repo.baselines {
        if let Some(component) = &baseline.component
            && component.min_version.is_some()
        {
            rules.push(Rule {
                ecosystem: component.ecosystem.as_deref().and_then(Ecosystem::parse),
                name: component.name.clone(),
                min_version: component.min_version.clone(),
                banned: Vec::new(),
                reason: Some(format!("baseline `{}`", baseline.name())),
                severity: None,
                origin: repo.path_of(baseline.file).to_owned(),
            });
        }
    }
    rules
}

/// The audit findings of a loaded repository (used by `check`): nothing when the manifest
/// names no lockfiles. `db_override` is `--db`.
pub fn audit_repo(
    today: Date,
    repo: &mut Repository,
    db_override: Option<&Path>,
) -> Result<Vec<Finding>> {
    if repo.manifest.components.lockfiles.is_empty() {
        return Ok(Vec::new());
    }
    let collected = collect_manifest(repo)?;
    let mut findings = collected.findings;
    let reader = RepoReader::with_tree(repo.tree.clone());
    let inventory = scan::inventory(&collected.files, &collected.sources, &reader);
    let db = match (db_override, repo.manifest.advisories.clone()) {
        (Some(path), _) => Some(read_db(path, &path.to_string_lossy())?),
        // A path the manifest names but the repository lacks is the user's problem to fix:
        // a finding at the manifest value, and the audit goes on without it.
        (None, Some(rel)) if !repo.tree.exists(&rel) => {
            findings.push(missing(
                repo,
                "advisories",
                &rel,
                "/advisories",
                RuleId::InvalidAdvisory,
            ));
            None
        }
        (None, Some(rel)) => Some(read_db_tree(&repo.tree, &rel)?),
        (None, None) => None,
    };
    let mut catalogue = None;
    if let Some(rel) = repo.manifest.components.end_of_life.clone() {
        if repo.tree.is_file(&rel) {
            catalogue = repo.load_extra::<Catalogue>(&rel, DocKind::EndOfLife, &mut findings)?;
        } else {
            findings.push(missing(
                repo,
                "components.endOfLife",
                &rel,
                "/components/endOfLife",
                RuleId::Schema,
            ));
        }
    }
    let sla = sla_of(repo, &mut findings);
    let rules = rules_of(repo);
    let found = run_audit(
        today,
        &inventory,
        db.as_deref(),
        &sla,
        &rules,
        catalogue.as_ref(),
        &collected.sources,
    );
    findings.extend(inventory.findings);
    findings.extend(found);
    for file in collected.sources.iter() {
        repo.sources.add(file.path.clone(), file.text.clone());
    }
    Ok(findings)
}

/// A path named in the manifest that is not in the repository.
fn missing(repo: &Repository, key: &str, rel: &str, pointer: &str, rule: RuleId) -> Finding {
    Finding::new(
        rule,
        Severity::High,
        format!("`{key}` names `{rel}`, which is not in the repository"),
        "add it, or fix or remove the path in hardline.yaml",
    )
    .at(repo.value_location(repo.manifest_file, pointer))
}

fn sla_of(repo: &Repository, findings: &mut Vec<Finding>) -> Sla {
    match Sla::from_config(&repo.manifest.patch.sla) {
        Ok(sla) => sla,
        Err((severity, text)) => {
            findings.push(
                Finding::new(
                    RuleId::Schema,
                    Severity::High,
                    format!(
                        "patch deadline `{text}` for {severity} is not a number of days or weeks"
                    ),
                    "write deadlines as `2d` or `1w`",
                )
                .at(repo.value_location(repo.manifest_file, &format!("/patch/sla/{severity}"))),
            );
            Sla::default()
        }
    }
}

fn run_audit(
    today: Date,
    inventory: &Inventory,
    db_files: Option<&[DbFile]>,
    sla: &Sla,
    rules: &[Rule],
    catalogue: Option<&Catalogue>,
    sources: &Sources,
) -> Vec<Finding> {
    let db = db_files.map(|files| Database::load(files, &Wanted::of(&inventory.components)));
    let mut findings = scan::audit(
        &inventory.components,
        &Policy {
            db: db.as_ref(),
            sla,
            rules,
            catalogue,
            today,
        },
        sources,
    );
    // After matching: records that affected a component are schema-checked then.
    findings.extend(db.as_ref().map(db_findings).unwrap_or_default());
    findings
}

/// Runs `hardline audit`.
pub fn run(ctx: &Context, root: &Path, args: &AuditArgs) -> Result<ExitStatus> {
    let db_path = args.db.as_ref().map(|p| {
        if p.is_absolute() {
            p.clone()
        } else {
            root.join(p)
        }
    });
    if args.paths.is_empty() {
        let (mut repo, mut findings) = Repository::load(root)?;
        if repo.manifest.components.lockfiles.is_empty() {
            return Err(miette!(
                help = "list lockfile globs under `components.lockfiles` in hardline.yaml, or pass files and folders: `hardline audit PATH…`",
                "{MANIFEST} names no lockfiles to audit"
            ));
        }
        let found = audit_repo(ctx.today, &mut repo, db_path.as_deref())?;
        // Only the audit's own findings: problems in baselines are for `validate`/`check`,
        // except those that stop the audit from reading its policy.
        findings.retain(|f| {
            f.location.as_ref().is_some_and(|l| {
                l.path == MANIFEST
                    || Some(l.path.as_str()) == repo.manifest.components.end_of_life.as_deref()
            })
        });
        findings.extend(found);
        return super::conclude(ctx, &repo, findings, false);
    }
    let Some(db_path) = db_path else {
        return Err(miette!(
            help = "pass --db DIR|ZIP: a directory of OSV JSON records or an osv.dev export such as Go/all.zip",
            "no advisory database to audit against"
        ));
    };
    let collected = collect_paths(root, &args.paths)?;
    let inventory = scan::inventory(&collected.files, &collected.sources, &PathReader::new(root));
    let shown = args
        .db
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let db = read_db(&db_path, &shown)?;
    let mut findings = collected.findings;
    findings.extend(run_audit(
        ctx.today,
        &inventory,
        Some(&db),
        &Sla::default(),
        &[],
        None,
        &collected.sources,
    ));
    findings.extend(inventory.findings);
    conclude_without_repo(ctx, &collected.sources, findings)
}
