//! Command-line interface: clap types only. Doc comments on fields are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Baseline-as-code compiler and CI checker: validate hardening baselines, render
/// per-environment configs, detect drift, and gate merges with the exit code.
#[derive(Debug, Parser)]
#[command(name = "hardline", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 nothing at or above the fail threshold, 1 findings at or above it, 2 hardline could not do its job."
)]
pub struct Cli {
    /// Run as if started in DIR (the directory holding hardline.yaml).
    #[arg(short = 'C', value_name = "DIR", global = true, default_value = ".")]
    pub dir: PathBuf,
    /// Output format on stdout.
    #[arg(long, value_enum, global = true, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write the report in FORMAT to PATH (repeatable; relative to -C DIR). Every file
    /// is written atomically, in the same run, while stdout shows --format.
    #[arg(
        long = "report",
        global = true,
        value_name = "FORMAT=PATH",
        value_parser = parse_report
    )]
    pub reports: Vec<ReportSpec>,
    /// When to use colour in human output.
    #[arg(long, value_enum, global = true, default_value_t = Color::Auto)]
    pub color: Color,
    /// Print only findings and errors (no summary line).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Fail (exit 1) on unwaived findings at or above this severity [default: the manifest's
    /// `failOn`, else medium]; `new` (with `check --base`): only on new ones at or above the
    /// manifest's `failOn`.
    #[arg(long, value_enum, global = true, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Evaluate date-dependent rules (waiver expiry, patch deadlines, end-of-life dates) as of
    /// this date, YYYY-MM-DD [default: today, UTC].
    #[arg(long, global = true, value_name = "DATE")]
    pub today: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a working baseline repository from the built-in library (dev and prod environments).
    Init(InitArgs),
    /// Schema and semantic validation of manifest, baselines, overlays and templates.
    Validate,
    /// Render every environment's configs (to stdout, to --out DIR, or --write in place).
    Render(RenderArgs),
    /// Drift between rendered files and the files checked in, as unified diffs.
    Diff(EnvArgs),
    /// Check checked-in configs (rendered or hand-written) against each setting's constraint.
    Conform(EnvArgs),
    /// Show an effective value, where it was set and the constraint that allowed it.
    Explain(ExplainArgs),
    /// Validate, render in memory, diff, conform and audit in one run: the CI entry point.
    Check(CheckArgs),
    /// Every component and version, where it is declared (from the manifest's lockfile
    /// globs, or from PATHs without a manifest).
    Inventory(InventoryArgs),
    /// Components against advisories, version policies, end-of-life dates and patch
    /// deadlines (PATH arguments: no manifest needed).
    Audit(AuditArgs),
    /// Print a shell completion script (e.g. `hardline completions bash > /etc/bash_completion.d/hardline`).
    Completions(CompletionsArgs),
}

/// `inventory` arguments.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Lockfiles, package lists, Dockerfiles, or folders to search for them
    /// (`.gitignore` respected) [default: the manifest's `components.lockfiles`].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Lockfiles, package lists, Dockerfiles, or folders to search for them
    /// (`.gitignore` respected) [default: the manifest's `components.lockfiles`].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Offline OSV database: a directory of OSV JSON records and/or osv.dev exports
    /// (`<Ecosystem>/all.zip`), or one such file [default: the manifest's `advisories`].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

/// `completions` arguments.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Pull-request mode: also check the merge base of REV and the head, and mark findings
    /// new, existing or fixed (e.g. `--base origin/main`).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The head revision to check [default: the working directory].
    #[arg(long, value_name = "REV", requires = "base")]
    pub head: Option<String>,
}

/// `init` arguments.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the repository in (created if missing; must not hold hardline.yaml).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Components of the built-in library to include, comma-separated
    /// (sshd, nginx, postgres, sysctl, docker, k8s).
    #[arg(
        long = "with",
        value_delimiter = ',',
        value_name = "COMPONENTS",
        default_value = "sshd"
    )]
    pub with: Vec<String>,
}

/// Environment selection.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Only this environment (repeatable).
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
}

/// `render` arguments.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Which environments.
    #[command(flatten)]
    pub env: EnvArgs,
    /// Write files into `DIR/ENV/TARGET` instead of printing them.
    #[arg(long, value_name = "DIR", conflicts_with = "write")]
    pub out: Option<PathBuf>,
    /// Update the checked-in files in each environment's output directory.
    #[arg(long)]
    pub write: bool,
}

/// `explain` arguments.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Environment name.
    pub environment: String,
    /// Setting key, `baseline.Setting` (e.g. sshd.MaxAuthTries).
    pub setting: String,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source snippets, for people (`table` for `inventory`).
    #[value(alias = "table")]
    Human,
    /// One JSON object (see the machine-readable output contract).
    Json,
    /// A CycloneDX 1.5 bill of materials (`inventory` only).
    Cyclonedx,
    /// A pull-request comment: verdict, counts, findings, baseline-change review.
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// `JUnit` XML: a test suite per check family, a test case per file or environment.
    Junit,
    /// GitHub Actions workflow-command annotations (and the step summary).
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
}

impl Format {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Gitlab => "gitlab",
            Format::Cyclonedx => "cyclonedx",
        }
    }
}

/// A `--report FORMAT=PATH` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// The format to write.
    pub format: Format,
    /// Where to write it.
    pub path: PathBuf,
}

/// Parses `FORMAT=PATH`.
fn parse_report(text: &str) -> Result<ReportSpec, String> {
    let names = || {
        Format::value_variants()
            .iter()
            .filter(|f| **f != Format::Cyclonedx)
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((format, path)) = text.split_once('=') else {
        return Err(format!(
            "expected FORMAT=PATH, e.g. `--report sarif=hardline.sarif` (formats: {})",
            names()
        ));
    };
    let format = Format::from_str(format, false)
        .map_err(|_| format!("unknown report format `{format}` (formats: {})", names()))?;
    if format == Format::Cyclonedx {
        return Err(
            "cyclonedx is a bill of materials: write it with `hardline inventory --format cyclonedx`"
                .to_owned(),
        );
    }
    if path.is_empty() {
        return Err(format!(
            "no path after `{}=`, e.g. `--report {}=hardline.{}`",
            format.as_str(),
            format.as_str(),
            match format {
                Format::Human | Format::Github => "txt",
                Format::Json | Format::Gitlab | Format::Cyclonedx => "json",
                Format::Markdown => "md",
                Format::Sarif => "sarif",
                Format::Junit => "xml",
            }
        ));
    }
    Ok(ReportSpec {
        format,
        path: PathBuf::from(path),
    })
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Fail thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding, informational ones included.
    Info,
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
    /// Only new findings (pull-request mode, `check --base`), at or above the manifest's
    /// `failOn` (default medium).
    New,
}

impl FailOn {
    /// The severity threshold (`None` for `new`, which keeps the manifest's).
    pub fn severity(self) -> Option<crate::finding::Severity> {
        use crate::finding::Severity;
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::New => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn report_requests_parse_and_bad_ones_explain_the_shape() {
        assert_eq!(
            parse_report("sarif=out/a b.sarif"),
            Ok(ReportSpec {
                format: Format::Sarif,
                path: PathBuf::from("out/a b.sarif")
            })
        );
        // Only the first `=` separates: the path may contain more.
        assert_eq!(
            parse_report("json=x=y.json").map(|r| r.path),
            Ok(PathBuf::from("x=y.json"))
        );
        assert!(parse_report("sarif").is_err_and(|e| e.contains("FORMAT=PATH")));
        assert!(parse_report("xml=a").is_err_and(|e| e.contains("junit")));
        assert!(parse_report("junit=").is_err_and(|e| e.contains("junit=hardline.xml")));
        for format in Format::value_variants() {
            assert_eq!(Format::from_str(format.as_str(), false).ok(), Some(*format));
        }
    }
}
