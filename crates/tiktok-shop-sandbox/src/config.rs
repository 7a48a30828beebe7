//! How a sandbox behaves: credentials, shops, data volume, the clock, token
//! rules, and the unkind behaviours of the real API (live paging, bursts,
//! latency, limits) and injected faults, all off by default. The default
//! sandbox is the kind one every existing test and demo relies on.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::world::data_clock::Clock;
use crate::world::plan::MAX_SHOPS;

/// How the sandbox behaves. Unkind behaviours and faults are all off by default.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub app_key: String,
    pub app_secret: String,
    pub access_token: String,
    pub refresh_token: String,
    /// The shop ciphers the token may read (at most 64).
    pub shops: Vec<String>,
    /// Seeds every generated value.
    pub seed: u64,
    /// Orders created per shop per day.
    pub orders_per_day: u32,
    /// Days of order history before the clock's "now" at start.
    pub history_days: u32,
    pub clock: Clock,
    /// Lifetime of an issued access token (the API's is 7 days).
    pub access_token_lifetime: Duration,
    /// Lifetime of a refresh token from its issue (the API's is the
    /// authorization's, about 358 days); past it a refresh answers 36004001.
    pub refresh_token_lifetime: Duration,
    /// A refresh makes the previous access token invalid at once.
    pub revoke_old_token_on_refresh: bool,
    /// A refresh also issues a new refresh token; the old one is then
    /// refused with 36004005.
    pub rotate_refresh_token: bool,
    /// Every Nth order gets a `total_amount` that is not a number ("12,50").
    pub corrupt_every: Option<u32>,
    /// Token bucket per (app_key, shop_cipher, path): requests per second;
    /// over it, HTTP 429 with 36009002 and `Retry-After`.
    pub rate_limit_per_second: Option<u32>,
    /// Requests the bucket lets through at once (None: one second's worth).
    pub rate_limit_burst: Option<u32>,
    /// The test-shop quota: requests per hour per (app_key, shop_cipher);
    /// over it, HTTP 429 with 36009037 and `Retry-After` (reference §11).
    pub test_shop_requests_per_hour: Option<u32>,
    /// Every Nth API request fails with HTTP 503.
    pub fail_every_n: Option<u32>,
    /// The first N API requests fail with HTTP 503.
    pub fail_first_n: u32,
    /// An access token expires (105002) after this many requests.
    pub expire_token_after_requests: Option<u32>,
    /// Added to every response.
    pub latency: Duration,
    /// Up to this much more, drawn per response from the seed.
    pub latency_jitter: Duration,
    /// Page tokens are positions in the live result, not snapshots: orders
    /// updated between pages shift the pages, as in the real API. A frozen
    /// clock then ticks `live_tick` per search request.
    pub live_paging: bool,
    /// In live paging, orders are updated on every Nth search request.
    pub live_update_every: u32,
    /// In live paging, orders updated each time (0: the data only moves
    /// with the clock).
    pub live_updates: u32,
    /// In live paging, how far each search request moves a frozen clock
    /// (at least a second).
    pub live_tick: Duration,
    /// Orders per shop that share one `update_time` second (0: none).
    pub burst_orders: u32,
    /// The second of the burst (None: a day before the clock's "now" at start).
    pub burst_at: Option<DateTime<Utc>>,
    /// At most this many results of a query are served; later pages are
    /// not (`next_page_token` empty), `total_count` still counts them all.
    pub result_cap: Option<u32>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            app_key: "sandbox-app-key".into(),
            app_secret: "sandbox-app-secret".into(),
            access_token: "sandbox-access-token".into(),
            refresh_token: "sandbox-refresh-token".into(),
            shops: vec![
                "GCP_SANDBOX_SHOP_0001".into(),
                "ROW_SANDBOX_SHOP_0002".into(),
            ],
            seed: 20_230_901,
            orders_per_day: 300,
            history_days: 90,
            clock: Clock::Wall,
            access_token_lifetime: Duration::from_secs(7 * 86_400),
            refresh_token_lifetime: Duration::from_secs(358 * 86_400),
            revoke_old_token_on_refresh: true,
            rotate_refresh_token: false,
            corrupt_every: None,
            rate_limit_per_second: None,
            rate_limit_burst: None,
            test_shop_requests_per_hour: None,
            fail_every_n: None,
            fail_first_n: 0,
            expire_token_after_requests: None,
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            live_paging: false,
            live_update_every: 1,
            live_updates: 1,
            live_tick: Duration::from_secs(1),
            burst_orders: 0,
            burst_at: None,
            result_cap: None,
        }
    }
}

/// A configuration the sandbox cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the sandbox serves at most {MAX_SHOPS} shops, not {0}")]
    TooManyShops(usize),
    #[error("shop {0:?} is listed twice")]
    DuplicateShop(String),
    #[error("app_key, app_secret and access_token must not be empty")]
    EmptyCredentials,
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    #[error("live_tick must be whole seconds, at least one")]
    LiveTick,
}

impl SandboxConfig {
    /// Rejects what the sandbox cannot serve.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.shops.len() > MAX_SHOPS {
            return Err(ConfigError::TooManyShops(self.shops.len()));
        }
        if let Some((i, _)) = self
            .shops
            .iter()
            .enumerate()
            .find(|(i, s)| self.shops[..*i].contains(s))
        {
            return Err(ConfigError::DuplicateShop(self.shops[i].clone()));
        }
        if self.app_key.is_empty() || self.app_secret.is_empty() || self.access_token.is_empty() {
            return Err(ConfigError::EmptyCredentials);
        }
        // A zero rate limit has always meant "no limit"; the newer knobs
        // have no such meaning for zero.
        let zero = [
            ("rate_limit_burst", self.rate_limit_burst),
            ("result_cap", self.result_cap),
            ("live_update_every", Some(self.live_update_every)),
        ];
        if let Some((name, _)) = zero.into_iter().find(|(_, v)| *v == Some(0)) {
            return Err(ConfigError::Zero(name));
        }
        if self.live_tick.as_secs() == 0 || self.live_tick.subsec_nanos() != 0 {
            return Err(ConfigError::LiveTick);
        }
        Ok(())
    }
}

#[test]
fn the_default_is_valid_and_mistakes_are_named() {
    assert!(SandboxConfig::default().validate().is_ok());
    let twice = SandboxConfig {
        shops: vec!["ROW_A".into(), "ROW_A".into()],
        ..SandboxConfig::default()
    };
    assert!(matches!(twice.validate(), Err(ConfigError::DuplicateShop(s)) if s == "ROW_A"));
    let zero = SandboxConfig {
        result_cap: Some(0),
        ..SandboxConfig::default()
    };
    assert_eq!(
        zero.validate().map_err(|e| e.to_string()),
        Err("result_cap must be at least 1".into())
    );
    let tick = SandboxConfig {
        live_tick: Duration::from_millis(1500),
        ..SandboxConfig::default()
    };
    assert!(matches!(tick.validate(), Err(ConfigError::LiveTick)));
}
