//! `extract`: TikTok Shop orders updated in a window, into raw Parquet.

use std::process::ExitCode;

use clap::Parser;
use tiktok_etl::cli::{self, CommonArgs, ExtractArgs, stages};

/// Read every order updated in [--since, --until) from the TikTok Shop API,
/// for each shop, into `<store>/runs/<run>/extract/` (one row per order, the
/// API's JSON kept byte for byte). Credentials come from the environment:
/// TIKTOK_APP_SECRET, TIKTOK_ACCESS_TOKEN, TIKTOK_REFRESH_TOKEN (or *_FILE).
/// Exit codes: 0 done, 1 failed but worth retrying, 2 fix something first.
#[derive(Parser)]
#[command(name = "extract", version)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    extract: ExtractArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::run_main(cli.common.log_format, || async {
        let run_id = stages::extract_run_id(&cli.common)?;
        let config = stages::extract_config(&cli.extract)?;
        let manifest = stages::extract(&cli.common, &run_id, &config).await?;
        cli::print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}
