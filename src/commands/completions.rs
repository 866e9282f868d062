//! `hardline completions SHELL`: a completion script generated from the command-line
//! definition, so it never lags behind the flags.

use clap::CommandFactory;
use clap_complete::Shell;
use miette::{IntoDiagnostic, Result};

use crate::ExitStatus;
use crate::cli::Cli;
use crate::report;

/// Prints the completion script for `shell`.
pub fn run(shell: Shell) -> Result<ExitStatus> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "hardline", &mut script);
    report::out(&String::from_utf8_lossy(&script)).into_diagnostic()?;
    Ok(ExitStatus::Success)
}
