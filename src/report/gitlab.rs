//! `--format gitlab`: GitLab Code Quality JSON (`artifacts:reports:codequality`).
//!
//! An array of issues: `description`, `check_name` (the rule), `fingerprint`, `severity`
//! (info, minor, major, critical, blocker for info … critical) and `location.path` /
//! `location.lines.begin`. GitLab compares a merge request's report with its target
//! branch's by fingerprint, so fixed findings (pull-request mode) and waived ones are left
//! out; a fingerprint seen twice (one problem at two lines) gets `-2`, `-3`, … in order so
//! every issue stays distinct. A finding without a file points at `hardline.yaml`, line 1:
//! GitLab requires a path.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Document, present};
use crate::finding::Severity;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// Code Quality severity for a hardline severity.
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Low => "minor",
        Severity::Medium => "major",
        Severity::High => "critical",
        Severity::Critical => "blocker",
    }
}

/// The Code Quality report.
pub fn render(document: &Document<'_>) -> String {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let issues: Vec<Issue> = document
        .findings
        .iter()
        .filter(|f| present(f) && !f.waived)
        .map(|f| {
            let n = seen.entry(f.fingerprint.as_str()).or_default();
            *n += 1;
            let fingerprint = if *n == 1 {
                f.fingerprint.clone()
            } else {
                format!("{}-{n}", f.fingerprint)
            };
            let mut description = format!("{}: {}", f.rule, f.message);
            if let Some(env) = &f.environment {
                description.push_str(&format!(" (environment `{env}`)"));
            }
            Issue {
                description,
                check_name: f.rule.as_str(),
                fingerprint,
                severity: severity(f.severity),
                location: Location {
                    path: f
                        .location
                        .as_ref()
                        .map_or_else(|| "hardline.yaml".to_owned(), |l| l.path.clone()),
                    lines: Lines {
                        begin: f.location.as_ref().map_or(1, |l| l.line.max(1)),
                    },
                },
            }
        })
        .collect();
    super::json::value(&issues)
}
