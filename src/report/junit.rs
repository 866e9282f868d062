//! `--format junit`: `JUnit` XML for test dashboards (GitLab, Jenkins, Azure).
//!
//! A test suite per check family (`validate`, `render`, `drift`, `conform`, `audit`,
//! `waivers`, `review`) and a test case per target in it: the file a finding points at, or
//! its environment when it has no file. A test case fails when it has unwaived findings at
//! or above the fail threshold (as the exit code does); the failure lists them. Findings
//! below the threshold and waived ones go to the case's `system-out`; fixed findings
//! (pull-request mode) are left out. A run without findings is one passing case, so the
//! document is never empty. No timestamps: the same findings give the same bytes.

use std::collections::BTreeMap;

use super::{Document, present};
use crate::finding::Finding;

/// The `JUnit` document.
pub fn render(document: &Document<'_>) -> String {
    let fail_on = document.verdict.fail_on;
    // family → target → findings, all sorted.
    let mut suites: BTreeMap<&str, BTreeMap<String, Vec<&Finding>>> = BTreeMap::new();
    for f in document.findings.iter().filter(|f| present(f)) {
        let target = match (&f.location, &f.environment) {
            (Some(loc), _) => loc.path.clone(),
            (None, Some(env)) => format!("environment {env}"),
            (None, None) => "repository".to_owned(),
        };
        suites
            .entry(super::family(f.rule))
            .or_default()
            .entry(target)
            .or_default()
            .push(f);
    }
    let failing = |f: &&Finding| !f.waived && f.severity >= fail_on;
    let mut body = String::new();
    let (mut tests, mut failures) = (0, 0);
    for (family, cases) in &suites {
        let suite_failures = cases.values().filter(|fs| fs.iter().any(failing)).count();
        tests += cases.len();
        failures += suite_failures;
        body.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{suite_failures}\" errors=\"0\" skipped=\"0\" time=\"0\">\n",
            attr(family),
            cases.len()
        ));
        for (target, findings) in cases {
            body.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"hardline.{}\" time=\"0\">\n",
                attr(target),
                attr(family)
            ));
            let (fail, other): (Vec<&Finding>, Vec<&Finding>) =
                findings.iter().copied().partition(failing);
            if let Some(first) = fail.first() {
                let message = if fail.len() == 1 {
                    first.message.clone()
                } else {
                    format!("{} findings at or above {fail_on}", fail.len())
                };
                let mut rules: Vec<&str> = fail.iter().map(|f| f.rule.as_str()).collect();
                rules.sort_unstable();
                rules.dedup();
                body.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    attr(&message),
                    attr(&rules.join(",")),
                    text(&listing(&fail))
                ));
            }
            if !other.is_empty() {
                body.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    text(&listing(&other))
                ));
            }
            body.push_str("    </testcase>\n");
        }
        body.push_str("  </testsuite>\n");
    }
    if suites.is_empty() {
        tests = 1;
        body.push_str(
            "  <testsuite name=\"hardline\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\">\n    <testcase name=\"no findings\" classname=\"hardline\" time=\"0\"/>\n  </testsuite>\n",
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hardline\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"0\">\n{body}</testsuites>\n"
    )
}

/// One line per finding (`high drift 3:1 message (environment prod) [waived]`) plus help.
fn listing(findings: &[&Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!("{} {}", f.severity, f.rule));
        if let Some(loc) = &f.location {
            out.push_str(&format!(" {loc}"));
        }
        out.push_str(&format!(": {}", f.message));
        if let Some(env) = &f.environment {
            out.push_str(&format!(" (environment {env})"));
        }
        if f.waived {
            out.push_str(" [waived]");
        }
        out.push('\n');
        if !f.help.is_empty() {
            out.push_str(&format!("  help: {}\n", f.help));
        }
    }
    out
}

/// Character data: markup escaped; characters XML 1.0 cannot carry at all (most control
/// characters) become U+FFFD.
fn text(s: &str) -> String {
    escape(s, false)
}

/// An attribute value: as [`text`], plus quotes and line breaks as references.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_unrepresentable_characters_are_escaped() {
        assert_eq!(attr("a\"<b>&'\n"), "a&quot;&lt;b&gt;&amp;&apos;&#10;");
        assert_eq!(text("x\u{1}y\nz"), "x\u{FFFD}y\nz");
    }
}
