//! TikTok Shop as a source: the Open API client for extract, and the
//! order flattening for transform.

mod flatten;
mod kept;
mod order;
mod plan;
mod read;
mod scan;
#[cfg(test)]
mod scan_tests;

pub use flatten::Scratch;

use arrow::datatypes::SchemaRef;
use tiktok_shop_api::{ApiClient, ApiError, OrdersPage, Window};

use super::{
    Flat, Flattener, Notes, OrderSource, RawRecord, RecordPage, RowContext, ShopPace, SourceStats,
};
use crate::schema::staged::{self, COLUMNS, Column};
use crate::shop::ShopCipher;
use crate::transform::cell::Bad;

/// Orders from the TikTok Shop Open API, through one client (one app, one
/// seller's tokens).
#[derive(Debug)]
pub struct TikTokShop {
    client: ApiClient,
}

impl TikTokShop {
    pub fn new(client: ApiClient) -> TikTokShop {
        TikTokShop { client }
    }

    pub fn client(&self) -> &ApiClient {
        &self.client
    }
}

impl OrderSource for TikTokShop {
    type Error = ApiError;

    fn is_retryable(error: &ApiError) -> bool {
        error.is_retryable()
    }

    fn stats(&self) -> SourceStats {
        let stats = self.client.stats();
        SourceStats {
            requests: stats.requests,
            throttled: stats.throttled,
            server_errors: stats.server_errors,
            network_errors: stats.network_errors,
            restamps: stats.restamps,
            token_refreshes: stats.token_refreshes,
        }
    }

    fn pace(&self, shop: &ShopCipher) -> Option<ShopPace> {
        let stats = self.client.pacer()?.stats(shop.as_str());
        Some(ShopPace {
            throttled: stats.throttled,
            rate: stats.rate,
            waiting: stats.waiting,
            concurrency: stats.concurrency(),
        })
    }

    async fn shops(&self) -> Result<Vec<ShopCipher>, ApiError> {
        let shops = self.client.authorized_shops().await?;
        let mut ciphers = Vec::with_capacity(shops.len());
        for shop in shops {
            match ShopCipher::parse(&shop.cipher) {
                Ok(cipher) => ciphers.push(cipher),
                Err(error) => tracing::warn!(
                    shop = %shop.name, %error,
                    "skipping an authorized shop whose cipher cannot be used"
                ),
            }
        }
        Ok(ciphers)
    }

    async fn search(
        &self,
        shop: &ShopCipher,
        window: &Window,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<RecordPage, ApiError> {
        let page = self
            .client
            .search_orders(shop.as_str(), window, cursor, page_size)
            .await?;
        Ok(record_page(page))
    }
}

fn record_page(page: OrdersPage) -> RecordPage {
    RecordPage {
        request_id: page.request_id,
        records: page
            .orders
            .into_iter()
            .map(|order| RawRecord {
                id: order.id,
                status: order.status,
                create_time: order.create_time,
                update_time: order.update_time,
                payload: order.payload,
            })
            .collect(),
        next_cursor: page.next_page_token,
        total_count: page.total_count,
    }
}

/// TikTok Shop orders to line-item rows of the staged table
/// (`schema::staged::COLUMNS`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TikTokOrders;

impl Flattener for TikTokOrders {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn schema(&self) -> SchemaRef {
        staged::schema()
    }

    type Scratch<'a> = Scratch<'a>;

    fn flatten<'a, 's>(
        &self,
        payload: &'a str,
        context: &RowContext<'a>,
        notes: &mut Notes,
        scratch: &'s mut Scratch<'a>,
    ) -> Result<&'s Flat<'a>, Bad> {
        flatten::flatten(payload, context, notes, scratch)
    }
}
