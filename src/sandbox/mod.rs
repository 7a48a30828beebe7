//! A local simulator of the TikTok Shop Open API, for tests, demos and
//! development without a seller account.
//!
//! It behaves like the real API where a client can tell (reference
//! `tiktok-shop-orders-api.md`): signed requests verified over the raw body,
//! the timestamp window, access tokens that expire and refresh, shop
//! ciphers, opaque page tokens full of `+` and `/`, the error codes and HTTP
//! statuses, and realistic orders (one line item per unit, money strings
//! that add up, statuses that move with the clock). Faults a production
//! client must survive (rate limits, 503s, expiring tokens, malformed
//! amounts) can be switched on one by one.
//!
//! Orders are a deterministic function of (seed, shop, config) and the
//! sandbox clock: with [`Clock::Frozen`] every response is reproducible.
//! Request timestamps and token lifetimes always follow the real clock,
//! because real clients stamp requests with it.

mod address;
pub mod args;
mod auth;
mod catalog;
mod endpoints;
mod faults;
mod generator;
mod lifecycle;
mod line_items;
mod market_data;
mod markets;
mod money;
mod paging;
mod render;
mod response;
mod rng;
mod search;
mod server;
mod stats;
mod tokens;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::serve::ListenerExt;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use args::{SandboxArgs, serve_cli};
pub use stats::SandboxStats;

use generator::MAX_SHOPS;
use search::{Filter, Query};
use server::Shared;

/// What "now" is for the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The real time: orders keep arriving and moving on.
    #[default]
    Wall,
    /// A fixed instant: every response is reproducible.
    Frozen(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::Wall => Utc::now(),
            Clock::Frozen(at) => *at,
        }
    }
}

/// How the sandbox behaves. Faults are all off by default.
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
    /// A refresh makes the previous access token invalid at once.
    pub revoke_old_token_on_refresh: bool,
    /// A refresh also issues a new refresh token (the old one stops working).
    pub rotate_refresh_token: bool,
    /// Every Nth order gets a `total_amount` that is not a number ("12,50").
    pub corrupt_every: Option<u32>,
    /// Requests per second per (app_key, shop_cipher, path); over it: 429.
    pub rate_limit_per_second: Option<u32>,
    /// Every Nth API request fails with HTTP 503.
    pub fail_every_n: Option<u32>,
    /// The first N API requests fail with HTTP 503.
    pub fail_first_n: u32,
    /// An access token expires (105002) after this many requests.
    pub expire_token_after_requests: Option<u32>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            app_key: "sandbox-app-key".into(),
            app_secret: "sandbox-app-secret".into(),
            access_token: "sandbox-access-token".into(),
            refresh_token: "sandbox-refresh-token".into(),
            shops: vec!["GCP_SANDBOX_SHOP_0001".into(), "ROW_SANDBOX_SHOP_0002".into()],
            seed: 20_230_901,
            orders_per_day: 400,
            history_days: 90,
            clock: Clock::Wall,
            access_token_lifetime: Duration::from_secs(7 * 86_400),
            revoke_old_token_on_refresh: true,
            rotate_refresh_token: false,
            corrupt_every: None,
            rate_limit_per_second: None,
            fail_every_n: None,
            fail_first_n: 0,
            expire_token_after_requests: None,
        }
    }
}

/// What the generator holds for a shop and an `update_time` window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    pub orders: u64,
    pub line_items: u64,
    /// Orders whose `total_amount` is malformed on purpose.
    pub corrupt_orders: u64,
}

/// A running sandbox; dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `addr` (port 0 picks a free port) and serves in the background.
    pub async fn start(config: SandboxConfig, addr: SocketAddr) -> std::io::Result<Sandbox> {
        validate(&config)?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        // Without TCP_NODELAY every response waits ~40 ms on delayed ACKs.
        let listener = listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        let host = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let shared = Arc::new(Shared::new(config));
        let app = server::router(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::error!(%error, "the sandbox server failed");
            }
        });
        let base_url = format!("http://{}", SocketAddr::new(host, local.port()));
        Ok(Sandbox { base_url, addr: local, shared, stop: Some(stop), task: Some(task) })
    }

    /// E.g. `http://127.0.0.1:41234` (no trailing slash): the base URL of
    /// both the shop API and the token API.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    pub fn stats(&self) -> SandboxStats {
        self.shared.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// The sandbox clock's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.lock().unwrap_or_else(PoisonError::into_inner).now()
    }

    /// Moves the data clock (e.g. a frozen clock forward, to let orders progress).
    pub fn set_clock(&self, clock: Clock) {
        *self.shared.clock.lock().unwrap_or_else(PoisonError::into_inner) = clock;
    }

    /// The access token that works now (changes when a client refreshes).
    pub fn access_token(&self) -> String {
        self.shared.tokens.current().access_token
    }

    /// The refresh token that works now.
    pub fn refresh_token(&self) -> String {
        self.shared.tokens.current().refresh_token
    }

    /// Makes the current access token expired: the next call gets 105002.
    pub fn expire_access_token(&self) {
        self.shared.tokens.expire_now();
    }

    /// What a search of `shop` for `update_time` in `[since, until)` returns
    /// at the sandbox clock's "now" (zero for an unknown shop).
    pub fn expected(&self, shop: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> Expected {
        let Some(shop) = self.shared.shop(shop) else { return Expected::default() };
        let filter =
            Filter { update_ge: Some(since.timestamp()), update_lt: Some(until.timestamp()), ..Filter::default() };
        let query = Query { shop: shop.index, filter, by_update_time: true, descending: false };
        let entries = query.window(&self.shared.generator, shop, self.shared.data_now());
        Expected {
            orders: entries.len() as u64,
            line_items: entries.iter().map(|e| u64::from(e.lines)).sum(),
            corrupt_orders: entries.iter().filter(|e| e.corrupt).count() as u64,
        }
    }

    /// Line items of the orders of `shop` updated in `[since, until)`.
    pub fn expected_line_items(&self, shop: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
        self.expected(shop, since, until).line_items
    }

    /// Stops accepting connections and waits (up to 5 s) for open requests.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn validate(config: &SandboxConfig) -> std::io::Result<()> {
    let invalid = |message: String| Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, message));
    if config.shops.len() > MAX_SHOPS {
        return invalid(format!("the sandbox serves at most {MAX_SHOPS} shops, not {}", config.shops.len()));
    }
    if let Some((i, _)) = config.shops.iter().enumerate().find(|(i, s)| config.shops[..*i].contains(s)) {
        return invalid(format!("shop {:?} is listed twice", config.shops[i]));
    }
    if config.app_key.is_empty() || config.app_secret.is_empty() || config.access_token.is_empty() {
        return invalid("app_key, app_secret and access_token must not be empty".into());
    }
    Ok(())
}
