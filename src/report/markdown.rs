//! `--format markdown`: the pull-request comment.
//!
//! A hidden marker first (CI finds the comment it posted before by it and updates that one),
//! a one-line verdict, a severity × status table, then new findings, the review of a baseline
//! change, existing and fixed findings, with diffs in collapsible `<details>`. The text stays
//! under GitHub's 65,536-character comment limit (measured in bytes, which never undercount
//! characters); what does not fit is named in a closing note.
//!
//! Everything that comes from the user's files (paths, messages, values, owners, diffs) is
//! escaped: HTML-special characters become entities and Markdown punctuation is
//! backslash-escaped, so a file named `<img src=x>` or a message with `](…)` renders as text;
//! diffs sit in fences longer than any backtick run they contain.

use std::collections::BTreeMap;

use super::{Document, present};
use crate::finding::{Finding, Severity, Status};
use crate::review::{Change, Direction, Impact, Review};

/// The hidden first line that identifies hardline's comment on a pull request.
pub const MARKER: &str = "<!-- hardline-report -->";

/// GitHub's limit on the body of an issue or pull-request comment.
pub const LIMIT: usize = 65_536;

/// Room kept for the closing note about what was left out.
const NOTE_ROOM: usize = 1_024;

/// The comment, capped at [`LIMIT`].
pub fn render(document: &Document<'_>) -> String {
    render_capped(document, LIMIT)
}

/// The comment, capped at `limit` bytes.
pub fn render_capped(document: &Document<'_>, limit: usize) -> String {
    let mut out = Capped::new(limit);
    let mut head = format!("{MARKER}\n{}\n\n", verdict_line(document));
    head.push_str(&counts_table(document));
    out.force(&head);

    let findings = document.findings;
    if document.has_status() {
        section(
            &mut out,
            findings,
            Some(Status::New),
            "New findings",
            "new findings",
        );
        if let Some(review) = document.review.filter(|r| !r.is_empty()) {
            review_section(&mut out, review);
        }
        section(
            &mut out,
            findings,
            Some(Status::Existing),
            "Existing findings",
            "existing findings",
        );
        section(
            &mut out,
            findings,
            Some(Status::Fixed),
            "Fixed findings",
            "fixed findings",
        );
    } else {
        section(&mut out, findings, None, "Findings", "findings");
        if let Some(review) = document.review.filter(|r| !r.is_empty()) {
            review_section(&mut out, review);
        }
    }
    out.finish()
}

/// The verdict: `**hardline** ❌ failed: 3 findings: 1 critical, 2 high (2 new); 1 waived;
/// fail threshold …`.
fn verdict_line(document: &Document<'_>) -> String {
    let counts = document.counts();
    let verdict = document.verdict;
    let mut parts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            let n = counts.by_severity.get(s.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let mut line = String::from("**hardline** ");
    line.push_str(if verdict.failed {
        "❌ failed: "
    } else {
        "✅ passed: "
    });
    if parts.is_empty() {
        line.push_str("no findings");
    } else {
        let total: usize = counts.by_severity.values().sum();
        line.push_str(&format!(
            "{total} finding{}: {}",
            if total == 1 { "" } else { "s" },
            parts.join(", ")
        ));
    }
    if let Some(by_status) = &counts.by_status {
        parts = Status::ALL
            .iter()
            .filter_map(|s| {
                let n = by_status.get(s.as_str()).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {s}"))
            })
            .collect();
        if !parts.is_empty() {
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
    }
    if counts.waived > 0 {
        line.push_str(&format!("; {} waived", counts.waived));
    }
    line.push_str(&format!("; fail threshold `{}`", verdict.fail_on));
    line
}

/// Severity rows × status columns (or one count column outside pull-request mode), plus
/// waived findings.
fn counts_table(document: &Document<'_>) -> String {
    let statuses = document.has_status();
    let mut table = String::from("| severity |");
    if statuses {
        for status in Status::ALL {
            table.push_str(&format!(" {status} |"));
        }
    } else {
        table.push_str(" findings |");
    }
    table.push_str(" waived |\n|---|");
    table.push_str(if statuses { "--:|--:|--:|" } else { "--:|" });
    table.push_str("--:|\n");
    for severity in Severity::ALL {
        let of = |f: &&Finding| f.severity == severity;
        table.push_str(&format!("| {severity} |"));
        if statuses {
            for status in Status::ALL {
                let n = document
                    .findings
                    .iter()
                    .filter(of)
                    .filter(|f| !f.waived && f.status == Some(status))
                    .count();
                table.push_str(&format!(" {n} |"));
            }
        } else {
            let n = document
                .findings
                .iter()
                .filter(of)
                .filter(|f| !f.waived)
                .count();
            table.push_str(&format!(" {n} |"));
        }
        let waived = document
            .findings
            .iter()
            .filter(of)
            .filter(|f| f.waived && present(f))
            .count();
        table.push_str(&format!(" {waived} |\n"));
    }
    table.push('\n');
    table
}

fn section(
    out: &mut Capped,
    findings: &[Finding],
    status: Option<Status>,
    title: &str,
    kind: &'static str,
) {
    let selected: Vec<&Finding> = findings
        .iter()
        .filter(|f| status.is_none() || f.status == status)
        .collect();
    if selected.is_empty() {
        return;
    }
    out.push(
        &format!("### {title} ({})\n\n", selected.len()),
        None,
        kind,
        0,
    );
    for finding in &selected {
        let item = finding_item(finding);
        let full = match &finding.diff {
            Some(diff) => format!("{item}{}", details("diff", diff)),
            None => item.clone(),
        };
        out.push(&full, finding.diff.as_ref().map(|_| item.as_str()), kind, 1);
    }
    out.push("\n", None, kind, 0);
}

/// `- **high** `drift` <code>path:3</code> · environment <code>prod</code>: message` and
/// a help line.
fn finding_item(finding: &Finding) -> String {
    let mut item = format!("- **{}** `{}`", finding.severity, finding.rule);
    if let Some(loc) = &finding.location {
        item.push_str(&format!(" <code>{}:{}</code>", text(&loc.path), loc.line));
    }
    if let Some(env) = &finding.environment {
        item.push_str(&format!(" · environment <code>{}</code>", text(env)));
    }
    item.push_str(": ");
    item.push_str(&rich(&finding.message));
    if finding.waived {
        item.push_str(" · *waived*");
    }
    item.push('\n');
    if !finding.help.is_empty() {
        item.push_str(&format!("  <br>help: {}\n", rich(&finding.help)));
    }
    item
}

fn review_section(out: &mut Capped, review: &Review) {
    const KIND: &str = "baseline changes";
    if !review.changes.is_empty() {
        let mut head = format!("### Baseline changes ({})\n\n", review.changes.len());
        let reviewers: std::collections::BTreeSet<&str> = review
            .changes
            .iter()
            .filter(|c| c.direction == Direction::Weakened)
            .filter_map(|c| c.owner.as_deref())
            .collect();
        if !reviewers.is_empty() {
            head.push_str(&format!(
                "Required reviewers (owners of weakened settings): {}\n\n",
                reviewers
                    .iter()
                    .map(|o| format!("<code>{}</code>", text(o)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        head.push_str(
            "| direction | setting | environment | change | where | required reviewer |\n|---|---|---|---|---|---|\n",
        );
        out.push(&head, None, KIND, 0);
        for change in &review.changes {
            out.push(&change_row(change), None, KIND, 1);
        }
        out.push("\n", None, KIND, 0);
    }
    if !review.impact.is_empty() {
        const IMPACT: &str = "changed rendered files";
        out.push(
            &format!(
                "### Rendered files this change alters ({})\n\n",
                review.impact.len()
            ),
            None,
            IMPACT,
            0,
        );
        for impact in &review.impact {
            let item = impact_item(impact);
            out.push(
                &format!("{item}{}", details("diff", &impact.diff)),
                Some(&item),
                IMPACT,
                1,
            );
        }
        out.push("\n", None, IMPACT, 0);
    }
}

fn change_row(change: &Change) -> String {
    let direction = match change.direction {
        Direction::Weakened => "⚠️ weakened",
        Direction::Strengthened => "🛡️ strengthened",
        Direction::Neutral => "neutral",
    };
    let value = |v: &Option<String>| {
        v.as_deref().map_or_else(
            || "*absent*".to_owned(),
            |v| format!("<code>{}</code>", text(v)),
        )
    };
    format!(
        "| {direction} | <code>{}</code> | {} | {} {} → {} | {} | {} |\n",
        text(&change.subject),
        change
            .environment
            .as_deref()
            .map_or_else(|| "all".to_owned(), |e| format!("<code>{}</code>", text(e))),
        text(&change.aspect),
        value(&change.before),
        value(&change.after),
        change
            .location
            .as_ref()
            .map_or_else(String::new, |l| format!(
                "<code>{}:{}</code>",
                text(&l.path),
                l.line
            )),
        change
            .owner
            .as_deref()
            .map_or_else(String::new, |o| format!("<code>{}</code>", text(o))),
    )
}

fn impact_item(impact: &Impact) -> String {
    format!(
        "- <code>{}</code> {} in environment <code>{}</code> (baseline <code>{}</code>){}\n",
        text(&impact.path),
        impact.change.as_str(),
        text(&impact.environment),
        text(&impact.baseline),
        if impact.diff_omitted {
            ": too large to show a diff"
        } else {
            ""
        }
    )
}

/// A collapsible block holding `body` in a fenced `diff` block, indented into a list item.
fn details(summary: &str, body: &str) -> String {
    // Longer than any backtick run anywhere in the body, so no line can close it.
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut out = format!("  <details><summary>{summary}</summary>\n\n  {fence}diff\n");
    for line in body.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!("  {fence}\n\n  </details>\n"));
    out
}

/// Text from the user's files as inline Markdown that renders as exactly that text: HTML
/// specials as entities, Markdown punctuation backslash-escaped, line breaks as spaces,
/// other control characters as U+FFFD.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '#' | '!' | '|' | '~'
            | '$' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A message: `backticked` values become `<code>`, everything escaped as [`text`].
fn rich(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let mut out = String::with_capacity(s.len() + 16);
    // An odd count of parts means balanced backticks; otherwise the last one stands alone.
    let balanced = parts.len() % 2 == 1;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i % 2 == 1 && (balanced || !last) {
            out.push_str("<code>");
            out.push_str(&text(part));
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&text(part));
        }
    }
    out
}

/// Output that stops growing at a byte limit and remembers what it left out.
struct Capped {
    out: String,
    limit: usize,
    /// Set once a block did not fit: later blocks are left out too, so what is shown is a
    /// prefix of the full report.
    full: bool,
    left_out: BTreeMap<&'static str, usize>,
    diffs_left_out: usize,
}

impl Capped {
    fn new(limit: usize) -> Capped {
        Capped {
            out: String::new(),
            limit,
            full: false,
            left_out: BTreeMap::new(),
            diffs_left_out: 0,
        }
    }

    fn room(&self) -> usize {
        self.limit
            .saturating_sub(NOTE_ROOM)
            .saturating_sub(self.out.len())
    }

    /// The head: always shown.
    fn force(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Adds `full`, or `short` (the same without its diff) when only that fits; otherwise
    /// notes `count` items of `kind` as left out (headings count 0: their items count).
    fn push(&mut self, full: &str, short: Option<&str>, kind: &'static str, count: usize) {
        if !self.full {
            if full.len() <= self.room() {
                self.out.push_str(full);
                return;
            }
            if let Some(short) = short.filter(|s| s.len() <= self.room()) {
                self.out.push_str(short);
                self.diffs_left_out += 1;
                return;
            }
            self.full = true;
        }
        *self.left_out.entry(kind).or_default() += count;
    }

    fn finish(mut self) -> String {
        let mut left: Vec<String> = self
            .left_out
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        if self.diffs_left_out > 0 {
            left.push(format!(
                "{} diff{}",
                self.diffs_left_out,
                if self.diffs_left_out == 1 { "" } else { "s" }
            ));
        }
        if !left.is_empty() {
            self.out.push_str(&format!(
                "\n> [!NOTE]\n> This comment is cut to fit GitHub's {LIMIT}-character limit. Left out: {}. \
                 The full report: `hardline check --format json`, or the SARIF upload in code scanning.\n",
                left.join(", ")
            ));
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_open_html_or_markdown_structure() {
        assert_eq!(text("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(text("[a](javascript:x)"), "\\[a\\]\\(javascript\\:x\\)");
        assert_eq!(text("a\n# b"), "a \\# b");
        assert_eq!(text("x|y"), "x\\|y");
        assert_eq!(text("&lt;"), "&amp;lt;");
    }

    #[test]
    fn backticked_values_become_code_and_stay_escaped() {
        assert_eq!(
            rich("`PermitRootLogin` is `<yes>`"),
            "<code>PermitRootLogin</code> is <code>&lt;yes&gt;</code>"
        );
        // An unbalanced backtick stays literal.
        assert_eq!(rich("a `b` c `d"), "a <code>b</code> c \\`d");
    }

    #[test]
    fn fences_outgrow_the_backticks_inside() {
        let block = details("diff", "+```\n+x\n");
        assert!(block.contains("  ````diff\n"), "{block}");
        assert!(block.trim_end().ends_with("</details>"));
    }

    #[test]
    fn pull_request_mode_orders_new_review_existing_fixed_and_names_reviewers() {
        use crate::finding::{Location, RuleId, finish};
        use crate::report::Verdict;
        use crate::source::Sources;
        let with = |status, message: &str| {
            let mut f = Finding::new(RuleId::Drift, Severity::High, message, "h")
                .at(Location::file(format!("deploy/{message}")));
            f.status = Some(status);
            f
        };
        let findings = finish(vec![
            with(Status::Fixed, "gone"),
            with(Status::Existing, "old"),
            with(Status::New, "fresh"),
        ]);
        let review = Review {
            changes: vec![Change {
                environment: Some("prod".into()),
                subject: "sshd.MaxAuthTries".into(),
                aspect: "max".into(),
                before: Some("4".into()),
                after: Some("<6>".into()),
                direction: Direction::Weakened,
                owner: Some("sec@example.com".into()),
                location: None,
            }],
            impact: vec![Impact {
                environment: "prod".into(),
                path: "deploy/prod/etc/ssh/sshd_config".into(),
                baseline: "sshd".into(),
                change: crate::review::FileChange::Changed,
                diff: "-MaxAuthTries 4\n+MaxAuthTries 6\n".into(),
                diff_omitted: false,
            }],
        };
        let sources = Sources::default();
        let document = Document {
            findings: &findings,
            sources: &sources,
            verdict: Verdict {
                fail_on: Severity::Medium,
                failed: true,
            },
            review: Some(&review),
        };
        let md = render(&document);
        let at = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("{needle}:\n{md}"));
        assert!(at("### New findings (1)") < at("### Baseline changes (1)"));
        assert!(at("### Baseline changes (1)") < at("### Rendered files this change alters (1)"));
        assert!(at("### Rendered files") < at("### Existing findings (1)"));
        assert!(at("### Existing findings (1)") < at("### Fixed findings (1)"));
        assert!(md.contains("| severity | new | existing | fixed | waived |"));
        assert!(md.contains("| high | 1 | 1 | 1 | 0 |"));
        assert!(md.contains("(1 new, 1 existing, 1 fixed)"));
        assert!(md.contains(
            "Required reviewers (owners of weakened settings): <code>sec@example.com</code>"
        ));
        assert!(md.contains("| ⚠️ weakened | <code>sshd.MaxAuthTries</code> | <code>prod</code> | max <code>4</code> → <code>&lt;6&gt;</code> |"));
        assert!(md.contains("  +MaxAuthTries 6\n"));

        // Under a small cap the head stays, later parts are counted in the note.
        let capped = render_capped(&document, NOTE_ROOM + 900);
        assert!(capped.len() <= NOTE_ROOM + 900, "{}", capped.len());
        assert!(capped.starts_with(MARKER));
        assert!(capped.contains("Left out:"), "{capped}");

        // The JSON report carries the status counts and the review.
        let json: serde_json::Value =
            serde_json::from_str(&crate::report::json::render(&document)).unwrap_or_default();
        assert_eq!(
            json["summary"]["by_status"],
            serde_json::json!({"existing": 1, "fixed": 1, "new": 1})
        );
        // Fixed findings are gone: not counted by severity.
        assert_eq!(json["summary"]["by_severity"]["high"], 2);
        assert_eq!(json["review"]["changes"][0]["direction"], "weakened");
    }
}
