//! `--format json`: one object, per the machine-readable output contract
//! (`schemas/report.schema.json`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Document;
use crate::finding::{Finding, Severity};
use crate::review::Review;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    summary: Summary,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<&'a Review>,
}

#[derive(Serialize)]
struct Summary {
    by_severity: BTreeMap<&'static str, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    by_status: Option<BTreeMap<&'static str, usize>>,
    waived: usize,
    fail_on: Severity,
    failed: bool,
}

/// The JSON document.
pub fn render(document: &Document<'_>) -> String {
    let counts = document.counts();
    let report = Report {
        version: 1,
        summary: Summary {
            by_severity: counts.by_severity,
            by_status: counts.by_status,
            waived: counts.waived,
            fail_on: document.verdict.fail_on,
            failed: document.verdict.failed,
        },
        findings: document.findings,
        review: document.review,
    };
    value(&report)
}

/// Any serialisable value as pretty JSON with a trailing newline.
pub fn value<T: Serialize>(value: &T) -> String {
    let mut text =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
