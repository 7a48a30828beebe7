//! `tiktok-etl run`: extract, transform and load one window in sequence,
//! like the old `run_etl.py etl --days-back 7`.
//!
//! Each stage still talks to the next only through the store, exactly as
//! when Airflow runs them one by one, so a failed run can be finished by
//! running the remaining stage binaries with the printed run id. Every
//! stage's configuration is checked before the first one starts. With
//! `--sandbox` the TikTok Shop API simulator runs in-process and extract is
//! pointed at it, so the demo needs no credentials.

use clap::Args;

use super::args::{CommonArgs, ExtractArgs, LoadArgs, TransformArgs};
use super::error::CliError;
use super::stages::{extract_step, load_step, transform_step};
use crate::manifest::{Manifest, StageName};
use crate::store::{RunLayout, Store};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub transform: TransformArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Start the local TikTok Shop API simulator in-process and extract from
    /// it: no credentials needed. Its shops are used unless --shop-cipher is
    /// given. (Builds without the `sandbox` feature, like the production
    /// image, refuse it.)
    #[arg(long, env = "ETL_SANDBOX")]
    pub sandbox: bool,
}

/// What a whole run did, stage by stage.
pub struct RunReport {
    pub store: String,
    pub layout: RunLayout,
    pub extract: Manifest,
    pub transform: Manifest,
    pub load: Manifest,
}

pub async fn run(args: &RunArgs) -> Result<RunReport, CliError> {
    let run_id = args.common.run_id_or_new()?;
    let load_config = args.load.config()?;
    let pii = args.transform.pii()?;
    let mut extract_args = args.extract.clone();
    let sandbox = match args.sandbox {
        true => Some(super_sandbox::start(&mut extract_args).await?),
        false => None,
    };
    let extract_config = extract_args.config(chrono::Utc::now())?;
    extract_args.api.client()?;
    let store = Store::open(&args.common.store)?;
    println!("run id: {run_id}");

    let extract = extract_step(&args.common, &run_id, &extract_config, &extract_args).await?;
    println!(
        "extract:   {} orders from {} shop(s)",
        extract.rows_out,
        extract.shops.len()
    );
    let transform = transform_step(&args.common, &run_id, pii).await?;
    println!(
        "transform: {} line items, {} orders rejected{}",
        transform.rows_out,
        transform.rejected(),
        if transform.rejected() > 0 {
            " (see transform/rejects/)"
        } else {
            ""
        }
    );
    let load = load_step(&args.common, &run_id, &load_config).await?;
    if let Some(report) = &load.load {
        println!(
            "load:      {} inserted, {} updated, {} unchanged, {} deleted in {} ({})",
            report.inserted,
            report.updated,
            report.unchanged,
            report.deleted,
            report.table,
            report.target
        );
    }
    if let Some(sandbox) = sandbox {
        super_sandbox::stop(sandbox, extract.window.as_ref()).await;
    }
    let layout = RunLayout::new(&run_id);
    println!("files:     {}", store.display(layout.run_dir()));
    println!(
        "inspect:   tiktok-etl inspect --store {} --run-id '{run_id}'",
        args.common.store
    );
    Ok(RunReport {
        store: store.location().to_owned(),
        layout,
        extract,
        transform,
        load,
    })
}

impl RunReport {
    /// The whole run as one JSON line (printed last).
    pub fn summary_line(&self) -> String {
        serde_json::json!({
            "status": "ok",
            "run_id": self.layout.run_id().as_str(),
            "store": self.store,
            "run_dir": self.layout.run_dir(),
            "orders": self.extract.rows_out,
            "line_items": self.transform.rows_out,
            "rejected": self.transform.rejected(),
            "load": self.load.load,
            "stages": StageName::ALL,
        })
        .to_string()
    }
}

/// The in-process sandbox of `--sandbox`, or a clear refusal in builds
/// without it.
#[cfg(feature = "sandbox")]
use super::sandbox as super_sandbox;

#[cfg(not(feature = "sandbox"))]
mod super_sandbox {
    use super::super::args::ExtractArgs;
    use super::super::error::CliError;

    pub enum Never {}

    pub async fn start(_: &mut ExtractArgs) -> Result<Never, CliError> {
        Err(CliError::config(
            "--sandbox: this build has no sandbox (it was built without the `sandbox` feature, like the \
             production image); run the tiktok-etl of a default build, or point --api-base-url at a sandbox",
        ))
    }

    pub async fn stop(never: Never, _: Option<&tiktok_shop_api::Window>) {
        match never {}
    }
}
