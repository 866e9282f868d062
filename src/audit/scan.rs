//! The inventory of a set of files, and the audit of an inventory: parsing in parallel,
//! problems and unpinned declarations as findings, then vulnerabilities, patch deadlines,
//! version policy and end-of-life.

use std::collections::HashMap;

use rayon::prelude::*;

use super::osv::Database;
use super::patch::{self, Sla, component_ref};
use super::policy::{self, Catalogue, Rule};
use crate::conform::Reader;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::inventory::{self, Component, Input, Kind};
use crate::source::{FileId, SourceFile, Sources};
use crate::waiver::Date;

/// Every component of a set of files, plus what could not be read.
#[derive(Default)]
pub struct Inventory {
    /// Components, sorted by (path, line, ecosystem, name, version), unique.
    pub components: Vec<Component>,
    /// `invalid-lockfile` and `unpinned-component` findings.
    pub findings: Vec<Finding>,
}

/// Parses every file (in parallel; results in file order). `files` are in `sources`.
pub fn inventory(files: &[(FileId, Kind)], sources: &Sources, reader: &dyn Reader) -> Inventory {
    let extracted: Vec<inventory::Extracted> = files
        .par_iter()
        .map(|&(id, kind)| {
            let file = sources.get(id);
            inventory::parse(
                kind,
                &Input {
                    path: &file.path,
                    text: &file.text,
                    reader,
                },
            )
        })
        .collect();
    let mut out = Inventory::default();
    for (&(id, _), extracted) in files.iter().zip(extracted) {
        let file = sources.get(id);
        for problem in extracted.problems {
            out.findings.push(
                Finding::new(
                    RuleId::InvalidLockfile,
                    Severity::Medium,
                    format!("`{}` cannot be read fully: {}", file.path, problem.message),
                    "regenerate the file with its package manager; what cannot be read cannot be audited",
                )
                .at(at_column(file, problem.line, problem.column)),
            );
        }
        out.components.extend(extracted.components);
    }
    out.components.sort_by(|a, b| {
        (&a.path, a.line, a.ecosystem, &a.name, &a.version).cmp(&(
            &b.path,
            b.line,
            b.ecosystem,
            &b.name,
            &b.version,
        ))
    });
    out.components.dedup_by(|a, b| {
        a.path == b.path && a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version
    });
    for c in out.components.iter().filter(|c| c.version.is_none()) {
        let requirement = c.requirement.as_deref().unwrap_or("no version");
        out.findings.push(
            Finding::new(
                RuleId::UnpinnedComponent,
                Severity::Low,
                format!(
                    "`{}` is not pinned to a version (`{requirement}`): what gets deployed cannot be audited",
                    c.name
                ),
                "pin an exact version (`==` in requirements files) or use a lockfile",
            )
            .for_component(component_ref(c))
            .keyed(format!("{}/{}/unpinned", c.ecosystem, c.name))
            .at(located(sources.by_path(&c.path), c)),
        );
    }
    out
}

/// The location of a 1-based line and column of `file`.
fn at_column(file: &SourceFile, line: usize, column: usize) -> Location {
    let start = file.line_location(line);
    let text = &file.text[start.offset..start.offset + start.len];
    let skip: usize = text
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    file.location(start.offset + skip, start.len - skip)
}

/// The declaration line of a component in its file (its bare line when the file is not
/// among the sources).
fn located(file: Option<&SourceFile>, c: &Component) -> Location {
    file.map_or_else(
        || Location {
            path: c.path.clone(),
            line: c.line,
            column: 1,
            offset: 0,
            len: 0,
        },
        |file| file.line_location(c.line),
    )
}

/// What the audit checks components against.
pub struct Policy<'a> {
    /// The advisory database, if any.
    pub db: Option<&'a Database>,
    /// Patch deadlines.
    pub sla: &'a Sla,
    /// Version rules.
    pub rules: &'a [Rule],
    /// End-of-life catalogue.
    pub catalogue: Option<&'a Catalogue>,
    /// The date deadlines and end-of-life dates are judged against.
    pub today: Date,
}

/// Vulnerability, policy and end-of-life findings for `components`, located at their
/// declarations in `sources`.
pub fn audit(components: &[Component], policy: &Policy<'_>, sources: &Sources) -> Vec<Finding> {
    let by_path: HashMap<&str, &SourceFile> =
        sources.iter().map(|f| (f.path.as_str(), f)).collect();
    let locate = |finding: Finding, c: &Component| {
        finding.at(located(by_path.get(c.path.as_str()).copied(), c))
    };
    let mut findings = Vec::new();
    if let Some(db) = policy.db {
        findings.extend(patch::check(
            components,
            db,
            policy.sla,
            policy.today,
            &locate,
        ));
    }
    findings.extend(policy::check(
        components,
        policy.rules,
        policy.catalogue,
        policy.today,
        &locate,
    ));
    findings
}
