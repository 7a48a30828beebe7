//! `tiktok-etl`: the operator's tool for manual work.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tiktok_etl::check::{self, CheckArgs};
use tiktok_etl::cli::{self, CommonArgs};
use tiktok_etl::pipeline::{self, RunArgs};
use tiktok_etl::run_id::RunId;
use tiktok_etl::sandbox::{SandboxArgs, serve_cli};
use tiktok_etl::store::Store;
use tiktok_etl::{Error, inspect};

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
    Sandbox(SandboxCommand),
}

#[derive(Args)]
struct SandboxCommand {
    #[command(flatten)]
    sandbox: SandboxArgs,
    /// Log format on stderr.
    #[arg(long, env = "ETL_LOG_FORMAT", value_enum, default_value_t = tiktok_etl::telemetry::LogFormat::Text)]
    log_format: tiktok_etl::telemetry::LogFormat,
}

#[derive(Args)]
struct InspectArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Rows to show from each Parquet file.
    #[arg(long, default_value_t = 3)]
    rows: usize,
}

fn main() -> ExitCode {
    // Called through a link named after a stage (as in the image), be it.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(stage) = args
        .first()
        .and_then(|program| cli::commands::stage_named_by(program.as_ref()))
    {
        return stage(args);
    }
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Run(args) => cli::run_main(args.common.log_format, || async move {
            let report = pipeline::run(&args).await?;
            println!("{}", report.summary_line());
            Ok(())
        }),
        Command::Check(args) => {
            cli::run_main(args.log_format, || async move { check::run(&args).await })
        }
        Command::Sandbox(args) => cli::run_main(args.log_format, || serve_cli(args.sandbox)),
        Command::Inspect(args) => cli::run_main(args.common.log_format, || async move {
            let store = Store::open(&args.common.store)?;
            let text = match args.common.run_id.as_deref() {
                None => inspect::list_runs(&store).await?,
                Some(raw) => {
                    inspect::report(
                        &store,
                        &RunId::parse(raw).map_err(Error::Config)?,
                        args.rows,
                    )
                    .await?
                }
            };
            print!("{text}");
            Ok(())
        }),
    }
}
