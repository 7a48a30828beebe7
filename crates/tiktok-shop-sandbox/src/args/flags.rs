//! The flags of `tiktok-etl sandbox` (each backed by an `ETL_SANDBOX_*`
//! variable; the doc comments are the `--help` text) and the config they
//! make. The flags of the real API's unkind habits and of tokens and limits
//! are groups of their own, flattened in.

use chrono::{DateTime, Utc};
use clap::Args;
use tiktok_shop_api::window::parse_time;

use crate::args::realism_flags::RealismArgs;
use crate::args::token_flags::TokenArgs;
use crate::config::SandboxConfig;
use crate::world::data_clock::Clock;

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

    /// Rate limit per (app key, shop, path), requests per second: a token
    /// bucket (see --rate-limit-burst); over it the sandbox answers HTTP 429
    /// with code 36009002 and `Retry-After`.
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

    #[command(flatten)]
    pub realism: RealismArgs,

    #[command(flatten)]
    pub tokens: TokenArgs,
}

impl SandboxArgs {
    pub fn config(&self) -> SandboxConfig {
        let config = SandboxConfig {
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
        };
        self.tokens.apply(self.realism.apply(config))
    }
}

/// The flags as parsed from an empty command line.
#[cfg(test)]
pub(crate) fn default_args() -> SandboxArgs {
    parse(&[]).expect("no flag is required")
}

/// The flags as parsed from `args` (after the program name).
#[cfg(test)]
pub(crate) fn parse(args: &[&str]) -> Result<SandboxArgs, clap::Error> {
    use clap::Parser;
    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }
    let line = std::iter::once("probe").chain(args.iter().copied());
    Probe::try_parse_from(line).map(|p| p.sandbox)
}

#[test]
fn defaults_match_the_config_and_flags_parse() {
    let config = default_args().config();
    let default = SandboxConfig::default();
    assert_eq!(
        format!("{config:?}"),
        format!("{default:?}"),
        "no flag changes the default"
    );
    let args = [
        "--shops",
        "ROW_A, ROW_B",
        "--frozen-now",
        "2026-11-25T06:00:00Z",
        "--fail-every",
        "3",
    ];
    let config = parse(&args).unwrap().config();
    assert_eq!(config.shops, ["ROW_A", "ROW_B"]);
    assert_eq!(config.fail_every_n, Some(3));
    assert!(matches!(config.clock, Clock::Frozen(t) if t.timestamp() == 1_795_586_400));
    assert!(parse(&["--frozen-now", "tomorrow"]).is_err());
}
