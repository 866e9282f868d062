//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,col=…,endLine=…,title=…::message`), then the summary line.
//!
//! Error for critical and high, warning for medium and low, notice for info and for waived
//! findings; fixed findings (pull-request mode) are left out. Data and properties are
//! escaped as GitHub's toolkit (`@actions/core`) does, so a file name or message holding a
//! newline cannot start a command of its own. [`super::publish`] also appends the Markdown
//! report to `$GITHUB_STEP_SUMMARY` when that variable is set.

use std::io::Write;
use std::path::Path;

use miette::{IntoDiagnostic, Result, WrapErr};

use super::{Document, present};
use crate::finding::{Finding, Severity};

/// The annotations and the summary line.
pub fn render(document: &Document<'_>) -> String {
    let mut out = String::new();
    for f in document.findings.iter().filter(|f| present(f)) {
        out.push_str(&annotation(f));
    }
    out.push_str(&super::human::summary(document.findings, document.verdict));
    out
}

fn annotation(f: &Finding) -> String {
    let command = match f.severity {
        _ if f.waived => "notice",
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    };
    let mut properties = Vec::new();
    if let Some(loc) = &f.location {
        properties.push(format!("file={}", property(&loc.path)));
        properties.push(format!("line={}", loc.line));
        properties.push(format!("col={}", loc.column));
        properties.push(format!("endLine={}", loc.line));
    }
    let mut title = format!("hardline {} ({})", f.rule, f.severity);
    if f.waived {
        title.push_str(", waived");
    }
    properties.push(format!("title={}", property(&title)));
    let mut message = f.message.clone();
    if let Some(env) = &f.environment {
        message.push_str(&format!(" (environment `{env}`)"));
    }
    if !f.help.is_empty() {
        message.push_str(&format!("\nhelp: {}", f.help));
    }
    format!("::{command} {}::{}\n", properties.join(","), data(&message))
}

/// A command's message (`escapeData` in `@actions/core`).
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command property value (`escapeProperty` in `@actions/core`).
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Appends `markdown` to the step summary file GitHub names in `$GITHUB_STEP_SUMMARY`.
pub fn append_step_summary(path: &Path, markdown: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .into_diagnostic()
        .wrap_err_with(|| {
            format!(
                "cannot open the step summary `{}` ($GITHUB_STEP_SUMMARY)",
                path.display()
            )
        })?;
    file.write_all(markdown.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write the step summary `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_the_actions_toolkit() {
        assert_eq!(data("50%\r\n::error::x"), "50%25%0D%0A::error::x");
        assert_eq!(
            property("a%0A::error::x.conf"),
            "a%250A%3A%3Aerror%3A%3Ax.conf"
        );
        assert_eq!(property("a,b:c"), "a%2Cb%3Ac");
    }
}
