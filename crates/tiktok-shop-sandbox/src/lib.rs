//! A local simulator of the TikTok Shop Open API, for tests, demos and
//! development without a seller account.
//!
//! It behaves like the real API where a client can tell (reference
//! `docs/tiktok-shop-api.md`): signed requests verified over the raw body,
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

pub mod args;
mod auth;
mod basket;
mod buyer;
mod catalog;
mod config;
mod endpoints;
mod faults;
mod generator;
mod json;
mod lifecycle;
mod line_items;
mod markets;
mod markets_east;
mod markets_west;
mod money;
mod paging;
mod render;
mod response;
mod rng;
mod search;
mod server;
mod stats;
mod status;
mod tokens;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::serve::ListenerExt;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use args::{SandboxArgs, serve_cli};
pub use config::{Clock, SandboxConfig};
pub use stats::SandboxStats;

use search::{Filter, Query};
use server::Shared;

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
        config.validate()?;
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
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "the sandbox server failed");
            }
        });
        let base_url = format!("http://{}", SocketAddr::new(host, local.port()));
        Ok(Sandbox {
            base_url,
            addr: local,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
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

    /// The sandbox clock's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.shared
            .clock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .now()
    }

    /// Moves the data clock (e.g. a frozen clock forward, to let orders progress).
    pub fn set_clock(&self, clock: Clock) {
        *self
            .shared
            .clock
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = clock;
    }

    /// The access token that works now (changes when a client refreshes).
    pub fn access_token(&self) -> String {
        self.shared.tokens.current().access_token
    }

    /// The refresh token that works now.
    pub fn refresh_token(&self) -> String {
        self.shared.tokens.current().refresh_token
    }

    /// What a search of `shop` for `update_time` in `[since, until)` returns
    /// at the sandbox clock's "now" (zero for an unknown shop).
    pub fn expected(&self, shop: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> Expected {
        let Some(shop) = self.shared.shop(shop) else {
            return Expected::default();
        };
        let filter = Filter {
            update_ge: Some(since.timestamp()),
            update_lt: Some(until.timestamp()),
            ..Filter::default()
        };
        let query = Query {
            shop: shop.index,
            filter,
            by_update_time: true,
            descending: false,
        };
        let entries = query.window(&self.shared.generator, shop, self.shared.data_now());
        Expected {
            orders: entries.len() as u64,
            line_items: entries.iter().map(|e| u64::from(e.lines)).sum(),
            corrupt_orders: entries.iter().filter(|e| e.corrupt).count() as u64,
        }
    }

    /// Line items of the orders of `shop` updated in `[since, until)`.
    pub fn expected_line_items(
        &self,
        shop: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> u64 {
        self.expected(shop, since, until).line_items
    }

    /// Stops accepting connections and waits (up to 5 s) for open requests.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
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
