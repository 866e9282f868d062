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
    /// Output format.
    #[arg(long, value_enum, global = true, default_value_t = Format::Human)]
    pub format: Format,
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
    /// Evaluate date-dependent rules (waiver expiry) as of this date, YYYY-MM-DD [default: today, UTC].
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
    /// Validate, render in memory, diff and conform in one run: the CI entry point.
    Check(CheckArgs),
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
    /// Diagnostics with source snippets, for people.
    Human,
    /// One JSON object (see the machine-readable output contract).
    Json,
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
}
