//! Each stage as a command: check the flags, open the store, run the stage.
//!
//! Shared by the stage binaries and by `tiktok-etl run`. Everything that can
//! be wrong with the flags is found before the store is touched, so bad input
//! writes nothing.

use chrono::Utc;

use super::{CommonArgs, ExtractArgs, LoadArgs, injected_fault, require_run_id};
use crate::api::{ApiClient, ApiConfig};
use crate::error::Error;
use crate::extract::{self, ExtractConfig};
use crate::load::{self, LoadConfig};
use crate::manifest::Manifest;
use crate::run_id::RunId;
use crate::store::Store;
use crate::store::layout::is_shop_cipher;
use crate::transform;

/// The run id to extract into: `--run-id`, or a fresh `manual__<time>` one.
pub fn extract_run_id(common: &CommonArgs) -> Result<RunId, Error> {
    match common.run_id.as_deref() {
        Some(raw) => RunId::parse(raw).map_err(Error::Config),
        None => Ok(RunId::generate(Utc::now())),
    }
}

/// The extract configuration named by the flags and the environment.
pub fn extract_config(args: &ExtractArgs) -> Result<ExtractConfig, Error> {
    let window = args.window(Utc::now())?;
    let shops = args.shops()?;
    Ok(ExtractConfig {
        window,
        shops,
        page_size: args.page_size,
        api: args.api.config()?,
    })
}

pub async fn extract(
    common: &CommonArgs,
    run_id: &RunId,
    config: &ExtractConfig,
) -> Result<Manifest, Error> {
    injected_fault()?;
    let store = Store::open(&common.store)?;
    tracing::info!(run_id = %run_id, store = store.location(), "extract starting");
    if config.shops.is_empty() {
        let config = ExtractConfig {
            shops: authorized_shops(&config.api).await?,
            ..config.clone()
        };
        return extract::run(&store, run_id, &config).await;
    }
    extract::run(&store, run_id, config).await
}

/// The ciphers of every shop the access token may read.
async fn authorized_shops(api: &ApiConfig) -> Result<Vec<String>, Error> {
    let shops = ApiClient::new(api.clone())?.authorized_shops().await?;
    let ciphers: Vec<String> = shops
        .into_iter()
        .map(|s| s.cipher)
        .filter(|c| is_shop_cipher(c))
        .collect();
    if ciphers.is_empty() {
        return Err(Error::config(
            "the access token is not authorized for any shop: authorize the app for a shop in Seller Center",
        ));
    }
    tracing::info!(shops = %ciphers.join(","), "no --shop-cipher given: reading every authorized shop");
    Ok(ciphers)
}

pub async fn transform(common: &CommonArgs) -> Result<Manifest, Error> {
    let run_id = require_run_id(common.run_id.as_deref(), "transform")?;
    injected_fault()?;
    let store = Store::open(&common.store)?;
    transform::run(&store, &run_id).await
}

pub fn load_config(args: &LoadArgs) -> LoadConfig {
    LoadConfig {
        target: args.target.target.clone(),
        mode: args.load_mode,
        table: args.target.table.clone(),
        create_table: args.create_table,
    }
}

pub async fn load(common: &CommonArgs, args: &LoadArgs) -> Result<Manifest, Error> {
    let run_id = require_run_id(common.run_id.as_deref(), "load")?;
    injected_fault()?;
    let store = Store::open(&common.store)?;
    load::run(&store, &run_id, &load_config(args)).await
}
