//! The state every request shares, built once from the config: the order
//! world and its clock, the tokens, the limits and faults, the counters.
//! It lives in its own file so that the router (which calls the handlers)
//! and the handlers (which read the state) both depend on it and never on
//! each other.

use std::sync::atomic::AtomicU64;

use crate::config::SandboxConfig;
use crate::http::faults::Faults;
use crate::http::latency::Latency;
use crate::http::paging::PageTokens;
use crate::http::quota::HourlyQuota;
use crate::http::rate_limit::RateLimiter;
use crate::http::stats::Stats;
use crate::http::tokens::{TokenPolicy, Tokens};
use crate::world::bursts;
use crate::world::churn::Churn;
use crate::world::data_clock::DataClock;
use crate::world::generator::{EPOCH, Generator};
use crate::world::orders::Orders;
use crate::world::rng::{combine, hash_str};
use crate::world::window_cache::WindowCache;

const DAY: i64 = 86_400;

#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub orders: Orders,
    pub clock: DataClock,
    /// Live updates, in live paging only.
    pub churn: Option<Churn>,
    pub windows: WindowCache,
    pub tokens: Tokens,
    pub faults: Faults,
    pub limiter: RateLimiter,
    pub quota: HourlyQuota,
    pub latency: Latency,
    pub stats: Stats,
    pub page_tokens: PageTokens,
    /// Responses so far: numbers request ids and latency draws.
    pub responses: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Shared {
        let tick = i64::try_from(config.live_tick.as_secs()).unwrap_or(DAY);
        let clock = DataClock::new(config.clock, tick);
        let data_now = clock.now_secs();
        let generator = Generator {
            seed: config.seed,
            orders_per_day: config.orders_per_day,
            corrupt_every: config.corrupt_every,
            opened: (data_now - i64::from(config.history_days) * DAY).max(EPOCH),
        };
        let orders = Orders::new(generator, &config.shops);
        if config.burst_orders > 0 {
            let at = config.burst_at.map_or(data_now - DAY, |t| t.timestamp());
            bursts::install(&orders, at, config.burst_orders);
        }
        let churn = config
            .live_paging
            .then(|| Churn::new(config.seed, config.live_update_every, config.live_updates));
        let now = chrono::Utc::now().timestamp();
        Shared {
            tokens: Tokens::new(
                token_policy(&config),
                &config.access_token,
                &config.refresh_token,
                now,
            ),
            faults: Faults::new(config.fail_first_n, config.fail_every_n),
            limiter: RateLimiter::new(config.rate_limit_per_second, config.rate_limit_burst),
            quota: HourlyQuota::new(config.test_shop_requests_per_hour),
            latency: Latency {
                fixed: config.latency,
                jitter: config.latency_jitter,
                seed: config.seed,
            },
            page_tokens: PageTokens {
                key: combine(config.seed, hash_str(&config.app_secret)),
            },
            orders,
            clock,
            churn,
            windows: WindowCache::default(),
            stats: Stats::default(),
            responses: AtomicU64::new(0),
            config,
        }
    }
}

fn token_policy(config: &SandboxConfig) -> TokenPolicy {
    let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2);
    TokenPolicy {
        seed: config.seed,
        access_lifetime_secs: secs(config.access_token_lifetime),
        refresh_lifetime_secs: secs(config.refresh_token_lifetime),
        expire_after_requests: config.expire_token_after_requests,
        revoke_old: config.revoke_old_token_on_refresh,
        rotate_refresh: config.rotate_refresh_token,
    }
}
