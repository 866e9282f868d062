//! Reports: the only module that writes to stdout. One model (findings + sources), many
//! renderers: [`human`] for people, [`json`] for machines.

pub mod human;
pub mod inventory;
pub mod json;

use std::io::Write;

use crate::cli::{Color, Format};
use crate::finding::{Finding, Severity};
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
        let color = match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
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
}

/// What the run concluded, for the summary.
#[derive(Clone, Copy, Debug)]
pub struct Verdict {
    /// The fail threshold.
    pub fail_on: Severity,
    /// Whether the run fails.
    pub failed: bool,
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

/// Prints findings in the chosen format.
pub fn findings(
    findings: &[Finding],
    sources: &Sources,
    style: Style,
    verdict: Verdict,
) -> std::io::Result<()> {
    let text = match style.format {
        Format::Human => human::render(findings, sources, style, verdict),
        Format::Json | Format::Cyclonedx => json::render(findings, verdict),
    };
    out(&text)
}
