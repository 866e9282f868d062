//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub's `upload-sarif`, other viewers).
//!
//! One run, one rule per rule id used (description from the rule catalogue), one result per
//! finding with its fingerprint as `partialFingerprints`, a repository-relative `file` URI
//! against `%SRCROOT%` (percent-encoded), and `security-severity` on rules (the highest of
//! their results) and results. Waived findings carry an external suppression. Fixed findings
//! (pull-request mode) are left out: a code-scanning upload describes what is there now,
//! and a result with `baselineState: absent` would be shown as an open alert by viewers
//! that ignore the state; new and existing findings carry `baselineState` `new` and
//! `unchanged`.
//!
//! Written with `serde_json` rather than a SARIF crate: the subset used is small and the
//! schema test (`tests/cli/report.rs`) checks it against the official schema.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};

use super::{Document, present};
use crate::finding::{Finding, RuleId, Severity, Status};

/// Characters percent-encoded in a path segment of a relative URI reference: everything but
/// unreserved characters and the sub-delimiters that are harmless in a path. `:` is encoded
/// so a first segment never reads as a scheme; non-ASCII is always encoded (as UTF-8).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b':')
    .add(b'@');

/// A repository-relative path as a URI reference, segment by segment.
pub fn uri(path: &str) -> String {
    path.split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// GitHub's `security-severity` score for a severity (its bands: critical ≥ 9.0, high
/// 7.0–8.9, medium 4.0–6.9, low 0.1–3.9).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// SARIF `level`: error for critical and high, warning for medium and low, note for info.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// The SARIF log.
pub fn render(document: &Document<'_>) -> String {
    let shown: Vec<&Finding> = document.findings.iter().filter(|f| present(f)).collect();
    // Rules in id order, each with the highest severity among its results.
    let mut rules: BTreeMap<&str, (RuleId, Severity)> = BTreeMap::new();
    for f in &shown {
        let entry = rules.entry(f.rule.as_str()).or_insert((f.rule, f.severity));
        entry.1 = entry.1.max(f.severity);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules_json: Vec<Value> = rules
        .values()
        .map(|(rule, severity)| {
            json!({
                "id": rule.as_str(),
                "name": rule_name(*rule),
                "shortDescription": { "text": capitalised(rule.description()) },
                "fullDescription": { "text": format!(
                    "{}. Rule `{}`, reported by hardline's {} checks.",
                    capitalised(rule.description()),
                    rule.as_str(),
                    super::family(*rule)
                ) },
                "help": {
                    "text": format!("{}. Every result says what to do about it in its message (help: …). The rule catalogue: docs/rules.md.", capitalised(rule.description())),
                    "markdown": format!("{}.\n\nEvery result says what to do about it in its message (`help: …`). See the rule catalogue in `docs/rules.md`.", capitalised(rule.description())),
                },
                "defaultConfiguration": { "level": level(*severity) },
                "properties": {
                    "security-severity": security_severity(*severity),
                    "tags": ["security", super::family(*rule)],
                },
            })
        })
        .collect();
    let results: Vec<Value> = shown
        .iter()
        .map(|f| result(f, index.get(f.rule.as_str()).copied().unwrap_or(0)))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "hardline",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules_json,
            } },
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "the root of the checked repository (where hardline.yaml is)" } },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    super::json::value(&log)
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let mut message = f.message.clone();
    if let Some(env) = &f.environment {
        message.push_str(&format!(" (environment `{env}`)"));
    }
    if !f.help.is_empty() {
        message.push_str(&format!("\nhelp: {}", f.help));
    }
    let mut result = json!({
        "ruleId": f.rule.as_str(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": message },
    });
    let Value::Object(map) = &mut result else {
        return result;
    };
    if let Some(loc) = &f.location {
        map.insert(
            "locations".into(),
            json!([{ "physicalLocation": {
                "artifactLocation": { "uri": uri(&loc.path), "uriBaseId": "%SRCROOT%" },
                "region": { "startLine": loc.line.max(1), "startColumn": loc.column.max(1) },
            } }]),
        );
    }
    map.insert(
        "partialFingerprints".into(),
        json!({ "hardline/v1": f.fingerprint }),
    );
    match f.status {
        Some(Status::New) => {
            map.insert("baselineState".into(), json!("new"));
        }
        Some(Status::Existing) => {
            map.insert("baselineState".into(), json!("unchanged"));
        }
        Some(Status::Fixed) | None => {}
    }
    if f.waived {
        map.insert(
            "suppressions".into(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": "waived by an active waiver in the repository (an environment overlay or hardline.yaml), with an owner, a reason and an expiry date",
            }]),
        );
    }
    let mut properties = serde_json::Map::new();
    properties.insert(
        "security-severity".into(),
        json!(security_severity(f.severity)),
    );
    properties.insert("severity".into(), json!(f.severity.as_str()));
    if let Some(env) = &f.environment {
        properties.insert("environment".into(), json!(env));
    }
    if let Some(setting) = &f.setting {
        properties.insert("setting".into(), json!(setting));
    }
    if let Some(owner) = &f.owner {
        properties.insert("owner".into(), json!(owner));
    }
    map.insert("properties".into(), Value::Object(properties));
    result
}

/// `locked-override` → `LockedOverride`.
fn rule_name(rule: RuleId) -> String {
    rule.as_str()
        .split('-')
        .map(capitalised)
        .collect::<String>()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_per_segment() {
        assert_eq!(
            uri("deploy/prod/etc/ssh/sshd_config"),
            "deploy/prod/etc/ssh/sshd_config"
        );
        assert_eq!(uri("a b/ü.conf"), "a%20b/%C3%BC.conf");
        assert_eq!(uri("a%0A::error::x.conf"), "a%250A%3A%3Aerror%3A%3Ax.conf");
        assert_eq!(uri("c:/x#y?z"), "c%3A/x%23y%3Fz");
    }

    #[test]
    fn severities_map_to_github_bands() {
        assert_eq!(security_severity(Severity::Critical), "9.5");
        assert_eq!(level(Severity::Low), "warning");
        assert_eq!(level(Severity::Info), "note");
        assert_eq!(rule_name(RuleId::LockedOverride), "LockedOverride");
    }
}
