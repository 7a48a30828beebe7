//! One shop: page through its orders and write them to its Parquet file.

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;

use super::batch::page_batch;
use super::config::ExtractConfig;
use super::error::ExtractError;
use crate::manifest::{Dataset, FileEntry};
use crate::schema::raw;
use crate::shop::ShopCipher;
use crate::source::OrderSource;
use crate::store::parquet_io::ParquetSink;
use crate::store::{RunLayout, Store};

/// What one shop's extraction wrote.
pub(super) struct ShopDone {
    pub file: FileEntry,
    pub pages: u64,
}

pub(super) async fn extract<S: OrderSource>(
    store: &Store,
    layout: &RunLayout,
    source: &S,
    shop: &ShopCipher,
    config: &ExtractConfig,
) -> Result<ShopDone, ExtractError> {
    let started = Instant::now();
    let mut sink = ParquetSink::create(
        store,
        &layout.extract_part(shop, 0),
        Dataset::Raw,
        raw::schema(),
    )?;
    let mut used_tokens: HashSet<String> = HashSet::new();
    let mut page_token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = source
            .search(
                shop,
                &config.window,
                page_token.as_deref(),
                config.page_size.get(),
            )
            .await
            .map_err(ExtractError::from_source::<S>)?;
        pages += 1;
        sink.write(&page_batch(shop, &page, Utc::now())?).await?;
        let elapsed = started.elapsed().as_secs_f64().max(1e-3);
        tracing::info!(
            shop = %shop,
            page = pages,
            page_orders = page.records.len(),
            orders = sink.rows(),
            total_count = page.total_count.unwrap_or_default(),
            rate_per_s = (sink.rows() as f64 / elapsed * 10.0).round() / 10.0,
            request_id = %page.request_id,
            "fetched a page of orders"
        );
        let Some(next) = page.next_cursor else {
            break;
        };
        // A token seen before means the server is going round in circles.
        if page_token.as_deref() == Some(next.as_str()) || !used_tokens.insert(next.clone()) {
            return Err(ExtractError::RepeatedPageToken {
                shop: shop.to_string(),
                page: pages,
                request_id: page.request_id,
            });
        }
        page_token = Some(next);
    }
    let file = sink.finish().await?;
    tracing::info!(
        shop = %shop,
        pages,
        orders = file.rows,
        bytes = file.bytes,
        file = %store.display(&file.path),
        seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "shop done"
    );
    Ok(ShopDone { file, pages })
}
