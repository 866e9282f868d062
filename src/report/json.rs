//! `--format json`: one object, per the machine-readable output contract.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Verdict;
use crate::finding::{Finding, Severity};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    summary: Summary,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct Summary {
    by_severity: BTreeMap<&'static str, usize>,
    waived: usize,
    fail_on: Severity,
    failed: bool,
}

/// The JSON document for `findings`.
pub fn render(findings: &[Finding], verdict: Verdict) -> String {
    let mut by_severity: BTreeMap<&'static str, usize> =
        Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for f in findings.iter().filter(|f| !f.waived) {
        *by_severity.entry(f.severity.as_str()).or_default() += 1;
    }
    let report = Report {
        version: 1,
        summary: Summary {
            by_severity,
            waived: findings.iter().filter(|f| f.waived).count(),
            fail_on: verdict.fail_on,
            failed: verdict.failed,
        },
        findings,
    };
    let mut text =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Any serialisable value as pretty JSON with a trailing newline.
pub fn value<T: Serialize>(value: &T) -> String {
    let mut text =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
