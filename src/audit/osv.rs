//! The offline OSV advisory database: directories of OSV JSON records and osv.dev-style
//! exports (`<Ecosystem>/all.zip`), read in place.
//!
//! Loading is driven by the inventory: a cheap scan of each record's raw text for the
//! package names it mentions decides whether the record is parsed at all, so checking a
//! lockfile against a whole ecosystem export costs about one decompression of the export.
//! Records that are parsed are checked against the OSV JSON Schema; a record that fails is
//! a problem reported with its file and id, and never hides the others.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::sync::{Arc, OnceLock};

use jsonschema::Validator;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::version::{Scheme, Version};
use crate::finding::Severity;
use crate::inventory::{Component, Ecosystem, normalize_pypi};

/// Largest advisory file or export accepted, in bytes.
pub const MAX_DB_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Largest single record accepted inside an export, in bytes (uncompressed).
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// One file of the database, read by the caller.
pub struct DbFile {
    /// How to name it in findings (repo-relative when inside the repository).
    pub path: String,
    /// Its bytes: one OSV JSON record, or a zip of records.
    pub bytes: Vec<u8>,
}

/// A part of the database that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbProblem {
    /// The file (`advisories/Go/all.zip`).
    pub path: String,
    /// The record inside a zip, if any (`GO-2022-0001.json`).
    pub entry: Option<String>,
    /// Lower-case sentence.
    pub message: String,
}

/// What a vulnerability's severity is, from its CVSS vector or the database's own rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rating {
    /// No CVSS vector and no database severity: treated as high, never silently low.
    Unknown,
    /// A rating.
    Known(Severity),
}

impl Rating {
    /// The severity findings get (unknown counts as high).
    pub fn severity(self) -> Severity {
        match self {
            Rating::Unknown => Severity::High,
            Rating::Known(s) => s,
        }
    }

    /// `critical`, …, or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Unknown => "unknown",
            Rating::Known(s) => s.as_str(),
        }
    }
}

/// A parsed OSV record, reduced to what matching and reporting need.
#[derive(Debug)]
pub struct Advisory {
    /// OSV id.
    pub id: String,
    /// Aliases as the record lists them.
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Publication date, `YYYY-MM-DD`.
    pub published: Option<String>,
    /// Severity rating.
    pub rating: Rating,
    /// The database file the record came from.
    pub path: String,
    /// The record's name inside a zip export.
    pub entry: Option<String>,
    /// `RustSec` informational advisories (unmaintained, unsound, notice): not vulnerabilities.
    pub informational: Option<String>,
    affected: Vec<Affected>,
    /// The record as read, for the schema check.
    raw: Box<[u8]>,
    /// The schema check, made the first time the record affects a component.
    checked: OnceLock<Result<(), String>>,
}

impl Advisory {
    /// Whether the record is valid against the OSV JSON Schema (checked once, when first
    /// needed: compiling the schema costs more than a small audit's other work).
    fn schema_ok(&self) -> bool {
        self.checked
            .get_or_init(|| check_schema(&self.raw, &self.id))
            .is_ok()
    }
}

#[derive(Debug)]
struct Affected {
    ecosystem: Ecosystem,
    name: String,
    versions: Vec<String>,
    ranges: Vec<Range>,
}

#[derive(Debug)]
struct Range {
    scheme: Scheme,
    events: Vec<Event>,
    limits: Vec<Version>,
}

#[derive(Debug)]
enum Event {
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
}

impl Event {
    fn version(&self) -> Option<&Version> {
        match self {
            Event::Introduced(v) => v.as_ref(),
            Event::Fixed(v) | Event::LastAffected(v) => Some(v),
        }
    }
}

/// The advisories that can concern a given inventory, indexed by (ecosystem, name).
#[derive(Default)]
pub struct Database {
    index: HashMap<(Ecosystem, String), Vec<Arc<Advisory>>>,
    /// Problems met while loading, in file order.
    pub problems: Vec<DbProblem>,
    /// Records read (parsed or skipped by the name scan).
    pub records_seen: usize,
    /// Records parsed because they name a wanted package.
    pub records_parsed: usize,
    /// `<Ecosystem>/all.zip` exports left unopened: no component of that ecosystem.
    pub exports_skipped: usize,
}

/// The package names an inventory wants advisories for.
pub struct Wanted {
    names: HashSet<String>,
    ecosystems: BTreeSet<Ecosystem>,
    /// Whether any name is a `PyPI` one (compared after normalisation).
    pypi: bool,
    key: memchr::memmem::Finder<'static>,
}

impl Wanted {
    /// The names of `components` (`PyPI` names also normalised; Debian source names too).
    pub fn of(components: &[Component]) -> Wanted {
        let mut names = HashSet::new();
        for c in components {
            names.insert(key_name(c.ecosystem, &c.name));
            if let Some(source) = &c.source_name {
                names.insert(source.clone());
            }
        }
        Wanted {
            names,
            ecosystems: components.iter().map(|c| c.ecosystem).collect(),
            pypi: components.iter().any(|c| c.ecosystem == Ecosystem::PyPI),
            key: memchr::memmem::Finder::new(b"\"name\"").into_owned(),
        }
    }

    fn mentions(&self, raw: &[u8]) -> bool {
        // Every `"name": "<text>"` pair: package names, but also credits; a false positive
        // only costs a parse.
        let mut rest = raw;
        while let Some(pos) = self.key.find(rest) {
            rest = &rest[pos + 6..];
            let after = trim_start(rest);
            let Some(after) = after.strip_prefix(b":") else {
                continue;
            };
            let after = trim_start(after);
            let Some(after) = after.strip_prefix(b"\"") else {
                continue;
            };
            let Some(end) = after.iter().position(|&b| b == b'"') else {
                return true;
            };
            let literal = &after[..end];
            if literal.contains(&b'\\') {
                return true; // escaped: let the parser decide
            }
            if let Ok(text) = std::str::from_utf8(literal)
                && (self.names.contains(text)
                    || (self.pypi && self.names.contains(&normalize_pypi(text))))
            {
                return true;
            }
            rest = &after[end..];
        }
        false
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

/// The name an ecosystem compares by.
fn key_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPI => normalize_pypi(name),
        _ => name.to_owned(),
    }
}

impl Database {
    /// Loads every record of `files` that can concern `wanted`.
    pub fn load(files: &[DbFile], wanted: &Wanted) -> Database {
        let mut db = Database::default();
        for file in files {
            if file.bytes.starts_with(b"PK") {
                // osv.dev exports live at `<Ecosystem>/all.zip`: one of an ecosystem the
                // inventory has nothing from is not even opened.
                let ecosystem = file.path.rsplit('/').nth(1).and_then(Ecosystem::parse);
                if ecosystem.is_some_and(|e| !wanted.ecosystems.contains(&e)) {
                    db.exports_skipped += 1;
                    continue;
                }
                db.load_zip(file, wanted);
            } else {
                db.records_seen += 1;
                if wanted.mentions(&file.bytes) {
                    db.records_parsed += 1;
                    match parse_record(&file.bytes, &file.path, None) {
                        Ok(Some(advisory)) => db.add(advisory),
                        Ok(None) => {}
                        Err(message) => db.problems.push(DbProblem {
                            path: file.path.clone(),
                            entry: None,
                            message,
                        }),
                    }
                }
            }
        }
        db
    }

    fn load_zip(&mut self, file: &DbFile, wanted: &Wanted) {
        let archive = match zip::ZipArchive::new(std::io::Cursor::new(file.bytes.as_slice())) {
            Ok(a) => a,
            Err(e) => {
                self.problems.push(DbProblem {
                    path: file.path.clone(),
                    entry: None,
                    message: format!("not a readable zip archive: {e}"),
                });
                return;
            }
        };
        let count = archive.len();
        // Decompress and scan in parallel, in chunks that each clone the archive handle
        // (cheap: the central directory is shared); keep results in entry order.
        let chunk = count
            .div_ceil(rayon::current_num_threads().max(1) * 4)
            .max(1);
        let starts: Vec<usize> = (0..count).step_by(chunk).collect();
        let results: Vec<Vec<Outcome>> = starts
            .par_iter()
            .map(|&start| {
                let mut archive = archive.clone();
                // One buffer per chunk: fresh pages for every record cost more than inflating.
                let mut buffer = Vec::new();
                (start..(start + chunk).min(count))
                    .map(|i| read_entry(&mut archive, i, &file.path, wanted, &mut buffer))
                    .collect()
            })
            .collect();
        for outcome in results.into_iter().flatten() {
            match outcome {
                Outcome::Skipped => self.records_seen += 1,
                Outcome::Directory => {}
                Outcome::Parsed(advisory) => {
                    self.records_seen += 1;
                    self.records_parsed += 1;
                    if let Some(advisory) = advisory {
                        self.add(advisory);
                    }
                }
                Outcome::Problem(problem) => {
                    self.records_seen += 1;
                    self.problems.push(problem);
                }
            }
        }
    }

    fn add(&mut self, advisory: Advisory) {
        let advisory = Arc::new(advisory);
        let mut keys = BTreeSet::new();
        for affected in &advisory.affected {
            keys.insert((
                affected.ecosystem,
                key_name(affected.ecosystem, &affected.name),
            ));
        }
        for key in keys {
            self.index
                .entry(key)
                .or_default()
                .push(Arc::clone(&advisory));
        }
    }

    /// Advisories affecting `component`, merged by alias: one [`Match`] per vulnerability,
    /// sorted by id. Informational records are left out.
    pub fn matches(&self, component: &Component) -> Matches {
        let mut out = Matches::default();
        let Some(version_text) = component.version.as_deref() else {
            return out;
        };
        // The package under its own name and version; a Debian binary package also under
        // its source package's name, at the source version.
        let mut names = vec![(key_name(component.ecosystem, &component.name), version_text)];
        if let Some(source) = &component.source_name {
            let version = component.source_version.as_deref().unwrap_or(version_text);
            names.push((source.clone(), version));
        }
        let mut hits: Vec<(Arc<Advisory>, Vec<String>)> = Vec::new();
        let mut seen = HashSet::new();
        for (name, _) in &names {
            let Some(list) = self.index.get(&(component.ecosystem, name.clone())) else {
                continue;
            };
            for advisory in list {
                if advisory.informational.is_some() || !seen.insert(advisory.id.clone()) {
                    continue;
                }
                let mut affected_here = false;
                let mut fixed = Vec::new();
                for affected in &advisory.affected {
                    let Some((_, version)) = names
                        .iter()
                        .find(|(n, _)| *n == key_name(affected.ecosystem, &affected.name))
                        .filter(|_| affected.ecosystem == component.ecosystem)
                    else {
                        continue;
                    };
                    match affected.includes(component.ecosystem, version) {
                        Ok(Some(versions)) => {
                            affected_here = true;
                            fixed.extend(versions);
                        }
                        Ok(None) => {}
                        Err(message) => out.unparsable = Some(message),
                    }
                }
                if affected_here && advisory.schema_ok() {
                    hits.push((Arc::clone(advisory), fixed));
                }
            }
        }
        out.vulnerabilities = merge(&hits, component.ecosystem, version_text);
        out
    }
}

impl Database {
    /// Records that affected a component but violate the OSV schema (and so were not
    /// used), in file order. Complete once every component has been matched.
    pub fn invalid_records(&self) -> Vec<DbProblem> {
        let mut seen = HashSet::new();
        let mut out: Vec<DbProblem> = self
            .index
            .values()
            .flatten()
            .filter(|a| seen.insert((a.path.as_str(), a.entry.as_deref(), a.id.as_str())))
            .filter_map(|a| match a.checked.get() {
                Some(Err(message)) => Some(DbProblem {
                    path: a.path.clone(),
                    entry: a.entry.clone(),
                    message: message.clone(),
                }),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| (&a.path, &a.entry).cmp(&(&b.path, &b.entry)));
        out
    }
}

/// What a component matched.
#[derive(Default)]
pub struct Matches {
    /// One entry per vulnerability, sorted by id.
    pub vulnerabilities: Vec<Match>,
    /// Why the component's version could not be compared, when it could not.
    pub unparsable: Option<String>,
}

/// One vulnerability (possibly several records that alias each other) affecting a component.
#[derive(Debug)]
pub struct Match {
    /// The id reported (the lowest id of the merged records).
    pub id: String,
    /// Every other id and alias of the merged records, sorted.
    pub aliases: Vec<String>,
    /// Summary of the first record that has one.
    pub summary: Option<String>,
    /// Earliest publication date.
    pub published: Option<String>,
    /// Highest rating.
    pub rating: Rating,
    /// Fixed versions, lowest first (in the ecosystem's order where they parse).
    pub fixed: Vec<String>,
    /// The lowest fixed version above the component's version.
    pub upgrade: Option<String>,
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn merge(hits: &[(Arc<Advisory>, Vec<String>)], ecosystem: Ecosystem, current: &str) -> Vec<Match> {
    // Union-find over ids and aliases.
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, (advisory, _)) in hits.iter().enumerate() {
        for name in std::iter::once(&advisory.id).chain(&advisory.aliases) {
            if let Some(&j) = by_name.get(name.as_str()) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            } else {
                by_name.insert(name, i);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..hits.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let scheme = Scheme::of(ecosystem);
    let current = scheme.and_then(|s| Version::parse(s, current).ok());
    let mut out: Vec<Match> = groups
        .into_values()
        .map(|members| {
            let mut ids: BTreeSet<String> = BTreeSet::new();
            let mut names: BTreeSet<String> = BTreeSet::new();
            let mut fixed: BTreeSet<String> = BTreeSet::new();
            let mut summary = None;
            let mut published: Option<String> = None;
            let mut rating = Rating::Unknown;
            for &i in &members {
                let (advisory, fixed_here) = &hits[i];
                ids.insert(advisory.id.clone());
                names.extend(advisory.aliases.iter().cloned());
                fixed.extend(fixed_here.iter().cloned());
                if summary.is_none() {
                    summary.clone_from(&advisory.summary);
                }
                if let Some(p) = &advisory.published
                    && published.as_ref().is_none_or(|q| p < q)
                {
                    published = Some(p.clone());
                }
                rating = rating.max(advisory.rating);
            }
            let id = ids.iter().next().cloned().unwrap_or_default();
            names.extend(ids);
            names.remove(&id);
            let mut fixed: Vec<(Option<Version>, String)> = fixed
                .into_iter()
                .map(|f| (scheme.and_then(|s| Version::parse(s, &f).ok()), f))
                .collect();
            fixed.sort();
            let upgrade = current.as_ref().and_then(|cur| {
                fixed
                    .iter()
                    .find(|(v, _)| v.as_ref().is_some_and(|v| v > cur))
                    .map(|(_, text)| text.clone())
            });
            Match {
                id,
                aliases: names.into_iter().collect(),
                summary,
                published,
                rating,
                fixed: fixed.into_iter().map(|(_, t)| t).collect(),
                upgrade,
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

impl Affected {
    /// `Ok(Some(fixed versions))` when `version` is affected; `Err` when it does not parse.
    fn includes(&self, ecosystem: Ecosystem, version: &str) -> Result<Option<Vec<String>>, String> {
        let fixed_of = |range: &Range| -> Vec<String> {
            range
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::Fixed(v) => Some(v.text().to_owned()),
                    _ => None,
                })
                .collect()
        };
        let listed = self.versions.iter().any(|v| v == version);
        let mut parsed: HashMap<Scheme, Version> = HashMap::new();
        let mut error = None;
        for range in &self.ranges {
            let v = match parsed.get(&range.scheme) {
                Some(v) => v,
                None => match Version::parse(range.scheme, version) {
                    Ok(v) => parsed.entry(range.scheme).or_insert(v),
                    Err(e) => {
                        error = Some(e.to_string());
                        continue;
                    }
                },
            };
            if range.includes(v) {
                return Ok(Some(fixed_of(range)));
            }
        }
        if listed {
            return Ok(Some(self.ranges.iter().flat_map(fixed_of).collect()));
        }
        let _ = ecosystem;
        match error {
            Some(e) if !self.ranges.is_empty() => Err(e),
            _ => Ok(None),
        }
    }
}

impl Range {
    /// OSV's evaluation: walk the events in version order; `introduced` opens, `fixed`
    /// closes at the version, `last_affected` closes after it; `limit`s bound the range.
    fn includes(&self, v: &Version) -> bool {
        if !self.limits.is_empty() && !self.limits.iter().any(|limit| v < limit) {
            return false;
        }
        let mut affected = false;
        for event in &self.events {
            match event {
                Event::Introduced(None) => affected = true,
                Event::Introduced(Some(start)) => {
                    if v >= start {
                        affected = true;
                    }
                }
                Event::Fixed(fix) => {
                    if v >= fix {
                        affected = false;
                    }
                }
                Event::LastAffected(last) => {
                    if v > last {
                        affected = false;
                    }
                }
            }
        }
        affected
    }
}

enum Outcome {
    Directory,
    Skipped,
    Parsed(Option<Advisory>),
    Problem(DbProblem),
}

fn read_entry<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    path: &str,
    wanted: &Wanted,
    bytes: &mut Vec<u8>,
) -> Outcome {
    let problem = |entry: Option<String>, message: String| {
        Outcome::Problem(DbProblem {
            path: path.to_owned(),
            entry,
            message,
        })
    };
    let mut entry = match archive.by_index(index) {
        Ok(e) => e,
        Err(e) => return problem(None, format!("entry {index} cannot be read: {e}")),
    };
    if entry.is_dir() {
        return Outcome::Directory;
    }
    let name = entry.name().to_owned();
    if entry.size() > MAX_RECORD_BYTES {
        return problem(
            Some(name),
            format!(
                "record is {} bytes, above the {MAX_RECORD_BYTES} byte limit",
                entry.size()
            ),
        );
    }
    bytes.clear();
    if let Err(e) = (&mut entry).take(MAX_RECORD_BYTES).read_to_end(bytes) {
        return problem(Some(name), format!("record cannot be decompressed: {e}"));
    }
    if !wanted.mentions(bytes) {
        return Outcome::Skipped;
    }
    match parse_record(bytes, path, Some(&name)) {
        Ok(advisory) => Outcome::Parsed(advisory),
        Err(message) => problem(Some(name), message),
    }
}

fn osv_validator() -> &'static Result<Validator, String> {
    static CELL: OnceLock<Result<Validator, String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let schema: Value = serde_json::from_str(include_str!("../../schemas/osv.schema.json"))
            .map_err(|e| e.to_string())?;
        // The schema's patterns need no look-around: the `regex` engine compiles them faster
        // than `fancy-regex`, and compiling is most of the cost of a small audit.
        jsonschema::draft202012::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .map_err(|e| e.to_string())
    })
}

#[derive(Deserialize)]
struct RawRecord {
    id: String,
    published: Option<String>,
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    summary: Option<String>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<BTreeMap<String, String>>,
}

/// Parses one record; `Ok(None)` for a withdrawn record.
fn parse_record(bytes: &[u8], path: &str, entry: Option<&str>) -> Result<Option<Advisory>, String> {
    let raw: RawRecord = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            format!("record is not valid JSON: {e}")
        } else {
            format!("record cannot be read as OSV: {e}")
        }
    })?;
    if raw.withdrawn.is_some() {
        return Ok(None);
    }
    let mut rating = rate(&raw.severity);
    let mut informational = None;
    let mut affected = Vec::new();
    for a in raw.affected {
        rating = rating.max(rate(&a.severity));
        if let Some(info) = a
            .database_specific
            .as_ref()
            .and_then(|d| d.get("informational"))
            .and_then(Value::as_str)
        {
            informational = Some(info.to_owned());
        }
        let Some(package) = a.package else { continue };
        let Some(ecosystem) = Ecosystem::parse(&package.ecosystem) else {
            continue; // an ecosystem hardline does not inventory
        };
        let mut ranges = Vec::new();
        for range in a.ranges {
            let scheme = match range.kind.as_str() {
                "SEMVER" => Scheme::Semver,
                "ECOSYSTEM" => match Scheme::of(ecosystem) {
                    Some(s) => s,
                    None => continue,
                },
                _ => continue, // GIT ranges name commits, not versions
            };
            ranges.push(parse_range(scheme, &range.events, &raw.id)?);
        }
        affected.push(Affected {
            ecosystem,
            name: package.name,
            versions: a.versions,
            ranges,
        });
    }
    if rating == Rating::Unknown {
        rating = raw
            .database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(Value::as_str)
            .and_then(database_severity)
            .map_or(Rating::Unknown, Rating::Known);
    }
    Ok(Some(Advisory {
        id: raw.id,
        aliases: raw.aliases,
        summary: raw.summary,
        published: raw.published.map(|p| p.chars().take(10).collect()),
        rating,
        path: path.to_owned(),
        entry: entry.map(str::to_owned),
        informational,
        affected,
        raw: bytes.into(),
        checked: OnceLock::new(),
    }))
}

/// Checks a record against the OSV JSON Schema.
fn check_schema(bytes: &[u8], id: &str) -> Result<(), String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("record is not valid JSON: {e}"))?;
    let validator = osv_validator()
        .as_ref()
        .map_err(|e| format!("the OSV schema cannot be compiled: {e}"))?;
    if validator.is_valid(&value) {
        return Ok(());
    }
    match validator.iter_errors(&value).next() {
        None => Ok(()),
        Some(error) => {
            let mut detail = error.to_string();
            if detail.len() > 160 {
                let cut = (0..=160)
                    .rev()
                    .find(|&i| detail.is_char_boundary(i))
                    .unwrap_or(0);
                detail.truncate(cut);
                detail.push('…');
            }
            Err(format!(
                "record `{id}` violates the OSV schema at `{}`: {detail}; it is not used",
                error.instance_path()
            ))
        }
    }
}

fn parse_range(
    scheme: Scheme,
    events: &[BTreeMap<String, String>],
    id: &str,
) -> Result<Range, String> {
    let parse = |text: &str| {
        Version::parse(scheme, text)
            .map_err(|e| format!("record `{id}` has a range version that does not parse: {e}"))
    };
    let mut parsed = Vec::new();
    let mut limits = Vec::new();
    for event in events {
        for (kind, text) in event {
            match kind.as_str() {
                "introduced" if text == "0" => parsed.push(Event::Introduced(None)),
                "introduced" => parsed.push(Event::Introduced(Some(parse(text)?))),
                "fixed" => parsed.push(Event::Fixed(parse(text)?)),
                "last_affected" => parsed.push(Event::LastAffected(parse(text)?)),
                "limit" if text == "*" => {}
                "limit" => limits.push(parse(text)?),
                _ => {}
            }
        }
    }
    // Events apply in version order; `introduced: 0` sorts first.
    parsed.sort_by(|a, b| match (a.version(), b.version()) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    });
    Ok(Range {
        scheme,
        events: parsed,
        limits,
    })
}

fn rate(severities: &[RawSeverity]) -> Rating {
    let mut best = Rating::Unknown;
    for s in severities {
        if !matches!(s.kind.as_str(), "CVSS_V3" | "CVSS_V4") {
            continue;
        }
        if let Ok(cvss) = s.score.parse::<cvss::Cvss>() {
            let severity = match cvss.severity() {
                cvss::Severity::None => Severity::Info,
                cvss::Severity::Low => Severity::Low,
                cvss::Severity::Medium => Severity::Medium,
                cvss::Severity::High => Severity::High,
                cvss::Severity::Critical => Severity::Critical,
            };
            best = best.max(Rating::Known(severity));
        }
    }
    best
}

/// GHSA-style ratings in `database_specific.severity`.
fn database_severity(text: &str) -> Option<Severity> {
    match text.to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" | "important" => Some(Severity::High),
        "moderate" | "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "negligible" | "none" => Some(Severity::Info),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn component(ecosystem: Ecosystem, name: &str, version: &str) -> Component {
        Component {
            ecosystem,
            name: name.to_owned(),
            version: Some(version.to_owned()),
            requirement: None,
            source_name: None,
            source_version: None,
            path: "Cargo.lock".to_owned(),
            line: 1,
        }
    }

    fn record(id: &str, ecosystem: &str, name: &str, ranges: &Value) -> Value {
        json!({
            "schema_version": "1.6.0",
            "id": id,
            "modified": "2024-01-01T00:00:00Z",
            "published": "2024-01-10T00:00:00Z",
            "summary": format!("problem {id}"),
            "affected": [{ "package": { "ecosystem": ecosystem, "name": name }, "ranges": ranges }]
        })
    }

    fn db_of(records: &[Value], wanted: &[Component]) -> Database {
        let files: Vec<DbFile> = records
            .iter()
            .enumerate()
            .map(|(i, r)| DbFile {
                path: format!("db/{i}.json"),
                bytes: serde_json::to_vec(r).unwrap(),
            })
            .collect();
        Database::load(&files, &Wanted::of(wanted))
    }

    fn ids(db: &Database, c: &Component) -> Vec<String> {
        db.matches(c)
            .vulnerabilities
            .into_iter()
            .map(|m| m.id)
            .collect()
    }

    #[test]
    fn events_follow_osv_semantics() {
        let ranges = json!([{ "type": "SEMVER", "events": [
            { "introduced": "0.6.3" }, { "fixed": "0.6.14" },
            { "introduced": "1.0.0" }, { "fixed": "1.6.1" } ] }]);
        let probe = |v: &str| component(Ecosystem::CratesIo, "smallvec", v);
        let db = db_of(
            &[record(
                "RUSTSEC-2021-0003",
                "crates.io",
                "smallvec",
                &ranges,
            )],
            &[probe("1.0.0")],
        );
        for (version, affected) in [
            ("0.6.2", false),
            ("0.6.3", true),
            ("0.6.13", true),
            ("0.6.14", false),
            ("0.9.0", false),
            ("1.0.0", true),
            ("1.6.0", true),
            ("1.6.1", false),
            ("2.0.0", false),
        ] {
            assert_eq!(!ids(&db, &probe(version)).is_empty(), affected, "{version}");
        }
        let m = &db.matches(&probe("1.2.0")).vulnerabilities[0];
        assert_eq!(m.fixed, ["0.6.14", "1.6.1"]);
        assert_eq!(m.upgrade.as_deref(), Some("1.6.1"));
    }

    #[test]
    fn last_affected_limit_and_version_lists() {
        let probe = |v: &str| component(Ecosystem::Go, "example.com/m", v);
        let db = db_of(
            &[
                record(
                    "GO-1",
                    "Go",
                    "example.com/m",
                    &json!([{ "type": "SEMVER", "events": [
                    { "introduced": "0" }, { "last_affected": "1.2.0" } ] }]),
                ),
                record(
                    "GO-2",
                    "Go",
                    "example.com/m",
                    &json!([{ "type": "ECOSYSTEM", "events": [
                    { "introduced": "2.0.0" }, { "limit": "2.5.0" } ] }]),
                ),
                json!({ "id": "GO-3", "modified": "2024-01-01T00:00:00Z",
                        "affected": [{ "package": { "ecosystem": "Go", "name": "example.com/m" },
                                       "versions": ["3.0.1"] }] }),
            ],
            &[probe("1.0.0")],
        );
        assert_eq!(ids(&db, &probe("1.2.0")), ["GO-1"]);
        assert!(ids(&db, &probe("1.2.1")).is_empty());
        assert_eq!(ids(&db, &probe("2.4.9")), ["GO-2"]);
        assert!(ids(&db, &probe("2.5.0")).is_empty());
        assert_eq!(ids(&db, &probe("3.0.1")), ["GO-3"]);
        assert!(ids(&db, &probe("3.0.2")).is_empty());
    }

    #[test]
    fn aliases_merge_withdrawn_and_informational_records_drop() {
        let probe = component(Ecosystem::PyPI, "Django", "3.2.0");
        let ranges = json!([{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": "3.2.4" }] }]);
        let mut a = record("PYSEC-2021-98", "PyPI", "django", &ranges);
        a["aliases"] = json!(["CVE-2021-33203"]);
        let mut b = record("GHSA-68w8-qjq3-2gfm", "PyPI", "Django", &ranges);
        b["aliases"] = json!(["CVE-2021-33203"]);
        b["published"] = json!("2021-06-08T00:00:00Z");
        let mut gone = record("PYSEC-2000-1", "PyPI", "django", &ranges);
        gone["withdrawn"] = json!("2022-01-01T00:00:00Z");
        let mut info = record("RUSTSEC-2000-1", "PyPI", "django", &ranges);
        info["affected"][0]["database_specific"] = json!({ "informational": "unmaintained" });
        let db = db_of(&[a, b, gone, info], std::slice::from_ref(&probe));
        let matches = db.matches(&probe).vulnerabilities;
        assert_eq!(matches.len(), 1, "{matches:?}");
        assert_eq!(matches[0].id, "GHSA-68w8-qjq3-2gfm");
        assert_eq!(matches[0].aliases, ["CVE-2021-33203", "PYSEC-2021-98"]);
        assert_eq!(matches[0].published.as_deref(), Some("2021-06-08"));
    }

    #[test]
    fn debian_binary_packages_match_their_source_package() {
        let mut probe = component(Ecosystem::Debian, "libssl3", "3.0.11-1~deb12u1");
        probe.source_name = Some("openssl".to_owned());
        probe.source_version = Some("3.0.11-1~deb12u1".to_owned());
        let ranges = json!([{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": "3.0.11-1~deb12u2" }] }]);
        let db = db_of(
            &[record("DSA-5532-1", "Debian:12", "openssl", &ranges)],
            std::slice::from_ref(&probe),
        );
        assert_eq!(ids(&db, &probe), ["DSA-5532-1"]);
    }

    #[test]
    fn severity_comes_from_cvss_then_the_database_else_unknown() {
        let ranges = json!([{ "type": "SEMVER", "events": [{ "introduced": "0" }] }]);
        let probe = component(Ecosystem::CratesIo, "x", "1.0.0");
        let mut v3 = record("OSV-2024-1", "crates.io", "x", &ranges);
        v3["severity"] =
            json!([{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }]);
        let mut v4 = record("OSV-2024-2", "crates.io", "x", &ranges);
        v4["severity"] = json!([{ "type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N" }]);
        let mut ghsa = record("OSV-2024-3", "crates.io", "x", &ranges);
        ghsa["database_specific"] = json!({ "severity": "MODERATE" });
        let none = record("OSV-2024-4", "crates.io", "x", &ranges);
        let db = db_of(&[v3, v4, ghsa, none], std::slice::from_ref(&probe));
        assert!(db.problems.is_empty(), "{:?}", db.problems);
        let ratings: Vec<(String, Rating)> = db
            .matches(&probe)
            .vulnerabilities
            .into_iter()
            .map(|m| (m.id, m.rating))
            .collect();
        assert_eq!(
            ratings[0],
            ("OSV-2024-1".to_owned(), Rating::Known(Severity::Critical))
        );
        assert_eq!(
            ratings[1],
            ("OSV-2024-2".to_owned(), Rating::Known(Severity::Medium))
        );
        assert_eq!(
            ratings[2],
            ("OSV-2024-3".to_owned(), Rating::Known(Severity::Medium))
        );
        assert_eq!(ratings[3], ("OSV-2024-4".to_owned(), Rating::Unknown));
        assert_eq!(Rating::Unknown.severity(), Severity::High);
    }

    #[test]
    fn bad_records_and_archives_are_problems_that_hide_nothing() {
        let probe = component(Ecosystem::CratesIo, "x", "1.0.0");
        let ranges = json!([{ "type": "SEMVER", "events": [{ "introduced": "0" }] }]);
        // An id no OSV database uses: the schema rejects it once the record affects `x`.
        let bad_schema = record("NOPE-2025-1", "crates.io", "x", &ranges);
        // A range type the schema does not know: ignored as a range, so it matches nothing
        // (and is never checked).
        let mut odd_range = record("OSV-2025-5", "crates.io", "x", &ranges);
        odd_range["affected"][0]["ranges"][0]["type"] = json!("SOMETIMES");
        let bad_version = record(
            "OSV-2025-2",
            "crates.io",
            "x",
            &json!([{ "type": "SEMVER", "events": [{ "introduced": "not a version" }] }]),
        );
        let good = record("OSV-2025-3", "crates.io", "x", &ranges);
        let mut files: Vec<DbFile> = [bad_schema, bad_version, good, odd_range]
            .iter()
            .enumerate()
            .map(|(i, r)| DbFile {
                path: format!("db/{i}.json"),
                bytes: serde_json::to_vec(r).unwrap(),
            })
            .collect();
        files.push(DbFile {
            path: "db/trunc.json".into(),
            bytes: br#"{"id": "OSV-2025-4", "name": "x""#.to_vec(),
        });
        files.push(DbFile {
            path: "db/all.zip".into(),
            bytes: b"PK\x03\x04garbage".to_vec(),
        });
        let db = Database::load(&files, &Wanted::of(std::slice::from_ref(&probe)));
        assert_eq!(ids(&db, &probe), ["OSV-2025-3"]);
        let problems: Vec<DbProblem> = db
            .problems
            .iter()
            .cloned()
            .chain(db.invalid_records())
            .collect();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("does not parse"), "{}", messages[0]);
        assert!(messages[1].contains("not valid JSON"), "{}", messages[1]);
        assert!(messages[2].contains("zip"), "{}", messages[2]);
        assert!(
            messages[3].contains("violates the OSV schema") && messages[3].contains("NOPE-2025-1"),
            "{}",
            messages[3]
        );
        assert_eq!(problems[3].path, "db/0.json");
    }

    #[test]
    fn the_real_go_export_loads_only_what_can_match() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/osv-db/Go/all.zip");
        let files = vec![DbFile {
            path: "Go/all.zip".into(),
            bytes: std::fs::read(path).unwrap(),
        }];
        let probe = component(Ecosystem::Go, "golang.org/x/text", "v0.3.5");
        let db = Database::load(&files, &Wanted::of(std::slice::from_ref(&probe)));
        assert_eq!(db.records_seen, 4291);
        assert!(db.records_parsed < 100, "{}", db.records_parsed);
        assert!(db.problems.is_empty(), "{:?}", db.problems.first());
        let found = ids(&db, &probe);
        assert!(found.iter().any(|id| id == "GO-2021-0113"), "{found:?}");
        // An export of an ecosystem the inventory has nothing from is not opened.
        let crate_only = component(Ecosystem::CratesIo, "golang.org/x/text", "v0.3.5");
        let skipped = Database::load(&files, &Wanted::of(std::slice::from_ref(&crate_only)));
        assert_eq!((skipped.exports_skipped, skipped.records_seen), (1, 0));
        let fixed = component(Ecosystem::Go, "golang.org/x/text", "v0.3.8");
        assert!(!ids(&db, &fixed).iter().any(|id| id == "GO-2021-0113"));
    }
}
