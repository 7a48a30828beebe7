//! Flags that make the sandbox as unkind as the real API, each off by
//! default: live paging with orders updated between pages, same-second
//! bursts, added latency and a cap on results per query.

use chrono::{DateTime, Utc};
use clap::Args;
use tiktok_shop_api::window::parse_time;

use crate::config::SandboxConfig;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Behave like the live API")]
pub struct RealismArgs {
    /// Page tokens are positions in the live result, as in the real API,
    /// not snapshots: orders updated between two pages shift the later
    /// pages, so a client that only follows next_page_token can miss
    /// orders. Each search request then moves a frozen clock by
    /// --live-tick-secs and, every --live-update-every requests, updates
    /// --live-updates orders of the query's result to that "now".
    #[arg(long, env = "ETL_SANDBOX_LIVE_PAGING")]
    pub live_paging: bool,

    /// With --live-paging: update orders on every Nth search request.
    #[arg(long, env = "ETL_SANDBOX_LIVE_UPDATE_EVERY", default_value_t = SandboxConfig::default().live_update_every)]
    pub live_update_every: u32,

    /// With --live-paging: orders updated each time (a new update_time,
    /// half of them with their next status); 0 updates none.
    #[arg(long, env = "ETL_SANDBOX_LIVE_UPDATES", default_value_t = SandboxConfig::default().live_updates)]
    pub live_updates: u32,

    /// With --live-paging: seconds a frozen clock moves per search request
    /// (the wall clock moves on its own).
    #[arg(long, env = "ETL_SANDBOX_LIVE_TICK_SECS", default_value_t = 1)]
    pub live_tick_secs: u64,

    /// Orders of each shop sharing one update_time second (e.g. 250), so a
    /// page can lie entirely within one second; 0 for none.
    #[arg(long, env = "ETL_SANDBOX_BURST_ORDERS", default_value_t = 0)]
    pub burst_orders: u32,

    /// The second of the burst, RFC 3339 (default: a day before the
    /// clock's "now" at start).
    #[arg(long, env = "ETL_SANDBOX_BURST_AT", value_parser = parse_time)]
    pub burst_at: Option<DateTime<Utc>>,

    /// Milliseconds added to every response (e.g. 300).
    #[arg(long, env = "ETL_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Up to this many more milliseconds per response, drawn from the seed.
    #[arg(long, env = "ETL_SANDBOX_LATENCY_JITTER_MS", default_value_t = 0)]
    pub latency_jitter_ms: u64,

    /// Serve at most this many results of a query (e.g. 5000, as reported
    /// of the real API): later pages are not served and next_page_token is
    /// empty, while total_count still counts every match.
    #[arg(long, env = "ETL_SANDBOX_RESULT_CAP")]
    pub result_cap: Option<u32>,
}

impl RealismArgs {
    pub(crate) fn apply(&self, config: SandboxConfig) -> SandboxConfig {
        let ms = std::time::Duration::from_millis;
        SandboxConfig {
            live_paging: self.live_paging,
            live_update_every: self.live_update_every,
            live_updates: self.live_updates,
            live_tick: std::time::Duration::from_secs(self.live_tick_secs),
            burst_orders: self.burst_orders,
            burst_at: self.burst_at,
            latency: ms(self.latency_ms),
            latency_jitter: ms(self.latency_jitter_ms),
            result_cap: self.result_cap,
            ..config
        }
    }
}

/// The group as parsed from `args` (after the program name), applied to
/// the default config.
#[cfg(test)]
fn config_from(args: &[&str]) -> SandboxConfig {
    use clap::Parser;
    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        group: RealismArgs,
    }
    let line = std::iter::once("probe").chain(args.iter().copied());
    Probe::parse_from(line)
        .group
        .apply(SandboxConfig::default())
}

#[test]
fn realism_flags_reach_the_config() {
    let line = [
        "--live-paging",
        "--live-update-every",
        "3",
        "--live-updates",
        "2",
        "--burst-orders",
        "250",
        "--burst-at",
        "2026-11-24T00:00:00Z",
        "--latency-ms",
        "300",
        "--result-cap",
        "5000",
    ];
    let config = config_from(&line);
    assert!(config.live_paging);
    assert_eq!((config.live_update_every, config.live_updates), (3, 2));
    assert_eq!(config.burst_orders, 250);
    assert_eq!(config.burst_at.map(|t| t.timestamp()), Some(1_795_478_400));
    assert_eq!(config.latency.as_millis(), 300);
    assert_eq!(config.result_cap, Some(5000));
}
