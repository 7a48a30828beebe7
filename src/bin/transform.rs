//! `transform`: raw Parquet to staged Parquet, one row per line item.

use std::process::ExitCode;

use clap::Parser;
use tiktok_etl::cli::{self, CommonArgs, stages};

/// Flatten the raw orders of a run into one row per line item
/// (`<store>/runs/<run>/transform/order_lines/`), money exact to 4 decimals,
/// times in UTC. Orders that cannot be read go to `transform/rejects/` with a
/// reason. Exit codes: 0 done, 1 worth retrying, 2 fix something first.
#[derive(Parser)]
#[command(name = "transform", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::run_main(cli.common.log_format, || async {
        let manifest = stages::transform(&cli.common).await?;
        cli::print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}
