//! `tiktok-etl sandbox`: the flags, and running the sandbox in the
//! foreground until Ctrl-C or SIGTERM, printing what to point the ETL at.

use std::io::Write;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use clap::Args;
use tiktok_shop_api::window::parse_time;

use crate::Sandbox;
use crate::config::{Clock, SandboxConfig};

/// Flags of the local TikTok Shop API simulator. The credentials are not
/// secrets: they only open this sandbox.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback by default; port 0 picks a free one).
    #[arg(long, env = "ETL_SANDBOX_LISTEN", default_value = "127.0.0.1:8900")]
    pub listen: String,

    /// The app key clients must send.
    #[arg(long, env = "ETL_SANDBOX_APP_KEY", default_value = "sandbox-app-key")]
    pub app_key: String,

    /// The app secret requests must be signed with.
    #[arg(
        long,
        env = "ETL_SANDBOX_APP_SECRET",
        default_value = "sandbox-app-secret",
        hide_env_values = true
    )]
    pub app_secret: String,

    /// The access token accepted at start (`x-tts-access-token`).
    #[arg(
        long,
        env = "ETL_SANDBOX_ACCESS_TOKEN",
        default_value = "sandbox-access-token",
        hide_env_values = true
    )]
    pub access_token: String,

    /// The refresh token accepted by /api/v2/token/refresh.
    #[arg(
        long,
        env = "ETL_SANDBOX_REFRESH_TOKEN",
        default_value = "sandbox-refresh-token",
        hide_env_values = true
    )]
    pub refresh_token: String,

    /// Shop ciphers of the authorized shops, comma-separated (at most 64).
    #[arg(
        long,
        env = "ETL_SANDBOX_SHOPS",
        value_delimiter = ',',
        default_value = "GCP_SANDBOX_SHOP_0001,ROW_SANDBOX_SHOP_0002"
    )]
    pub shops: Vec<String>,

    /// Seed of the generated orders: the same seed, shops and clock serve
    /// the same orders.
    #[arg(long, env = "ETL_SANDBOX_SEED", default_value_t = SandboxConfig::default().seed)]
    pub seed: u64,

    /// Orders created per shop per day.
    #[arg(long, env = "ETL_SANDBOX_ORDERS_PER_DAY", default_value_t = SandboxConfig::default().orders_per_day)]
    pub orders_per_day: u32,

    /// Days of order history before "now".
    #[arg(long, env = "ETL_SANDBOX_HISTORY_DAYS", default_value_t = SandboxConfig::default().history_days)]
    pub history_days: u32,

    /// Freeze the data clock at this RFC 3339 time, e.g.
    /// `2026-11-25T06:00:00Z`, for reproducible data (default: the wall
    /// clock, so orders keep arriving and progressing).
    #[arg(long, env = "ETL_SANDBOX_FROZEN_NOW", value_parser = parse_time)]
    pub frozen_now: Option<DateTime<Utc>>,

    /// Rate limit per (app key, shop, path), requests per second; over it the
    /// sandbox answers HTTP 429 with code 36009002 and `Retry-After: 1`.
    #[arg(long, env = "ETL_SANDBOX_RATE_LIMIT_PER_SECOND")]
    pub rate_limit_per_second: Option<u32>,

    /// Fail every Nth API request with HTTP 503 (transient).
    #[arg(long, env = "ETL_SANDBOX_FAIL_EVERY")]
    pub fail_every: Option<u32>,

    /// Fail the first N API requests with HTTP 503.
    #[arg(long, env = "ETL_SANDBOX_FAIL_FIRST", default_value_t = 0)]
    pub fail_first: u32,

    /// Expire each access token (105002) after this many requests, so the
    /// client must refresh it.
    #[arg(long, env = "ETL_SANDBOX_EXPIRE_TOKEN_AFTER")]
    pub expire_token_after: Option<u32>,

    /// Make every Nth order's `total_amount` malformed (e.g. "12,50"), to
    /// exercise the transform's rejects.
    #[arg(long, env = "ETL_SANDBOX_CORRUPT_EVERY")]
    pub corrupt_every: Option<u32>,
}

impl SandboxArgs {
    pub fn config(&self) -> SandboxConfig {
        SandboxConfig {
            app_key: self.app_key.clone(),
            app_secret: self.app_secret.clone(),
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            shops: self
                .shops
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            seed: self.seed,
            orders_per_day: self.orders_per_day,
            history_days: self.history_days,
            clock: self.frozen_now.map_or(Clock::Wall, Clock::Frozen),
            corrupt_every: self.corrupt_every,
            rate_limit_per_second: self.rate_limit_per_second,
            fail_every_n: self.fail_every,
            fail_first_n: self.fail_first,
            expire_token_after_requests: self.expire_token_after,
            ..SandboxConfig::default()
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    #[test]
    fn defaults_match_the_config_and_flags_parse() {
        let probe = Probe::try_parse_from(["probe"]).unwrap();
        let config = probe.sandbox.config();
        let default = SandboxConfig::default();
        assert_eq!(
            (config.app_key, config.shops, config.clock),
            (default.app_key, default.shops, Clock::Wall)
        );
        let args = [
            "probe",
            "--shops",
            "ROW_A, ROW_B",
            "--frozen-now",
            "2026-11-25T06:00:00Z",
            "--fail-every",
            "3",
        ];
        let config = Probe::try_parse_from(args).unwrap().sandbox.config();
        assert_eq!(config.shops, ["ROW_A", "ROW_B"]);
        assert_eq!(config.fail_every_n, Some(3));
        assert!(matches!(config.clock, Clock::Frozen(t) if t.timestamp() == 1_795_586_400));
        assert!(Probe::try_parse_from(["probe", "--frozen-now", "tomorrow"]).is_err());
    }

    #[tokio::test]
    async fn a_bad_listen_address_names_the_flag() {
        let args = SandboxArgs {
            listen: "localhost".into(),
            ..Probe::try_parse_from(["probe"]).unwrap().sandbox
        };
        let error = serve_cli(args).await.unwrap_err();
        assert!(matches!(error, ServeError::Listen { .. }), "{error:?}");
        assert!(error.to_string().contains("--listen"), "{error}");
    }
}
