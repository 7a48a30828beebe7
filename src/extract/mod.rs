//! The extract stage: every order updated in a window, for each shop, from
//! a source (the TikTok Shop API) into raw Parquet (one row per order, the
//! source's JSON kept byte for byte), then the manifest.
//!
//! Orders are paged by `update_time` ascending until the source's cursor is
//! empty. Nothing is deduplicated here: an order seen on two pages is two
//! rows, and transform keeps its newest version.

mod batch;
mod config;
mod error;
mod shop;

use chrono::Utc;

pub use config::{ExtractConfig, PageSize, Shops};
pub use error::ExtractError;

use crate::manifest::{Counters, ExtractCounters, Manifest, StageName};
use crate::run_id::RunId;
use crate::shop::ShopCipher;
use crate::source::OrderSource;
use crate::store::{RunLayout, Store};

/// Runs the stage for `run_id`: replaces any earlier output of the stage,
/// writes `extract/shop=<cipher>/part-00000.parquet` per shop, and writes the
/// manifest last.
pub async fn run<S: OrderSource>(
    store: &Store,
    run_id: &RunId,
    config: &ExtractConfig,
    source: &S,
) -> Result<Manifest, ExtractError> {
    let started_at = Utc::now();
    let shops = shops(&config.shops, source).await?;
    let layout = RunLayout::new(run_id);
    store.begin_stage(&layout, StageName::Extract).await?;
    tracing::info!(
        since = %config.window.since.to_rfc3339(),
        until = %config.window.until.to_rfc3339(),
        shops = shops.len(),
        page_size = config.page_size.get(),
        "extracting orders updated in [since, until)"
    );

    let mut files = Vec::with_capacity(shops.len());
    let mut orders = 0;
    let mut pages = 0;
    for shop in &shops {
        let done = shop::extract(store, &layout, source, shop, config).await?;
        orders += done.file.rows;
        pages += done.pages;
        files.push(done.file);
    }

    let stats = source.stats();
    let mut manifest = Manifest::new(StageName::Extract, run_id, started_at);
    manifest.window = Some(config.window);
    manifest.shops = shops;
    manifest.files = files;
    manifest.rows_in = orders;
    manifest.rows_out = orders;
    manifest.counters = Some(Counters::Extract(ExtractCounters {
        pages,
        api_requests: stats.requests,
        retries: stats.retries,
        token_refreshes: stats.token_refreshes,
    }));
    store.put_manifest(&layout, &manifest).await?;
    tracing::info!(
        orders,
        pages,
        api_requests = stats.requests,
        retries = stats.retries,
        token_refreshes = stats.token_refreshes,
        "extract finished"
    );
    Ok(manifest)
}

/// The shops to read: the configured ones, or every authorized one.
async fn shops<S: OrderSource>(shops: &Shops, source: &S) -> Result<Vec<ShopCipher>, ExtractError> {
    match shops {
        Shops::Only(list) if !list.is_empty() => Ok(list.clone()),
        Shops::Only(_) | Shops::Authorized => {
            let found = source
                .shops()
                .await
                .map_err(ExtractError::from_source::<S>)?;
            if found.is_empty() {
                return Err(ExtractError::NoShops);
            }
            let names: Vec<&str> = found.iter().map(ShopCipher::as_str).collect();
            tracing::info!(
                shops = %names.join(","),
                "no --shop-cipher given: reading every authorized shop"
            );
            Ok(found)
        }
    }
}
