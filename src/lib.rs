//! hardline: baseline-as-code compiler and CI checker for `GitOps` repositories.
//!
//! Pipeline: load ([`repo`]) → resolve overlays ([`resolve`]) → engines ([`validate`],
//! [`render`], [`drift`]) → findings ([`finding`]) → [`report`]. The library API is unstable:
//! it exists for the `hardline` binary and its tests.

pub mod audit;
pub mod cli;
pub mod commands;
pub mod conform;
pub mod drift;
pub mod finding;
pub mod fs;
pub mod git;
pub mod inventory;
pub mod library;
pub mod model;
pub mod render;
pub mod repo;
pub mod report;
pub mod resolve;
pub mod review;
pub mod source;
pub mod tree;
pub mod validate;
pub mod waiver;

use cli::{Cli, Command};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the fail threshold (exit 0).
    Success,
    /// Findings at or above the fail threshold (exit 1).
    Failure,
}

/// Runs a parsed command line. `Err` means hardline could not do its job (exit 2).
pub fn run(cli: &Cli) -> miette::Result<ExitStatus> {
    // Parsers recurse; worker threads get the main thread's usual stack rather than 2 MiB,
    // so depth limits, not stack size, decide what input is refused. (Fails only if the
    // pool already exists, as in a second `run` in one process: it keeps its settings.)
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(8 * 1024 * 1024)
        .build_global();
    if cli.format == cli::Format::Cyclonedx && !matches!(cli.command, Command::Inventory(_)) {
        return Err(miette::miette!(
            help = "use `--format cyclonedx` with `hardline inventory`; findings come as human, json and the report formats",
            "`--format cyclonedx` is a bill-of-materials format"
        ));
    }
    let ctx = commands::Context::new(cli)?;
    let root = cli.dir.as_path();
    match &cli.command {
        Command::Init(args) => {
            let dir = if args.path.is_absolute() {
                args.path.clone()
            } else {
                root.join(&args.path)
            };
            commands::init::run(&ctx, &dir, &args.with)
        }
        Command::Validate => commands::validate::run(&ctx, root),
        Command::Render(args) => commands::render::run(&ctx, root, args),
        Command::Diff(args) => commands::diff::run(&ctx, root, args),
        Command::Conform(args) => commands::conform::run(&ctx, root, args),
        Command::Explain(args) => commands::explain::run(&ctx, root, args),
        Command::Inventory(args) => commands::inventory::run(&ctx, root, args),
        Command::Audit(args) => commands::audit::run(&ctx, root, args),
        Command::Completions(args) => commands::completions::run(args.shell),
        Command::Check(args) => commands::check::run(&ctx, root, args),
    }
}
