//! Loading a baseline repository from disk into the model.
//!
//! Reads `hardline.yaml`, every baseline and environment file and every template, each
//! bounded in size. A problem inside one of those files (invalid YAML, schema violation,
//! non-UTF-8 bytes, a file too large) is a finding and the file is left out; only a failure
//! to do the job at all (no manifest, unreadable file) is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::finding::{Finding, Location, RuleId, Severity};
use crate::fs::{Bounded, FsError};
use crate::model::{Baseline, Environment, Manifest};
use crate::source::yaml::{self, Node};
use crate::source::{FileId, SourceFile, Sources};
use crate::tree::{Kind, Tree};
use crate::validate::schema::{self, DocKind};
use crate::validate::span_location;

/// The manifest file name.
pub const MANIFEST: &str = "hardline.yaml";
/// Largest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

/// hardline cannot load the repository at all.
#[derive(Debug, Error, miette::Diagnostic)]
pub enum LoadError {
    /// No `hardline.yaml` in the directory.
    #[error("no `hardline.yaml` in `{0}`")]
    #[diagnostic(help(
        "run hardline inside a baseline repository, pass `-C DIR`, or create one with `hardline init DIR`"
    ))]
    NoManifest(String),
    /// A file or directory could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fs(#[from] FsError),
}

/// A loaded baseline repository.
#[derive(Debug)]
pub struct Repository {
    /// The directory holding `hardline.yaml`.
    pub root: PathBuf,
    /// Where every file is read from: the working directory at `root`, or a git revision.
    pub tree: Tree,
    /// Every file read.
    pub sources: Sources,
    /// The manifest (defaults when the manifest itself is invalid).
    pub manifest: Manifest,
    /// The manifest's file.
    pub manifest_file: FileId,
    /// Baselines, sorted by name, unique.
    pub baselines: Vec<Baseline>,
    /// Environments, sorted by name, unique.
    pub environments: Vec<Environment>,
    /// Templates by name (path under the templates directory, `/`-separated).
    pub templates: BTreeMap<String, FileId>,
    /// Names (file stems) of baseline files that could not be loaded: overlays naming them
    /// are not "unknown", and files they would render are not "unmanaged".
    pub unloaded_baselines: Vec<String>,
    trees: BTreeMap<FileId, Node>,
}

impl Repository {
    /// Loads the repository at `root`; problems in its files come back as findings.
    pub fn load(root: &Path) -> Result<(Repository, Vec<Finding>), LoadError> {
        Repository::load_tree(root, Tree::work(root))
    }

    /// Loads the repository whose files `tree` holds (the working directory at `root`, or a
    /// git revision of it); `root` names it in messages.
    pub fn load_tree(root: &Path, tree: Tree) -> Result<(Repository, Vec<Finding>), LoadError> {
        if !tree.is_file(MANIFEST) {
            return Err(LoadError::NoManifest(if tree.is_git() {
                format!("{} at {}", root.display(), tree.label())
            } else {
                root.display().to_string()
            }));
        }
        let mut repo = Repository {
            root: root.to_path_buf(),
            tree,
            sources: Sources::default(),
            manifest: default_manifest(),
            manifest_file: FileId::PLACEHOLDER,
            baselines: Vec::new(),
            environments: Vec::new(),
            templates: BTreeMap::new(),
            unloaded_baselines: Vec::new(),
            trees: BTreeMap::new(),
        };
        let mut findings = Vec::new();
        let loaded = load_doc::<Manifest>(&repo.tree, MANIFEST, DocKind::Manifest)?;
        let (file, manifest) = repo.adopt(loaded, &mut findings);
        repo.manifest_file = file;
        if let Some(manifest) = manifest {
            repo.manifest = manifest;
        }
        let paths = repo.manifest.paths.clone();
        let baselines_dir = repo.confined_dir(&paths.baselines, "/paths/baselines", &mut findings);
        let environments_dir =
            repo.confined_dir(&paths.environments, "/paths/environments", &mut findings);
        let templates_dir = repo.confined_dir(&paths.templates, "/paths/templates", &mut findings);

        // Parse in parallel; adopt in file order, so ids and output stay deterministic.
        let rels = list_yaml(&repo.tree, baselines_dir.as_deref())?;
        let loaded: Vec<Result<Loaded<Baseline>, FsError>> = rels
            .par_iter()
            .map(|rel| load_doc(&repo.tree, rel, DocKind::Baseline))
            .collect();
        for (rel, loaded) in rels.iter().zip(loaded) {
            if let (file, Some(mut baseline)) = repo.adopt(loaded?, &mut findings) {
                baseline.file = file;
                repo.baselines.push(baseline);
            } else {
                let stem = Path::new(rel).file_stem();
                repo.unloaded_baselines
                    .extend(stem.map(|s| s.to_string_lossy().into_owned()));
            }
        }
        let rels = list_yaml(&repo.tree, environments_dir.as_deref())?;
        let loaded: Vec<Result<Loaded<Environment>, FsError>> = rels
            .par_iter()
            .map(|rel| load_doc(&repo.tree, rel, DocKind::Environment))
            .collect();
        for loaded in loaded {
            if let (file, Some(mut env)) = repo.adopt(loaded?, &mut findings) {
                env.file = file;
                repo.environments.push(env);
            }
        }
        let baselines = std::mem::take(&mut repo.baselines);
        repo.baselines = repo.dedup(
            baselines,
            |b| (b.name().to_owned(), b.file),
            "baseline",
            &mut findings,
        );
        let environments = std::mem::take(&mut repo.environments);
        repo.environments = repo.dedup(
            environments,
            |e| (e.name().to_owned(), e.file),
            "environment",
            &mut findings,
        );
        if let Some(dir) = templates_dir {
            repo.load_templates(&dir, &mut findings)?;
        }
        Ok((repo, findings))
    }

    /// Loads one more YAML document of `kind` (the end-of-life catalogue): its problems
    /// are findings, and the document is `None` when it cannot be used.
    pub fn load_extra<T: DeserializeOwned>(
        &mut self,
        rel: &str,
        kind: DocKind,
        findings: &mut Vec<Finding>,
    ) -> Result<Option<T>, LoadError> {
        let loaded = load_doc::<T>(&self.tree, rel, kind)?;
        Ok(self.adopt(loaded, findings).1)
    }

    /// The location of the value at `pointer` in a YAML file.
    pub fn value_location(&self, file: FileId, pointer: &str) -> Location {
        self.locate(file, pointer, false)
    }

    /// The location of the key at `pointer` (its value when there is no key).
    pub fn key_location(&self, file: FileId, pointer: &str) -> Location {
        self.locate(file, pointer, true)
    }

    fn locate(&self, file: FileId, pointer: &str, prefer_key: bool) -> Location {
        let source = self.sources.get(file);
        match self.trees.get(&file) {
            Some(tree) => {
                let located = tree.locate(pointer);
                let span = match (prefer_key, located.key) {
                    (true, Some(key)) => key.span,
                    _ => located.node.span,
                };
                span_location(source, span)
            }
            None => Location::file(source.path.clone()),
        }
    }

    /// The repo-relative path of a file.
    pub fn path_of(&self, file: FileId) -> &str {
        &self.sources.get(file).path
    }

    /// The baseline called `name`.
    pub fn baseline(&self, name: &str) -> Option<&Baseline> {
        self.baselines.iter().find(|b| b.name() == name)
    }

    /// The environment called `name`.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name() == name)
    }

    fn confined_dir(
        &self,
        rel: &str,
        pointer: &str,
        findings: &mut Vec<Finding>,
    ) -> Option<String> {
        match self.tree.confine(rel) {
            Ok(()) => Some(rel.trim_end_matches('/').to_owned()),
            Err(problem) => {
                findings.push(
                    Finding::new(
                        RuleId::UnsafePath,
                        Severity::High,
                        format!("directory `{rel}` {}", problem.describe()),
                        "use a path inside the repository, relative to hardline.yaml",
                    )
                    .at(self.value_location(self.manifest_file, pointer)),
                );
                None
            }
        }
    }

    fn dedup<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> (String, FileId),
        what: &str,
        findings: &mut Vec<Finding>,
    ) -> Vec<T> {
        items.sort_by_key(|a| key(a));
        let mut kept: Vec<T> = Vec::with_capacity(items.len());
        for item in items {
            let (name, file) = key(&item);
            if let Some(first) = kept.iter().find(|k| key(k).0 == name) {
                let first_path = self.path_of(key(first).1).to_owned();
                findings.push(
                    Finding::new(
                        RuleId::DuplicateName,
                        Severity::High,
                        format!("{what} `{name}` is already defined in `{first_path}`"),
                        format!("give each {what} a unique `metadata.name`"),
                    )
                    .at(self.value_location(file, "/metadata/name")),
                );
            } else {
                kept.push(item);
            }
        }
        kept
    }

    /// Adds a file loaded by [`load_doc`] to the repository.
    fn adopt<T>(&mut self, loaded: Loaded<T>, findings: &mut Vec<Finding>) -> (FileId, Option<T>) {
        let file = self.sources.push(loaded.source);
        if let Some(tree) = loaded.tree {
            self.trees.insert(file, tree);
        }
        findings.extend(loaded.findings);
        (file, loaded.doc)
    }

    fn load_templates(&mut self, dir: &str, findings: &mut Vec<Finding>) -> Result<(), FsError> {
        let dir = crate::tree::normalise_dir(dir);
        if !self.tree.is_dir(dir) {
            return Ok(());
        }
        let real_base = self.tree.real_path(dir).ok_or_else(|| FsError::Read {
            path: dir.to_owned(),
            error: std::io::Error::other("cannot resolve the directory"),
        })?;
        let mut names = Vec::new();
        for entry in self.tree.walk(dir)? {
            if entry.kind == Kind::Dir {
                continue;
            }
            let Some(name) = crate::tree::below(&entry.path, dir).map(str::to_owned) else {
                continue;
            };
            let repo_rel = entry.path;
            if entry.kind == Kind::Symlink {
                let inside = self.tree.real_path(&repo_rel).is_some_and(|real| {
                    (real_base.is_empty() || real.starts_with(&format!("{real_base}/")))
                        && self.tree.is_file(&real)
                });
                if !inside {
                    findings.push(
                        Finding::new(
                            RuleId::UnsafePath,
                            Severity::High,
                            format!("template `{name}` is a symlink leading outside `{dir}`"),
                            "templates load only from the templates directory; copy the file in instead",
                        )
                        .at(Location::file(repo_rel)),
                    );
                    continue;
                }
            }
            names.push((name, repo_rel));
        }
        for (name, repo_rel) in names {
            if let Some(file) = self.read_template(&repo_rel, findings)? {
                self.templates.insert(name, file);
            }
        }
        Ok(())
    }

    fn read_template(
        &mut self,
        rel: &str,
        findings: &mut Vec<Finding>,
    ) -> Result<Option<FileId>, FsError> {
        let (source, ok, mut found) = read_source(&self.tree, rel, MAX_TEMPLATE_BYTES)?;
        for f in &mut found {
            f.rule = RuleId::TemplateError;
        }
        findings.extend(found);
        let file = self.sources.push(source);
        Ok(ok.then_some(file))
    }
}

/// A YAML document read, parsed, schema-checked and typed, off the main thread; it joins the
/// repository (and gets its `FileId`) in file order afterwards.
struct Loaded<T> {
    source: SourceFile,
    tree: Option<Node>,
    doc: Option<T>,
    findings: Vec<Finding>,
}

/// Reads, parses and schema-checks one YAML document, then reads it into `T`.
fn load_doc<T: DeserializeOwned>(
    tree: &Tree,
    rel: &str,
    kind: DocKind,
) -> Result<Loaded<T>, FsError> {
    let (source, ok, mut findings) = read_source(tree, rel, yaml::MAX_YAML_BYTES as u64)?;
    let mut loaded = Loaded {
        source,
        tree: None,
        doc: None,
        findings: Vec::new(),
    };
    if !ok {
        loaded.findings = findings;
        return Ok(loaded);
    }
    let tree = match yaml::parse(&loaded.source.text) {
        Ok(tree) => tree,
        Err(err) => {
            let location = err.span.map_or_else(
                || Location::file(rel),
                |span| span_location(&loaded.source, span),
            );
            findings.push(
                Finding::new(
                    RuleId::InvalidYaml,
                    Severity::High,
                    err.message,
                    "fix the YAML at this position; hardline reads YAML 1.2 (quote `yes`/`no` if you mean strings)",
                )
                .at(location),
            );
            loaded.findings = findings;
            return Ok(loaded);
        }
    };
    let json = tree.to_json();
    let schema_findings = schema::check(kind, &json, &tree, &loaded.source);
    loaded.tree = Some(tree);
    if !schema_findings.is_empty() {
        findings.extend(schema_findings);
        loaded.findings = findings;
        return Ok(loaded);
    }
    match serde_json::from_value::<T>(json) {
        Ok(doc) => loaded.doc = Some(doc),
        Err(err) => findings.push(
            Finding::new(
                RuleId::Schema,
                Severity::High,
                format!("cannot read {}: {err}", kind.schema_file()),
                format!("fix the file to match `{}`", kind.schema_file()),
            )
            .at(Location::file(rel)),
        ),
    }
    loaded.findings = findings;
    Ok(loaded)
}

/// Reads a text file under the root. Too large, not UTF-8 or outside the root: findings,
/// and `false` (the source then holds what can be shown, possibly nothing).
fn read_source(
    tree: &Tree,
    rel: &str,
    limit: u64,
) -> Result<(SourceFile, bool, Vec<Finding>), FsError> {
    if let Err(problem) = tree.confine(rel) {
        let finding = Finding::new(
            RuleId::UnsafePath,
            Severity::High,
            format!("`{rel}` {}", problem.describe()),
            "keep every file hardline reads inside the repository",
        )
        .at(Location::file(rel));
        return Ok((
            SourceFile::new(rel.to_owned(), "".into()),
            false,
            vec![finding],
        ));
    }
    if tree.kind(rel) == Some(Kind::Submodule) {
        let finding = Finding::new(
            RuleId::InvalidYaml,
            Severity::High,
            format!("`{rel}` is a git submodule, not a file"),
            "commit the file itself; hardline does not read other repositories",
        )
        .at(Location::file(rel));
        return Ok((
            SourceFile::new(rel.to_owned(), "".into()),
            false,
            vec![finding],
        ));
    }
    match tree.read(rel, limit)? {
        Bounded::TooLarge(size) => {
            let finding = Finding::new(
                RuleId::InvalidYaml,
                Severity::High,
                format!("file is {size} bytes, above the {limit} byte limit"),
                "split the file; baselines and overlays are small by nature",
            )
            .at(Location::file(rel))
            .keyed("file too large");
            Ok((
                SourceFile::new(rel.to_owned(), "".into()),
                false,
                vec![finding],
            ))
        }
        Bounded::Bytes(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok((
                SourceFile::new(rel.to_owned(), text.into()),
                true,
                Vec::new(),
            )),
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                // Offsets in the lossy text match the original up to the first bad byte.
                let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
                let source = SourceFile::new(rel.to_owned(), lossy.into());
                let finding = Finding::new(
                    RuleId::InvalidYaml,
                    Severity::High,
                    format!("file is not valid UTF-8 (byte {valid})"),
                    "save the file as UTF-8",
                )
                .at(source.location(valid, 1))
                .keyed("file is not valid UTF-8");
                Ok((source, false, vec![finding]))
            }
        },
    }
}

fn default_manifest() -> Manifest {
    Manifest {
        metadata: crate::model::ManifestMetadata {
            name: String::new(),
            owner: None,
        },
        paths: crate::model::Paths::default(),
        fail_on: None,
        waivers: Vec::new(),
        components: crate::model::Components::default(),
        advisories: None,
        patch: crate::model::PatchPolicy::default(),
    }
}

/// `*.yaml` / `*.yml` files directly in `dir`, sorted, as repo-relative paths.
fn list_yaml(tree: &Tree, dir: Option<&str>) -> Result<Vec<String>, FsError> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    if !tree.is_dir(dir) {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in tree.list(dir)? {
        let name = entry.path.rsplit('/').next().unwrap_or_default();
        let is_yaml = Path::new(name)
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml");
        if is_yaml && !name.starts_with('.') && tree.is_file(&entry.path) {
            names.push(entry.path);
        }
    }
    names.sort();
    Ok(names)
}

/// The JSON value a baseline or environment pointer refers to (for tests and explain).
pub fn pointer_escape(segment: &str) -> std::borrow::Cow<'_, str> {
    if segment.contains(['~', '/']) {
        segment.replace('~', "~0").replace('/', "~1").into()
    } else {
        segment.into()
    }
}
