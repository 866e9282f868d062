//! Reports: the only module that writes to stdout. One model ([`Document`]: findings,
//! sources, verdict, the review of a baseline change), many renderers, each a pure function
//! of it: the same document gives byte-identical text (sorted, `BTreeMap`, no timestamps).
//!
//! [`human`] for people, [`json`] for machines (the contract), [`markdown`] for pull-request
//! comments, [`sarif`] for code scanning, [`junit`] for test dashboards, [`github`] for
//! workflow annotations, [`gitlab`] for GitLab Code Quality.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod inventory;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

use miette::{IntoDiagnostic, Result, WrapErr};

use crate::cli::{Color, Format, ReportSpec};
use crate::finding::{Finding, Severity, Status};
use crate::fs::WriteSet;
use crate::review::Review;
use crate::source::Sources;

/// How to present output.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Output format.
    pub format: Format,
    /// Colour in human output.
    pub color: bool,
    /// Width for human output.
    pub width: usize,
    /// Leave out the summary line.
    pub quiet: bool,
}

impl Style {
    /// Decides colour and width from the flags and the terminal.
    pub fn new(format: Format, color: Color, quiet: bool) -> Style {
        use std::io::IsTerminal;
        let color = color_enabled(
            color,
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        );
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|&w| w >= 40)
            .unwrap_or(100);
        Style {
            format,
            color,
            width,
            quiet,
        }
    }

    /// The same style for a report file: `format`, never colour (a file is no terminal).
    fn for_file(self, format: Format) -> Style {
        Style {
            format,
            color: false,
            ..self
        }
    }
}

/// Colour for `--color auto` only on a terminal and only when `NO_COLOR` is unset or empty
/// (no-color.org); `always` and `never` are explicit choices and win.
fn color_enabled(choice: Color, terminal: bool, no_color: Option<&OsStr>) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal && no_color.is_none_or(OsStr::is_empty),
    }
}

/// What the run concluded, for the summary.
#[derive(Clone, Copy, Debug)]
pub struct Verdict {
    /// The fail threshold.
    pub fail_on: Severity,
    /// Whether the run fails.
    pub failed: bool,
}

/// Everything a report shows: every format is a pure function of it.
#[derive(Clone, Copy)]
pub struct Document<'a> {
    /// Findings in canonical order (see [`crate::finding::finish`]).
    pub findings: &'a [Finding],
    /// Every file read, for snippets.
    pub sources: &'a Sources,
    /// Threshold and outcome.
    pub verdict: Verdict,
    /// The review of a baseline change (pull-request mode).
    pub review: Option<&'a Review>,
}

/// Counts every format's summary is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Unwaived findings still present (not `fixed`), by severity name; every severity listed.
    pub by_severity: BTreeMap<&'static str, usize>,
    /// Unwaived findings by status name (`new`, `existing`, `fixed`), when any finding has a
    /// status (pull-request mode).
    pub by_status: Option<BTreeMap<&'static str, usize>>,
    /// Waived findings.
    pub waived: usize,
}

impl Document<'_> {
    /// Whether findings carry a pull-request status.
    pub fn has_status(&self) -> bool {
        self.findings.iter().any(|f| f.status.is_some())
    }

    /// The summary counts.
    pub fn counts(&self) -> Counts {
        let mut by_severity: BTreeMap<&'static str, usize> =
            Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        let mut by_status: BTreeMap<&'static str, usize> =
            Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        let mut waived = 0;
        for f in self.findings {
            if f.waived {
                waived += 1;
                continue;
            }
            if let Some(status) = f.status {
                *by_status.entry(status.as_str()).or_default() += 1;
            }
            if f.status != Some(Status::Fixed) {
                *by_severity.entry(f.severity.as_str()).or_default() += 1;
            }
        }
        Counts {
            by_severity,
            by_status: self.has_status().then_some(by_status),
            waived,
        }
    }
}

/// Whether a finding is still there: everything but `fixed` ones (pull-request mode).
pub fn present(finding: &Finding) -> bool {
    finding.status != Some(Status::Fixed)
}

/// Renders `document` in `format`. Pure: no IO, no clock, no environment.
pub fn render(document: &Document<'_>, style: Style, format: Format) -> String {
    match format {
        Format::Human => {
            human::render(document.findings, document.sources, style, document.verdict)
        }
        Format::Json | Format::Cyclonedx => json::render(document),
        Format::Markdown => markdown::render(document),
        Format::Sarif => sarif::render(document),
        Format::Junit => junit::render(document),
        Format::Github => github::render(document),
        Format::Gitlab => gitlab::render(document),
    }
}

/// Writes the `--report` files (all of them or none: staged beside their targets, then
/// renamed), then prints `style.format` to stdout. A `github` report also appends the
/// Markdown report to `$GITHUB_STEP_SUMMARY` when that variable is set.
pub fn publish(document: &Document<'_>, style: Style, reports: &[ReportSpec]) -> Result<()> {
    let mut set = WriteSet::default();
    for report in reports {
        let name = report
            .path
            .file_name()
            .and_then(OsStr::to_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                miette::miette!(
                    help = "name a file, e.g. `--report sarif=hardline.sarif`",
                    "`--report {}={}` does not name a file",
                    report.format.as_str(),
                    report.path.display()
                )
            })?;
        let dir = match report.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let text = render(document, style.for_file(report.format), report.format);
        set.add(dir, name, text.into_bytes())?;
    }
    set.commit()?;
    let wants_github =
        style.format == Format::Github || reports.iter().any(|r| r.format == Format::Github);
    if wants_github && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        github::append_step_summary(Path::new(&path), &markdown::render(document))?;
    }
    out(&render(document, style, style.format))
        .into_diagnostic()
        .wrap_err("cannot write to stdout")
}

/// Writes text to stdout. A closed pipe (`hardline check | head`) is not an error.
pub fn out(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes findings as one-line warnings to stderr (for commands whose stdout is not a
/// findings report, such as `inventory`).
pub fn warnings(findings: &[Finding]) -> std::io::Result<()> {
    let mut text = String::new();
    for f in findings {
        let at = f
            .location
            .as_ref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        text.push_str(&format!("warning[{}]: {at}{}\n", f.rule, f.message));
    }
    let mut stderr = std::io::stderr().lock();
    stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush())
}

/// Prints findings in the chosen format (no report files).
pub fn findings(
    findings: &[Finding],
    sources: &Sources,
    style: Style,
    verdict: Verdict,
) -> std::io::Result<()> {
    let document = Document {
        findings,
        sources,
        verdict,
        review: None,
    };
    out(&render(&document, style, style.format))
}

/// The check family a rule belongs to (`JUnit` test suites, SARIF tags).
pub fn family(rule: crate::finding::RuleId) -> &'static str {
    use crate::finding::RuleId as R;
    match rule {
        R::InvalidYaml
        | R::Schema
        | R::DuplicateName
        | R::UnknownBaseline
        | R::UnknownSetting
        | R::LockedOverride
        | R::OutOfBounds
        | R::InvalidConstraint
        | R::UnsafePath => "validate",
        R::MissingTemplate | R::UndefinedVariable | R::TemplateError => "render",
        R::Drift | R::MissingFile | R::UnmanagedFile => "drift",
        R::Nonconformity | R::InvalidConfig => "conform",
        R::WaiverIncomplete | R::WaiverExpired | R::WaiverUnused => "waivers",
        R::InvalidLockfile
        | R::UnpinnedComponent
        | R::InvalidAdvisory
        | R::VulnerableComponent
        | R::PatchOverdue
        | R::OutdatedComponent
        | R::BannedComponent
        | R::EndOfLife => "audit",
        R::BaselineWeakened => "review",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colour_needs_a_terminal_and_no_no_color() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(color_enabled(Color::Auto, true, None));
        assert!(!color_enabled(Color::Auto, false, None));
        assert!(!color_enabled(Color::Auto, true, set));
        // no-color.org: an empty NO_COLOR does not count.
        assert!(color_enabled(Color::Auto, true, empty));
        assert!(color_enabled(Color::Always, false, set));
        assert!(!color_enabled(Color::Never, true, None));
    }

    #[test]
    fn every_rule_has_a_family() {
        for rule in crate::finding::RuleId::ALL {
            assert!(!family(*rule).is_empty());
        }
    }
}
