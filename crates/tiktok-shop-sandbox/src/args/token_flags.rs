//! Flags of tokens and limits beyond the basic ones: token lifetimes,
//! refresh-token rotation, the rate limit's burst and the hourly quota of
//! test shops.

use std::time::Duration;

use clap::Args;

use crate::config::SandboxConfig;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Tokens and limits")]
pub struct TokenArgs {
    /// Seconds an access token lives after it is issued (the API's: 7 days).
    #[arg(long, env = "ETL_SANDBOX_ACCESS_TOKEN_LIFETIME_SECS", default_value_t = SandboxConfig::default().access_token_lifetime.as_secs())]
    pub access_token_lifetime_secs: u64,

    /// Seconds a refresh token lives after it is issued; past it a refresh
    /// answers 36004001 "rt has expired".
    #[arg(long, env = "ETL_SANDBOX_REFRESH_TOKEN_LIFETIME_SECS", default_value_t = SandboxConfig::default().refresh_token_lifetime.as_secs())]
    pub refresh_token_lifetime_secs: u64,

    /// Each refresh also issues a new refresh token; the old one is then
    /// refused with 36004005 "can not find related auth record".
    #[arg(long, env = "ETL_SANDBOX_ROTATE_REFRESH_TOKEN")]
    pub rotate_refresh_token: bool,

    /// The access token a refresh replaces keeps working (by default it
    /// stops at once).
    #[arg(long, env = "ETL_SANDBOX_KEEP_OLD_ACCESS_TOKEN")]
    pub keep_old_access_token: bool,

    /// Requests the rate limit's bucket lets through at once (default: one
    /// second's worth, --rate-limit-per-second).
    #[arg(long, env = "ETL_SANDBOX_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,

    /// The test-shop quota: requests per hour per (app key, shop); over it
    /// HTTP 429 with code 36009037 (the real one is about 1000).
    #[arg(long, env = "ETL_SANDBOX_TEST_SHOP_QUOTA_PER_HOUR")]
    pub test_shop_quota_per_hour: Option<u32>,
}

impl TokenArgs {
    pub(crate) fn apply(&self, config: SandboxConfig) -> SandboxConfig {
        SandboxConfig {
            access_token_lifetime: Duration::from_secs(self.access_token_lifetime_secs),
            refresh_token_lifetime: Duration::from_secs(self.refresh_token_lifetime_secs),
            rotate_refresh_token: self.rotate_refresh_token,
            revoke_old_token_on_refresh: !self.keep_old_access_token,
            rate_limit_burst: self.rate_limit_burst,
            test_shop_requests_per_hour: self.test_shop_quota_per_hour,
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
        group: TokenArgs,
    }
    let line = std::iter::once("probe").chain(args.iter().copied());
    Probe::parse_from(line)
        .group
        .apply(SandboxConfig::default())
}

#[test]
fn token_and_limit_flags_reach_the_config() {
    let line = [
        "--rotate-refresh-token",
        "--keep-old-access-token",
        "--refresh-token-lifetime-secs",
        "60",
        "--rate-limit-burst",
        "2",
        "--test-shop-quota-per-hour",
        "1000",
    ];
    let config = config_from(&line);
    assert!(config.rotate_refresh_token && !config.revoke_old_token_on_refresh);
    assert_eq!(config.refresh_token_lifetime, Duration::from_secs(60));
    assert_eq!(config.rate_limit_burst, Some(2));
    assert_eq!(config.test_shop_requests_per_hour, Some(1000));
}
