//! `load`: staged Parquet into the staging table.

use std::process::ExitCode;

use clap::Parser;
use tiktok_etl::cli::{self, CommonArgs, LoadArgs, stages};

/// Load the staged rows of a run into the staging table (SQLite or SQL
/// Server) in one transaction: all or nothing, and never twice. Exit codes:
/// 0 done, 1 worth retrying, 2 fix something first.
#[derive(Parser)]
#[command(name = "load", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    load: LoadArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::run_main(cli.common.log_format, || async {
        let manifest = stages::load(&cli.common, &cli.load).await?;
        cli::print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}
