//! Human output: each finding as a miette diagnostic with its source snippet, drift with its
//! unified diff, then one summary line.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use rayon::prelude::*;

use super::{Style, Verdict};
use crate::finding::{Finding, Severity};
use crate::source::Sources;

struct View<'a> {
    finding: &'a Finding,
    source: Option<Window<'a>>,
}

/// The lines of a file around a finding, as miette's source: miette finds line numbers by
/// scanning its source from the start, so handing it whole files costs the file's size per
/// finding (quadratic for a large lockfile with many findings). The window keeps the
/// file's own line numbers and offsets.
struct Window<'a> {
    name: &'a str,
    text: &'a str,
    /// Byte offset of the window in the file.
    start: usize,
    /// Lines before the window.
    lines_before: usize,
}

impl SourceCode for Window<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let offset = span
            .offset()
            .saturating_sub(self.start)
            .min(self.text.len());
        let local = SourceSpan::new(offset.into(), span.len().min(self.text.len() - offset));
        let inner =
            self.text
                .as_bytes()
                .read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_owned(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + self.start).into(),
                inner.span().len(),
            ),
            inner.line() + self.lines_before,
            inner.column(),
            inner.line_count(),
        )))
    }
}

impl View<'_> {
    /// Without a snippet, the location goes into the headline.
    fn bare_location(&self) -> Option<String> {
        match (&self.source, &self.finding.location) {
            (None, Some(loc)) => Some(loc.to_string()),
            _ => None,
        }
    }
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finding = self.finding;
        write!(f, "{}[{}]: ", finding.severity, finding.rule)?;
        if let Some(loc) = self.bare_location() {
            write!(f, "{loc}: ")?;
        }
        f.write_str(&finding.message)?;
        if let Some(env) = &finding.environment {
            write!(f, " (environment `{env}`)")?;
        }
        if finding.waived {
            f.write_str(" [waived]")?;
        }
        Ok(())
    }
}

impl std::error::Error for View<'_> {}

impl Diagnostic for View<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            _ if self.finding.waived => miette::Severity::Advice,
            Severity::Critical | Severity::High => miette::Severity::Error,
            Severity::Medium | Severity::Low => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.finding.location.as_ref()?;
        self.source.as_ref()?;
        let label = LabeledSpan::new(
            Some(self.finding.rule.to_string()),
            location.offset,
            location.len,
        );
        Some(Box::new(std::iter::once(label)))
    }
}

/// Renders findings for a terminal.
pub fn render(findings: &[Finding], sources: &Sources, style: Style, verdict: Verdict) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Messages break at spaces: Unicode line-breaking rules cost a tenth of a large report
    // and change nothing for hardline's text.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_context_lines(1)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace);
    let by_path: std::collections::HashMap<&str, &crate::source::SourceFile> =
        sources.iter().map(|f| (f.path.as_str(), f)).collect();
    // Each finding renders on its own (in parallel: laying out snippets is most of a large
    // report's cost); the parts join in order.
    let parts: Vec<String> = findings
        .par_iter()
        .map(|finding| {
            let mut out = String::new();
            let source = finding.location.as_ref().and_then(|loc| {
                // A finding about the file as a whole (an empty span at its start) has no line
                // to underline: its location goes into the headline instead.
                if loc.len == 0 && loc.offset == 0 {
                    return None;
                }
                let file = by_path.get(loc.path.as_str())?;
                // An empty file (too large, unreadable) has nothing to show.
                if file.text.is_empty() {
                    return None;
                }
                // The span's lines plus a margin wider than the context shown.
                let end_line = file.location(loc.offset + loc.len, 0).line;
                let range = file.line_range(loc.line.saturating_sub(3), end_line + 3);
                let lines_before = file.location(range.start, 0).line - 1;
                Some(Window {
                    name: &loc.path,
                    text: &file.text[range.clone()],
                    start: range.start,
                    lines_before,
                })
            });
            let view = View { finding, source };
            if handler.render_report(&mut out, &view).is_err() {
                out.push_str(&view.to_string());
            }
            if let Some(diff) = &finding.diff {
                for line in diff.lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            out.push('\n');
            out
        })
        .collect();
    let mut out = parts.concat();
    if !style.quiet {
        out.push_str(&summary(findings, verdict));
    }
    out
}

/// `3 findings: 2 high, 1 info (1 waived); failing at medium or above`.
pub fn summary(findings: &[Finding], verdict: Verdict) -> String {
    let active: Vec<&Finding> = findings.iter().filter(|f| !f.waived).collect();
    let waived = findings.len() - active.len();
    let mut text = if findings.is_empty() {
        "no findings".to_owned()
    } else {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|s| {
                let n = active.iter().filter(|f| f.severity == *s).count();
                (n > 0).then(|| format!("{n} {s}"))
            })
            .collect();
        let mut t = format!(
            "{} finding{}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        );
        if !counts.is_empty() {
            t.push_str(&format!(": {}", counts.join(", ")));
        }
        if waived > 0 {
            t.push_str(&format!(" ({waived} waived)"));
        }
        t
    };
    text.push_str(&format!(
        "; {} (fail threshold: {})\n",
        if verdict.failed { "failed" } else { "passed" },
        verdict.fail_on
    ));
    text
}
