//! `tiktok-etl run`: extract, transform and load one window in sequence,
//! like the old `run_etl.py etl --days-back 7`.
//!
//! Each stage still talks to the next only through the store, exactly as
//! when Airflow runs them one by one, so a failed run can be finished by
//! running the remaining stage binaries with the printed run id. With
//! `--sandbox` the TikTok Shop API simulator runs in-process and extract is
//! pointed at it, so the demo needs no credentials.

use std::net::SocketAddr;

use clap::Args;

use crate::api::{ApiConfig, Credentials};
use crate::cli::{CommonArgs, ExtractArgs, LoadArgs, stages};
use crate::error::Error;
use crate::manifest::Manifest;
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::secret::Secret;
use crate::store::{RunLayout, StageName, Store};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Start the local TikTok Shop API simulator in-process and extract from
    /// it: no credentials needed. Its shops are used unless --shop-cipher is
    /// given.
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

pub async fn run(args: &RunArgs) -> Result<RunReport, Error> {
    let run_id = stages::extract_run_id(&args.common)?;
    let sandbox = match args.sandbox {
        true => Some(start_sandbox().await?),
        false => None,
    };
    let config = match &sandbox {
        Some(sandbox) => sandbox_extract_config(args, sandbox)?,
        None => stages::extract_config(&args.extract)?,
    };
    let store = Store::open(&args.common.store)?;
    println!("run id: {run_id}");
    let mut common = args.common.clone();
    common.run_id = Some(run_id.to_string());

    let extract = stages::extract(&common, &run_id, &config).await?;
    println!(
        "extract:   {} orders from {} shop(s)",
        extract.rows_out,
        extract.shops.len()
    );
    let transform = stages::transform(&common).await?;
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
    let load = stages::load(&common, &args.load).await?;
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
        println!(
            "sandbox:   served {} line items of {} orders",
            sandbox.stats().line_items_served,
            sandbox.stats().orders_served
        );
        sandbox.shutdown().await;
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

async fn start_sandbox() -> Result<Sandbox, Error> {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let sandbox = Sandbox::start(SandboxConfig::default(), loopback)
        .await
        .map_err(|e| Error::config(format!("cannot start the sandbox API on loopback: {e}")))?;
    println!(
        "sandbox:   TikTok Shop API simulator at {}",
        sandbox.base_url()
    );
    Ok(sandbox)
}

fn sandbox_extract_config(
    args: &RunArgs,
    sandbox: &Sandbox,
) -> Result<crate::extract::ExtractConfig, Error> {
    let sandbox_config = sandbox.config();
    let mut extract = args.extract.clone();
    if extract.shop_ciphers.is_empty() {
        extract.shop_ciphers = sandbox_config.shops.clone();
    }
    let now = chrono::Utc::now();
    Ok(crate::extract::ExtractConfig {
        window: extract.window(now)?,
        shops: extract.shops()?,
        page_size: extract.page_size,
        api: ApiConfig {
            base_url: sandbox.base_url().to_owned(),
            auth_base_url: sandbox.base_url().to_owned(),
            credentials: Credentials {
                app_key: sandbox_config.app_key.clone(),
                app_secret: Secret::new(sandbox_config.app_secret.clone()),
                access_token: Secret::new(sandbox_config.access_token.clone()),
                refresh_token: Some(Secret::new(sandbox_config.refresh_token.clone())),
            },
        },
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
            "stages": [StageName::Extract, StageName::Transform, StageName::Load],
        })
        .to_string()
    }
}
