//! [`ApiClient`]: the calls the ETL makes, for one app and one seller's
//! tokens.
//!
//! Each call goes through the retry machinery of `fetch.rs` (transient
//! failures retried with backoff, throttles paced by a [`Pacer`], expired
//! tokens refreshed once, stale timestamps re-stamped once) and the token
//! handling of `refresh.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;

use crate::backoff::Backoff;
use crate::credentials::ApiConfig;
use crate::envelope::{self, AuthorizedShop, OrdersPage};
use crate::error::ApiError;
use crate::pace::Pacer;
use crate::request::{
    Call, SEARCH_PATH, SHOPS_PATH, Target, checked_base_url, search_body, token_header,
};
use crate::secret::Secret;
use crate::tokens::{TokenKeeper, TokenStore};
use crate::window::Window;

pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT: &str = concat!("tiktok-shop-etl/", env!("CARGO_PKG_VERSION"));

/// A TikTok Shop Open API client for one app and one seller's tokens.
pub struct ApiClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) auth_base_url: String,
    pub(crate) app_key: String,
    pub(crate) app_secret: Secret,
    pub(crate) tokens: TokenKeeper,
    pub(crate) store: Option<Arc<dyn TokenStore>>,
    pub(crate) pacer: Option<Arc<Pacer>>,
    pub(crate) backoff: Backoff,
    pub(crate) counters: Counters,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub network_errors: AtomicU64,
    pub restamps: AtomicU64,
    pub token_refreshes: AtomicU64,
}

/// What a client has done so far (for the extract manifest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiStats {
    /// HTTP requests sent, retries and token refreshes included.
    pub requests: u64,
    /// Attempts repeated, for any cause (the sum of the four below).
    pub retries: u64,
    /// Answers that said the rate was too high (HTTP 429).
    pub throttled: u64,
    /// HTTP 5xx and the API's internal errors, retried.
    pub server_errors: u64,
    /// Connections that failed or timed out, retried.
    pub network_errors: u64,
    /// Requests re-stamped after the API refused their timestamp.
    pub restamps: u64,
    pub token_refreshes: u64,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.base_url)
            .field("auth_base_url", &self.auth_base_url)
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// Checks the configuration and sets up the HTTP client (30 s timeout, no
    /// redirects: a redirect could carry the token refresh's secrets away).
    /// The retry policy is [`Backoff::from_env`].
    pub fn new(config: ApiConfig) -> Result<ApiClient, ApiError> {
        let base_url = checked_base_url(&config.base_url, "--api-base-url / TIKTOK_API_BASE_URL")?;
        let auth_base_url = checked_base_url(
            &config.auth_base_url,
            "--auth-base-url / TIKTOK_AUTH_BASE_URL",
        )?;
        let credentials = config.credentials;
        if credentials.app_key.is_empty() {
            return Err(ApiError::Config(
                "the app key is empty: set --app-key or TIKTOK_APP_KEY".into(),
            ));
        }
        token_header(&credentials.access_token)?;
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ApiError::Client)?;
        Ok(ApiClient {
            http,
            base_url,
            auth_base_url,
            app_key: credentials.app_key,
            app_secret: credentials.app_secret,
            tokens: TokenKeeper::new(credentials.access_token, credentials.refresh_token),
            store: None,
            pacer: None,
            backoff: Backoff::from_env()?,
            counters: Counters::default(),
        })
    }

    /// Replaces the retry policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> ApiClient {
        self.backoff = backoff;
        self
    }

    /// Paces every shop call through `pacer` (shared by clients of one app).
    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> ApiClient {
        self.pacer = Some(pacer);
        self
    }

    pub fn pacer(&self) -> Option<&Arc<Pacer>> {
        self.pacer.as_ref()
    }

    /// Keeps rotated tokens in `store`, and starts from the stored ones when
    /// they descend from the environment's (see `tokens.rs`).
    pub async fn with_token_store(
        mut self,
        store: Arc<dyn TokenStore>,
    ) -> Result<ApiClient, ApiError> {
        self.store = Some(store);
        self.adopt_stored_tokens("start").await?;
        Ok(self)
    }

    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    pub fn stats(&self) -> ApiStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let c = &self.counters;
        ApiStats {
            requests: get(&c.requests),
            retries: get(&c.throttled)
                + get(&c.server_errors)
                + get(&c.network_errors)
                + get(&c.restamps),
            throttled: get(&c.throttled),
            server_errors: get(&c.server_errors),
            network_errors: get(&c.network_errors),
            restamps: get(&c.restamps),
            token_refreshes: get(&c.token_refreshes),
        }
    }

    /// One page of the orders of `shop_cipher` updated in `window`, oldest
    /// update first. `page_token` is `None` for the first page.
    pub async fn search_orders(
        &self,
        shop_cipher: &str,
        window: &Window,
        page_token: Option<&str>,
        page_size: u32,
    ) -> Result<OrdersPage, ApiError> {
        let mut query = vec![
            ("shop_cipher", shop_cipher.to_owned()),
            ("page_size", page_size.to_string()),
            ("sort_field", "update_time".to_owned()),
            ("sort_order", "ASC".to_owned()),
        ];
        if let Some(token) = page_token {
            query.push(("page_token", token.to_owned()));
        }
        let call = Call {
            what: format!("search orders of shop {shop_cipher}"),
            pace: Some(shop_cipher.to_owned()),
            sent_generation: Default::default(),
            target: Target::Signed {
                method: Method::POST,
                path: SEARCH_PATH,
                query,
                body: Some(search_body(window)),
            },
        };
        self.execute(&call, envelope::orders_page).await
    }

    /// The shops the access token may read, with their ciphers.
    pub async fn authorized_shops(&self) -> Result<Vec<AuthorizedShop>, ApiError> {
        let call = Call {
            what: "list the authorized shops".to_owned(),
            pace: None,
            sent_generation: Default::default(),
            target: Target::Signed {
                method: Method::GET,
                path: SHOPS_PATH,
                query: Vec::new(),
                body: None,
            },
        };
        self.execute(&call, |_, data| envelope::authorized_shops(data))
            .await
    }
}
