//! Command glue: IO, engines, report, exit status. One file per subcommand; `check`
//! composes the same engines as the others.

pub mod audit;
pub mod check;
pub mod completions;
pub mod conform;
pub mod diff;
pub mod explain;
pub mod init;
pub mod inventory;
pub mod render;
pub mod validate;

use std::path::Path;

use miette::{Result, WrapErr};

use crate::ExitStatus;
use crate::cli::{Cli, ReportSpec};
use crate::finding::{self, Finding, Severity, Status};
use crate::render::RenderedFile;
use crate::repo::Repository;
use crate::report::{self, Style, Verdict};
use crate::resolve::{self, Resolved, constraint::Patterns};
use crate::validate::semantic;
use crate::waiver::{self, Date};

/// Options every command shares.
#[derive(Clone)]
pub struct Context {
    /// Output style.
    pub style: Style,
    /// `--fail-on`, when given.
    pub fail_on: Option<Severity>,
    /// The date waivers are judged against.
    pub today: Date,
    /// `--report FORMAT=PATH` requests, paths resolved against `-C DIR`.
    pub reports: Vec<ReportSpec>,
    /// `--fail-on new`: only new findings fail the run (pull-request mode).
    pub new_only: bool,
    /// Pull-request mode: the base side's findings (from [`finding::finish`]); the head's are
    /// then marked new, existing or fixed before the verdict.
    pub base: Option<Vec<Finding>>,
}

impl Context {
    /// From the parsed command line.
    pub fn new(cli: &Cli) -> Result<Context> {
        let today = match &cli.today {
            Some(text) => Date::parse(text).ok_or_else(|| {
                miette::miette!(
                    help = "write the date as YYYY-MM-DD, e.g. --today 2026-11-26",
                    "`--today {text}` is not a valid date"
                )
            })?,
            None => Date::today(),
        };
        Ok(Context {
            style: Style::new(cli.format, cli.color, cli.quiet),
            fail_on: cli.fail_on.and_then(crate::cli::FailOn::severity),
            today,
            reports: cli
                .reports
                .iter()
                .map(|r| ReportSpec {
                    format: r.format,
                    path: cli.dir.join(&r.path),
                })
                .collect(),
            new_only: cli.fail_on == Some(crate::cli::FailOn::New),
            base: None,
        })
    }
}

/// A loaded, validated, resolved and rendered repository.
pub struct Analysis {
    /// The repository.
    pub repo: Repository,
    /// Findings so far.
    pub findings: Vec<Finding>,
    /// Effective values.
    pub resolved: Vec<Resolved>,
    /// Rendered files of the selected environments.
    pub rendered: Vec<RenderedFile>,
    /// Names of the selected environments.
    pub envs: Vec<String>,
    /// Compiled setting patterns.
    pub patterns: Patterns,
}

/// Loads `root` and runs validation, resolution and rendering for the environments in
/// `only` (all when empty), keeping findings of those environments and of none. An unknown
/// environment name is an error.
pub fn analyse(root: &Path, only: &[String]) -> Result<Analysis> {
    analyse_tree(root, crate::tree::Tree::work(root), only)
}

/// [`analyse`] of the files in `tree` (the working directory at `root`, or a git revision).
pub fn analyse_tree(root: &Path, tree: crate::tree::Tree, only: &[String]) -> Result<Analysis> {
    let (repo, mut findings) = Repository::load_tree(root, tree)?;
    for name in only {
        if repo.environment(name).is_none() {
            let known: Vec<String> = repo
                .environments
                .iter()
                .map(|e| format!("`{}`", e.name()))
                .collect();
            return Err(miette::miette!(
                help = if known.is_empty() {
                    "this repository defines no environment yet".to_owned()
                } else {
                    format!("known environments: {}", known.join(", "))
                },
                "unknown environment `{name}`"
            ));
        }
    }
    let mut patterns = Patterns::default();
    findings.extend(semantic::check(&repo, &mut patterns));
    let (resolved, resolve_findings) = resolve::resolve(&repo, &patterns);
    findings.extend(resolve_findings);
    let selected: Option<&[String]> = (!only.is_empty()).then_some(only);
    let (rendered, render_findings) = crate::render::render_all(&repo, &resolved, selected);
    findings.extend(render_findings);
    let envs: Vec<String> = repo
        .environments
        .iter()
        .map(|e| e.name().to_owned())
        .filter(|n| only.is_empty() || only.contains(n))
        .collect();
    // Problems of environments not selected are for a run that selects them (or `validate`).
    findings.retain(|f| f.environment.as_ref().is_none_or(|e| envs.contains(e)));
    Ok(Analysis {
        repo,
        findings,
        resolved,
        rendered,
        envs,
        patterns,
    })
}

/// Applies waivers, sorts, prints, and decides the exit status.
pub fn conclude(
    ctx: &Context,
    repo: &Repository,
    findings: Vec<Finding>,
    report_unused_waivers: bool,
) -> Result<ExitStatus> {
    conclude_with_review(ctx, repo, findings, report_unused_waivers, None)
}

/// [`conclude`], with the review of a baseline change in the report (pull-request mode).
pub fn conclude_with_review(
    ctx: &Context,
    repo: &Repository,
    mut findings: Vec<Finding>,
    report_unused_waivers: bool,
    review: Option<&crate::review::Review>,
) -> Result<ExitStatus> {
    waiver::apply(repo, &mut findings, ctx.today, report_unused_waivers);
    let mut findings = finding::finish(findings);
    if let Some(base) = &ctx.base {
        findings = finding::compare(base.clone(), findings);
    }
    let verdict = verdict(ctx, repo, &findings);
    let document = report::Document {
        findings: &findings,
        sources: &repo.sources,
        verdict,
        review,
    };
    report::publish(&document, ctx.style, &ctx.reports).wrap_err("cannot write the report")?;
    Ok(if verdict.failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Sorts, prints and decides the exit status of findings about files outside any
/// baseline repository (`audit PATH…`): no waivers, the threshold from `--fail-on`.
pub fn conclude_without_repo(
    ctx: &Context,
    sources: &crate::source::Sources,
    findings: Vec<Finding>,
) -> Result<ExitStatus> {
    let findings = finding::finish(findings);
    let fail_on = ctx.fail_on.unwrap_or(Severity::Medium);
    let verdict = Verdict {
        fail_on,
        failed: findings.iter().any(|f| !f.waived && f.severity >= fail_on),
    };
    let document = report::Document {
        findings: &findings,
        sources,
        verdict,
        review: None,
    };
    report::publish(&document, ctx.style, &ctx.reports).wrap_err("cannot write the report")?;
    Ok(if verdict.failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The fail threshold and whether `findings` cross it. Fixed findings (pull-request mode)
/// never fail a run; with `--fail-on new` only new ones do.
pub fn verdict(ctx: &Context, repo: &Repository, findings: &[Finding]) -> Verdict {
    let fail_on = ctx
        .fail_on
        .or(repo.manifest.fail_on)
        .unwrap_or(Severity::Medium);
    let counts = |f: &&Finding| match f.status {
        Some(Status::Fixed) => false,
        Some(Status::New) => true,
        Some(Status::Existing) | None => !ctx.new_only,
    };
    Verdict {
        fail_on,
        failed: findings
            .iter()
            .filter(counts)
            .any(|f| !f.waived && f.severity >= fail_on),
    }
}
