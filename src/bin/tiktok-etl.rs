//! `tiktok-etl`: the operator's tool for manual work.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tiktok_etl::cli::{self, CommonArgs};
use tiktok_etl::run_id::RunId;
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
    /// Show a run's manifests, files, schemas and first rows (without
    /// --run-id: list the runs in the store).
    Inspect(InspectArgs),
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
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect(args) => cli::run_main(args.common.log_format, || async move {
            let store = Store::open(&args.common.store)?;
            let text = match args.common.run_id.as_deref() {
                None => inspect::list_runs(&store).await?,
                Some(raw) => inspect::report(&store, &RunId::parse(raw).map_err(Error::Config)?, args.rows).await?,
            };
            print!("{text}");
            Ok(())
        }),
    }
}
