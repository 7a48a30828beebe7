//! How a sandbox behaves: credentials, shops, data volume, the clock, token
//! rules and the faults to inject (all off by default).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::generator::MAX_SHOPS;

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
            shops: vec![
                "GCP_SANDBOX_SHOP_0001".into(),
                "ROW_SANDBOX_SHOP_0002".into(),
            ],
            seed: 20_230_901,
            orders_per_day: 300,
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

impl SandboxConfig {
    /// Rejects what the sandbox cannot serve.
    pub(crate) fn validate(&self) -> std::io::Result<()> {
        let config = self;
        let invalid = |message: String| {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                message,
            ))
        };
        if config.shops.len() > MAX_SHOPS {
            return invalid(format!(
                "the sandbox serves at most {MAX_SHOPS} shops, not {}",
                config.shops.len()
            ));
        }
        if let Some((i, _)) = config
            .shops
            .iter()
            .enumerate()
            .find(|(i, s)| config.shops[..*i].contains(s))
        {
            return invalid(format!("shop {:?} is listed twice", config.shops[i]));
        }
        if config.app_key.is_empty()
            || config.app_secret.is_empty()
            || config.access_token.is_empty()
        {
            return invalid("app_key, app_secret and access_token must not be empty".into());
        }
        Ok(())
    }
}
