//! The sandbox handle: starting the server on a port, what a test or demo
//! asks of a running sandbox (its address, config, counters, clock and
//! tokens), and stopping it. What the sandbox holds, for comparing a run
//! against, is in `oracle`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::http::router::router;
use crate::http::shared::Shared;
use crate::http::stats::SandboxStats;
use crate::http::tokens::IssuedTokens;
use crate::world::data_clock::Clock;

/// A running sandbox; dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `addr` (port 0 picks a free port) and serves in the background.
    pub async fn start(config: SandboxConfig, addr: SocketAddr) -> std::io::Result<Sandbox> {
        config
            .validate()
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
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
        let app = router(Arc::clone(&shared));
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

    /// Distinct orders and line items served in a version updated within
    /// `[since, until)` (unix seconds).
    pub fn served_within(&self, since: i64, until: i64) -> (u64, u64) {
        self.shared.stats.served_within(since, until)
    }

    /// The sandbox clock's "now" (in live paging, a frozen clock has moved
    /// one tick per search request since it was last set).
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// Sets the data clock (e.g. a frozen clock forward, to let orders
    /// progress); right after, [`Sandbox::now`] is exactly this clock's now.
    pub fn set_clock(&self, clock: Clock) {
        self.shared.clock.set(clock);
    }

    /// The access token that works now (changes when a client refreshes).
    pub fn access_token(&self) -> String {
        self.shared.tokens.current().access_token
    }

    /// The refresh token that works now (changes when a refresh rotates it).
    pub fn refresh_token(&self) -> String {
        self.shared.tokens.current().refresh_token
    }

    /// The tokens that work now, with their expiry as absolute unix times
    /// (`access_token_expire_in`, `refresh_token_expire_in`).
    pub fn tokens(&self) -> IssuedTokens {
        self.shared.tokens.current()
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
