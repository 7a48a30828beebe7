//! Running `tiktok-etl sandbox` in the foreground until Ctrl-C or SIGTERM,
//! printing what to point the ETL at and which unkind behaviours are on.

use std::io::Write;
use std::net::SocketAddr;

use crate::args::flags::SandboxArgs;
use crate::config::SandboxConfig;
use crate::sandbox::Sandbox;
use crate::world::data_clock::Clock;

/// Runs the sandbox until Ctrl-C or SIGTERM. The first stdout line is
/// `sandbox listening on <base url>`; the next ones say what to export.
pub async fn serve_cli(args: SandboxArgs) -> Result<(), ServeError> {
    let addr: SocketAddr = args.listen.parse().map_err(|source| ServeError::Listen {
        listen: args.listen.clone(),
        source,
    })?;
    let sandbox = Sandbox::start(args.config(), addr)
        .await
        .map_err(|source| ServeError::Start { addr, source })?;
    print_banner(&sandbox).map_err(ServeError::Stdout)?;
    wait_for_stop_signal().await;
    tracing::info!("stopping the sandbox");
    sandbox.shutdown().await;
    Ok(())
}

/// Why the sandbox could not be served; none is worth a retry as it is.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("--listen {listen:?} is not an address like 127.0.0.1:8900")]
    Listen {
        listen: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error("cannot start the sandbox on {addr}")]
    Start {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

fn print_banner(sandbox: &Sandbox) -> std::io::Result<()> {
    let config = sandbox.config();
    let url = sandbox.base_url();
    let clock = match config.clock {
        Clock::Wall => "wall clock".to_owned(),
        Clock::Frozen(at) => format!("frozen at {}", at.to_rfc3339()),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "sandbox listening on {url}")?;
    writeln!(
        out,
        "shops: {} ({} orders per shop per day, {clock})",
        config.shops.join(", "),
        config.orders_per_day
    )?;
    for behaviour in unkind_behaviours(config) {
        writeln!(out, "unkind: {behaviour}")?;
    }
    writeln!(out, "to point the ETL at it:")?;
    writeln!(out, "  export TIKTOK_API_BASE_URL={url}")?;
    writeln!(out, "  export TIKTOK_AUTH_BASE_URL={url}")?;
    writeln!(out, "  export TIKTOK_APP_KEY={}", config.app_key)?;
    writeln!(out, "  export TIKTOK_APP_SECRET={}", config.app_secret)?;
    writeln!(out, "  export TIKTOK_ACCESS_TOKEN={}", config.access_token)?;
    writeln!(
        out,
        "  export TIKTOK_REFRESH_TOKEN={}",
        config.refresh_token
    )?;
    writeln!(
        out,
        "  export TIKTOK_SHOP_CIPHER={}",
        config.shops.join(",")
    )?;
    writeln!(out, "press Ctrl-C to stop")?;
    out.flush()
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; stop with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One line per behaviour of the real API that is switched on.
fn unkind_behaviours(config: &SandboxConfig) -> Vec<String> {
    let mut lines = Vec::new();
    if config.live_paging {
        lines.push(format!(
            "live paging: {} order(s) updated every {} search request(s), the clock ticking {} s per request",
            config.live_updates,
            config.live_update_every,
            config.live_tick.as_secs()
        ));
    }
    if config.burst_orders > 0 {
        lines.push(format!(
            "{} orders per shop share one update_time second",
            config.burst_orders
        ));
    }
    if !config.latency.is_zero() || !config.latency_jitter.is_zero() {
        let (fixed, jitter) = (
            config.latency.as_millis(),
            config.latency_jitter.as_millis(),
        );
        lines.push(format!("{fixed} ms latency (+ up to {jitter} ms)"));
    }
    if let Some(rate) = config.rate_limit_per_second.filter(|r| *r > 0) {
        let burst = config.rate_limit_burst.unwrap_or(rate);
        lines.push(format!(
            "rate limit {rate}/s (bursts of {burst}) per app, shop and path"
        ));
    }
    if let Some(quota) = config.test_shop_requests_per_hour {
        lines.push(format!("test-shop quota {quota} requests/hour per shop"));
    }
    if let Some(cap) = config.result_cap {
        lines.push(format!("at most {cap} results served per query"));
    }
    if let Some(n) = config.expire_token_after_requests {
        lines.push(format!("access tokens expire after {n} requests"));
    }
    if config.rotate_refresh_token {
        lines.push("refresh tokens rotate".to_owned());
    }
    lines
}

#[cfg(test)]
use crate::args::flags::default_args;

#[test]
fn the_banner_names_what_is_switched_on() {
    assert!(unkind_behaviours(&SandboxConfig::default()).is_empty());
    let config = SandboxConfig {
        live_paging: true,
        rate_limit_per_second: Some(5),
        ..SandboxConfig::default()
    };
    let lines = unkind_behaviours(&config);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains("5/s (bursts of 5)"), "{lines:?}");
}

#[tokio::test]
async fn a_bad_listen_address_names_the_flag() {
    let args = SandboxArgs {
        listen: "localhost".into(),
        ..default_args()
    };
    let error = serve_cli(args).await.unwrap_err();
    assert!(matches!(error, ServeError::Listen { .. }), "{error:?}");
    assert!(error.to_string().contains("--listen"), "{error}");
}
