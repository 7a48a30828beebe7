//! `tiktok-etl`: the operator's tool, and the dispatch that lets the one
//! binary also be each stage.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::check::{self, CheckArgs};
use super::exit::run_main;
use super::inspect::{self, InspectArgs};
use super::run::{self, RunArgs};
use super::stages::stage_named_by;

/// TikTok Shop orders ETL: run the whole pipeline by hand, look at what a run
/// wrote, check connectivity, or start the local API simulator. In
/// production Airflow runs the stage binaries `extract`, `transform` and
/// `load` instead. Exit codes: 0 done, 1 worth retrying, 2 fix something first.
#[derive(Parser)]
#[command(name = "tiktok-etl", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract, transform and load one window in sequence (like the old
    /// `run_etl.py etl`). With --sandbox, against the local API simulator.
    Run(Box<RunArgs>),
    /// Check the API credentials and the database connection and table
    /// (like the old `run_etl.py test`); lists the shop ciphers.
    Check(Box<CheckArgs>),
    /// Show a run's manifests, files, schemas and first rows (without
    /// --run-id: list the runs in the store).
    Inspect(InspectArgs),
    /// Start the local TikTok Shop API simulator and print how to point the
    /// stages at it.
    #[cfg(feature = "sandbox")]
    Sandbox(Box<super::sandbox::SandboxCommand>),
}

/// `tiktok-etl` with `args` (the program name first). Called through a
/// link named after a stage (as in the image), it is that stage.
pub fn main(args: Vec<OsString>) -> ExitCode {
    if let Some(stage) = args
        .first()
        .and_then(|program| stage_named_by(program.as_ref()))
    {
        return stage(args);
    }
    match Cli::parse_from(args).command {
        Command::Run(args) => run_main(args.common.log.log_format, || async move {
            let report = run::run(&args).await?;
            println!("{}", report.summary_line());
            Ok(())
        }),
        Command::Check(args) => run_main(
            args.log.log_format,
            || async move { check::run(&args).await },
        ),
        Command::Inspect(args) => run_main(args.common.log.log_format, || async move {
            inspect::run(&args).await
        }),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(command) => {
            run_main(command.log.log_format, || super::sandbox::serve(*command))
        }
    }
}
