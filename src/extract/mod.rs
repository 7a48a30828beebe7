//! The extract stage: every order updated in a window, for each shop, from
//! the TikTok Shop API into raw Parquet (one row per order, the API's JSON
//! kept byte for byte), then the manifest.
//!
//! Orders are paged by `update_time` ascending until the API's
//! `next_page_token` is empty. Nothing is deduplicated here: an order seen on
//! two pages is two rows, and transform keeps its newest version.

mod batch;
mod shop;

use std::collections::BTreeMap;

use chrono::Utc;

use crate::api::{ApiClient, ApiConfig};
use crate::error::Error;
use crate::manifest::{Manifest, Window};
use crate::run_id::RunId;
use crate::store::layout::is_shop_cipher;
use crate::store::{RunLayout, StageName, Store};

/// What to extract and from where.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Orders whose `update_time` is in `[since, until)`.
    pub window: Window,
    /// Shop ciphers, read in this order, one Parquet file each.
    pub shops: Vec<String>,
    /// Orders per API page (1-100).
    pub page_size: u32,
    pub api: ApiConfig,
}

/// Runs the stage for `run_id`: replaces any earlier output of the stage,
/// writes `extract/shop=<cipher>/part-00000.parquet` per shop, and writes the
/// manifest last.
pub async fn run(store: &Store, run_id: &RunId, config: &ExtractConfig) -> Result<Manifest, Error> {
    let started_at = Utc::now();
    check(config)?;
    let client = ApiClient::new(config.api.clone())?;
    let layout = RunLayout::new(run_id);
    store.begin_stage(&layout, StageName::Extract).await?;
    tracing::info!(
        since = %config.window.since.to_rfc3339(),
        until = %config.window.until.to_rfc3339(),
        shops = config.shops.len(),
        page_size = config.page_size,
        "extracting orders updated in [since, until)"
    );

    let mut files = Vec::with_capacity(config.shops.len());
    let mut orders = 0;
    let mut pages = 0;
    for shop_cipher in &config.shops {
        let done = shop::extract(store, &layout, &client, shop_cipher, config).await?;
        orders += done.file.rows;
        pages += done.pages;
        files.push(done.file);
    }

    let stats = client.stats();
    let mut manifest = Manifest::new(StageName::Extract, run_id, started_at);
    manifest.window = Some(config.window);
    manifest.shops = config.shops.clone();
    manifest.files = files;
    manifest.rows_in = orders;
    manifest.rows_out = orders;
    manifest.counters = BTreeMap::from([
        ("pages".to_owned(), pages),
        ("api_requests".to_owned(), stats.requests),
        ("retries".to_owned(), stats.retries),
        ("token_refreshes".to_owned(), stats.token_refreshes),
    ]);
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

/// Rejects a configuration that cannot work before anything is touched. The
/// CLI checks most of this too; the library checks again because callers
/// may not be the CLI, and shop ciphers become store paths.
fn check(config: &ExtractConfig) -> Result<(), Error> {
    if config.window.since >= config.window.until {
        return Err(Error::config(format!(
            "the window is empty: since ({}) must be before until ({})",
            config.window.since.to_rfc3339(),
            config.window.until.to_rfc3339()
        )));
    }
    if !(1..=100).contains(&config.page_size) {
        return Err(Error::config(format!(
            "the page size is {}; the API takes 1 to 100",
            config.page_size
        )));
    }
    if config.shops.is_empty() {
        return Err(Error::config(
            "no shop cipher given: set --shop-cipher or TIKTOK_SHOP_CIPHER",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for shop in &config.shops {
        if !is_shop_cipher(shop) {
            return Err(Error::config(format!(
                "{shop:?} is not a shop cipher: ciphers are letters, digits, `_` and `-`"
            )));
        }
        if !seen.insert(shop) {
            return Err(Error::config(format!(
                "the shop cipher {shop} is given twice"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::api::Credentials;
    use crate::secret::Secret;

    fn config(shops: &[&str], page_size: u32, hours: i64) -> ExtractConfig {
        let since = DateTime::from_timestamp(1_764_028_800, 0).unwrap();
        ExtractConfig {
            window: Window {
                since,
                until: since + chrono::Duration::hours(hours),
            },
            shops: shops.iter().map(|s| s.to_string()).collect(),
            page_size,
            api: ApiConfig {
                base_url: crate::api::DEFAULT_BASE_URL.into(),
                auth_base_url: crate::api::DEFAULT_AUTH_BASE_URL.into(),
                credentials: Credentials {
                    app_key: "k".into(),
                    app_secret: Secret::new("extract-check-secret"),
                    access_token: Secret::new("extract-check-token"),
                    refresh_token: None,
                },
            },
        }
    }

    #[test]
    fn unusable_configurations_are_refused_before_any_work() {
        assert!(check(&config(&["GCP_a", "ROW_b"], 100, 6)).is_ok());
        let cases = [
            (config(&["GCP_a"], 100, 0), "window is empty"),
            (config(&["GCP_a"], 0, 6), "1 to 100"),
            (config(&["GCP_a"], 101, 6), "1 to 100"),
            (config(&[], 100, 6), "no shop cipher"),
            (config(&["../x"], 100, 6), "not a shop cipher"),
            (config(&["GCP_a", "ROW_b", "GCP_a"], 100, 6), "given twice"),
        ];
        for (config, expected) in cases {
            let err = check(&config).unwrap_err();
            assert!(err.to_string().contains(expected), "{expected}: {err}");
            assert_eq!(err.exit_code(), 2);
        }
    }
}
