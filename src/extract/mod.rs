//! The extract stage: every order updated in a window, for each shop, from
//! a source (the TikTok Shop API) into raw Parquet (one row per order, the
//! source's JSON kept byte for byte), then the manifest.
//!
//! Each shop's window is swept in time slices by several workers at once
//! (`shop.rs`), each slice paged so that no order is lost while the pages
//! shift (`sweep.rs`, which says why), under the source's pacer. Several
//! shops run at once. An order read twice in one sweep (the boundary
//! second) is written once; an order that changed while the run read it
//! can be written in two versions, and transform keeps the newest.

mod batch;
mod config;
mod error;
mod progress;
mod queue;
mod shop;
mod sweep;

use std::collections::BTreeMap;

use chrono::Utc;
use futures::{StreamExt, TryStreamExt};

pub use config::{ExtractConfig, PageSize, Shops};
pub use error::ExtractError;

use crate::manifest::{Counters, ExtractCounters, Manifest, StageName};
use crate::run_id::RunId;
use crate::shop::ShopCipher;
use crate::source::OrderSource;
use crate::store::{RunLayout, Store};
use progress::Progress;
use shop::ShopDone;

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
        qps = %config.qps,
        workers_per_shop = config.workers_per_shop,
        "extracting orders updated in [since, until)"
    );
    let progress = Progress::new();
    let layout = &layout;
    let work = futures::stream::iter(shops.iter().enumerate())
        .map(|(i, shop)| {
            let progress = &progress;
            async move {
                let done = shop::extract(store, layout, source, shop, config, progress).await;
                done.map(|d| (i, d))
            }
        })
        .buffer_unordered(config.shops_at_once.max(1))
        .try_collect::<Vec<(usize, ShopDone)>>();
    let mut done = report_while(work, &progress, source, &shops).await?;
    done.sort_by_key(|(i, _)| *i);

    let counters = counters(config, source, &shops, &done);
    let orders: u64 = done.iter().map(|(_, d)| d.file.rows).sum();
    let mut manifest = Manifest::new(StageName::Extract, run_id, started_at);
    manifest.window = Some(config.window);
    manifest.files = done.into_iter().map(|(_, d)| d.file).collect();
    manifest.shops = shops;
    manifest.rows_in = orders;
    manifest.rows_out = orders;
    tracing::info!(
        orders,
        pages = counters.pages,
        api_requests = counters.api_requests,
        retries = counters.retries,
        throttled = counters.retries_throttled,
        token_refreshes = counters.token_refreshes,
        "extract finished"
    );
    manifest.counters = Some(Counters::Extract(counters));
    store.put_manifest(layout, &manifest).await?;
    Ok(manifest)
}

/// Awaits `work`, logging progress every few seconds meanwhile.
async fn report_while<T, S: OrderSource>(
    work: impl Future<Output = T>,
    progress: &Progress,
    source: &S,
    shops: &[ShopCipher],
) -> T {
    tokio::pin!(work);
    let mut ticks = tokio::time::interval(progress::EVERY);
    ticks.tick().await;
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = ticks.tick() => {
                let rates: Vec<f64> = shops.iter().filter_map(|s| source.pace(s)).map(|p| p.rate).collect();
                let rate = (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64);
                progress.log(source.stats().requests, rate);
            }
        }
    }
}

fn counters<S: OrderSource>(
    config: &ExtractConfig,
    source: &S,
    shops: &[ShopCipher],
    done: &[(usize, ShopDone)],
) -> ExtractCounters {
    let stats = source.stats();
    let mut per_shop = BTreeMap::new();
    for (i, d) in done {
        let mut c = d.counters.clone();
        if let Some(pace) = source.pace(&shops[*i]) {
            c.throttled = pace.throttled;
            c.final_rate_per_s = Some((pace.rate * 10.0).round() / 10.0);
        }
        per_shop.insert(shops[*i].to_string(), c);
    }
    ExtractCounters {
        pages: per_shop.values().map(|c| c.pages).sum(),
        api_requests: stats.requests,
        retries: stats.retries(),
        retries_throttled: stats.throttled,
        retries_server_error: stats.server_errors,
        retries_network: stats.network_errors,
        retries_timestamp: stats.restamps,
        token_refreshes: stats.token_refreshes,
        duplicates_dropped: per_shop.values().map(|c| c.duplicates_dropped).sum(),
        qps: config.qps.to_string(),
        shops: per_shop,
    }
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
