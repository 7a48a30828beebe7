//! The stage binaries' command lines, in the library so that `tiktok-etl`
//! can also be each of them: called through a link named `extract`,
//! `transform` or `load`, it is that stage. The image ships one binary and
//! three links instead of four copies of the same code.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use super::{CommonArgs, ExtractArgs, LoadArgs, print_summary, run_main, stages};

/// Read every order updated in [--since, --until) from the TikTok Shop API,
/// for each shop, into `<store>/runs/<run>/extract/` (one row per order, the
/// API's JSON kept byte for byte). Credentials come from the environment:
/// TIKTOK_APP_SECRET, TIKTOK_ACCESS_TOKEN, TIKTOK_REFRESH_TOKEN (or *_FILE).
/// Exit codes: 0 done, 1 failed but worth retrying, 2 fix something first.
#[derive(Parser)]
#[command(name = "extract", version)]
struct ExtractCli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    extract: ExtractArgs,
}

/// Flatten the raw orders of a run into one row per line item
/// (`<store>/runs/<run>/transform/order_lines/`), money exact to 4 decimals,
/// times in UTC. Orders that cannot be read go to `transform/rejects/` with a
/// reason. Exit codes: 0 done, 1 worth retrying, 2 fix something first.
#[derive(Parser)]
#[command(name = "transform", version)]
struct TransformCli {
    #[command(flatten)]
    common: CommonArgs,
}

/// Load the staged rows of a run into the staging table (SQLite or SQL
/// Server) in one transaction: all or nothing, and never twice. Exit codes:
/// 0 done, 1 worth retrying, 2 fix something first.
#[derive(Parser)]
#[command(name = "load", version)]
struct LoadCli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    load: LoadArgs,
}

pub fn extract(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = ExtractCli::parse_from(args);
    run_main(cli.common.log_format, || async {
        let run_id = stages::extract_run_id(&cli.common)?;
        let config = stages::extract_config(&cli.extract)?;
        let manifest = stages::extract(&cli.common, &run_id, &config).await?;
        print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}

pub fn transform(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = TransformCli::parse_from(args);
    run_main(cli.common.log_format, || async {
        let manifest = stages::transform(&cli.common).await?;
        print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}

pub fn load(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = LoadCli::parse_from(args);
    run_main(cli.common.log_format, || async {
        let manifest = stages::load(&cli.common, &cli.load).await?;
        print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}

/// The stage a program path names (`/usr/local/bin/extract` → extract).
pub fn stage_named_by(program: &Path) -> Option<fn(Vec<OsString>) -> ExitCode> {
    match program.file_name()?.to_str()? {
        "extract" => Some(extract),
        "transform" => Some(transform),
        "load" => Some(load),
        _ => None,
    }
}
