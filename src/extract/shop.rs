//! One shop: page through its orders and write them to its Parquet file.

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;

use super::ExtractConfig;
use super::batch::page_batch;
use crate::api::{ApiClient, ApiError};
use crate::error::Error;
use crate::manifest::FileEntry;
use crate::schema::raw;
use crate::store::parquet_io::ParquetSink;
use crate::store::{RunLayout, Store};

/// What one shop's extraction wrote.
pub(super) struct ShopDone {
    pub file: FileEntry,
    pub pages: u64,
}

pub(super) async fn extract(
    store: &Store,
    layout: &RunLayout,
    client: &ApiClient,
    shop_cipher: &str,
    config: &ExtractConfig,
) -> Result<ShopDone, Error> {
    let started = Instant::now();
    let mut sink = ParquetSink::create(store, &layout.extract_part(shop_cipher, 0), raw::schema())?;
    let mut used_tokens: HashSet<String> = HashSet::new();
    let mut page_token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = client
            .search_orders(
                shop_cipher,
                &config.window,
                page_token.as_deref(),
                config.page_size,
            )
            .await?;
        pages += 1;
        sink.write(&page_batch(shop_cipher, &page, Utc::now())?)
            .await?;
        let elapsed = started.elapsed().as_secs_f64().max(1e-3);
        tracing::info!(
            shop = shop_cipher,
            page = pages,
            page_orders = page.orders.len(),
            orders = sink.rows(),
            total_count = page.total_count.unwrap_or_default(),
            rate_per_s = (sink.rows() as f64 / elapsed * 10.0).round() / 10.0,
            request_id = %page.request_id,
            "fetched a page of orders"
        );
        let Some(next) = page.next_page_token else {
            break;
        };
        // A token seen before means the server is going round in circles.
        if page_token.as_deref() == Some(next.as_str()) || !used_tokens.insert(next.clone()) {
            return Err(ApiError::RepeatedPageToken {
                shop: shop_cipher.to_owned(),
                page: pages,
                request_id: page.request_id,
            }
            .into());
        }
        page_token = Some(next);
    }
    let file = sink.finish().await?;
    tracing::info!(
        shop = shop_cipher,
        pages,
        orders = file.rows,
        bytes = file.bytes,
        file = %store.display(&file.path),
        seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "shop done"
    );
    Ok(ShopDone { file, pages })
}
