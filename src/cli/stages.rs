//! The stage binaries' command lines, in the library so that `tiktok-etl`
//! can also be each of them: called through a link named `extract`,
//! `transform` or `load`, it is that stage. The image ships one binary and
//! three links instead of four copies of the same code.
//!
//! Each stage step below is shared with `tiktok-etl run`: everything that
//! can be wrong with the flags is found before the store is touched, so bad
//! input writes nothing.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use clap::Parser;

use super::args::{ApiArgs, CommonArgs, ExtractArgs, LoadArgs, TransformArgs};
use super::error::CliError;
use super::exit::{Workers, run_main, run_main_with};
use super::fault;
use crate::extract::{self, ExtractConfig};
use crate::load::{self, LoadConfig, Target};
use crate::manifest::Manifest;
use crate::run_id::RunId;
use crate::source::tiktok::TikTokOrders;
use crate::store::Store;
use crate::transform::{self, Pii};

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
    #[command(flatten)]
    transform: TransformArgs,
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

pub fn extract_main(args: Vec<OsString>) -> ExitCode {
    let cli = ExtractCli::parse_from(args);
    run_main(cli.common.log.log_format, || async {
        let run_id = cli.common.run_id_or_new()?;
        let config = cli.extract.config(Utc::now())?;
        let manifest = extract_step(&cli.common, &run_id, &config, &cli.extract).await?;
        print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}

pub fn transform_main(args: Vec<OsString>) -> ExitCode {
    let cli = TransformCli::parse_from(args);
    run_main(cli.common.log.log_format, || async {
        let run_id = cli.common.run_id("transform")?;
        let pii = cli.transform.pii()?;
        let manifest = transform_step(&cli.common, &run_id, pii).await?;
        print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}

pub fn load_main(args: Vec<OsString>) -> ExitCode {
    let cli = LoadCli::parse_from(args);
    let config = cli.load.config();
    // A SQLite load writes on one blocking thread and reads the staged files
    // on one worker; more workers only spread the batches over more of
    // glibc's arenas (peak RSS 235-290 MiB with one per core, 182-190 MiB
    // with one, at the same speed). SQL Server keeps one per core.
    let workers = match &config {
        Ok(LoadConfig {
            target: Target::Sqlite(_),
            ..
        }) => Workers::One,
        _ => Workers::PerCore,
    };
    run_main_with(cli.common.log.log_format, workers, || async {
        let run_id = cli.common.run_id("load")?;
        let config = config?;
        let manifest = load_step(&cli.common, &run_id, &config).await?;
        print_summary(&manifest, &cli.common.store);
        Ok(())
    })
}

/// The stage a program path names (`/usr/local/bin/extract` → extract).
pub fn stage_named_by(program: &Path) -> Option<fn(Vec<OsString>) -> ExitCode> {
    match program.file_name()?.to_str()? {
        "extract" => Some(extract_main),
        "transform" => Some(transform_main),
        "load" => Some(load_main),
        _ => None,
    }
}

pub(super) async fn extract_step(
    common: &CommonArgs,
    run_id: &RunId,
    config: &ExtractConfig,
    args: &ExtractArgs,
) -> Result<Manifest, CliError> {
    // Credentials and hosts are checked before the store is touched.
    let client = args.api.client()?;
    fault::injected()?;
    let store = Store::open(&common.store)?;
    tracing::info!(run_id = %run_id, store = store.location(), "extract starting");
    let source = ApiArgs::source(client, args.qps, args.max_in_flight, &store).await?;
    Ok(extract::run(&store, run_id, config, &source).await?)
}

pub(super) async fn transform_step(
    common: &CommonArgs,
    run_id: &RunId,
    pii: Pii,
) -> Result<Manifest, CliError> {
    fault::injected()?;
    let store = Store::open(&common.store)?;
    Ok(transform::run(&store, run_id, &TikTokOrders, pii).await?)
}

pub(super) async fn load_step(
    common: &CommonArgs,
    run_id: &RunId,
    config: &LoadConfig,
) -> Result<Manifest, CliError> {
    fault::injected()?;
    let store = Store::open(&common.store)?;
    Ok(load::run(&store, run_id, config).await?)
}

/// Prints the stage's one-line JSON summary as the last line of stdout.
fn print_summary(manifest: &Manifest, store_location: &str) {
    println!("{}", manifest.summary_line(store_location));
}
