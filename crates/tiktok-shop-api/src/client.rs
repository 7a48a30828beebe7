//! [`ApiClient`]: one signed call, retried until it succeeds, fails for good
//! or runs out of retries.
//!
//! Each call goes through two loops. [`ApiClient::fetch`] re-sends the same
//! call after transient failures (network, 5xx, 429), re-stamping and
//! re-signing every attempt. [`ApiClient::execute`] sits above it and handles
//! the answers the client can fix itself: an expired access token (refreshed
//! once) and a rejected timestamp (re-stamped once).

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};
use serde_json::value::RawValue;
use url::Url;

use crate::answer::{Answer, Attempt, judge, parse_success};
use crate::envelope::{self, AuthorizedShop, OrdersPage};
use crate::error::{ApiError, Host};
use crate::request::{
    Call, REFRESH_PATH, SEARCH_PATH, SHOPS_PATH, Target, checked_base_url, search_body, signed_url,
    token_header,
};
use crate::backoff::Backoff;
use crate::credentials::ApiConfig;
use crate::secret::Secret;
use crate::sign;
use crate::window::Window;

const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT: &str = concat!("tiktok-shop-etl/", env!("CARGO_PKG_VERSION"));

/// A TikTok Shop Open API client for one app and one seller's tokens.
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    auth_base_url: String,
    app_key: String,
    app_secret: Secret,
    tokens: RwLock<Tokens>,
    backoff: Backoff,
    counters: Counters,
}

struct Tokens {
    access: Secret,
    refresh: Option<Secret>,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    token_refreshes: AtomicU64,
}

/// What a client has done so far (for the extract manifest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiStats {
    /// HTTP requests sent, retries and token refreshes included.
    pub requests: u64,
    /// Attempts repeated after a transient failure or a stale timestamp.
    pub retries: u64,
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
            .map_err(|e| ApiError::Config(format!("cannot set up the HTTP client: {e}")))?;
        Ok(ApiClient {
            http,
            base_url,
            auth_base_url,
            app_key: credentials.app_key,
            app_secret: credentials.app_secret,
            tokens: RwLock::new(Tokens {
                access: credentials.access_token,
                refresh: credentials.refresh_token,
            }),
            backoff: Backoff::from_env()?,
            counters: Counters::default(),
        })
    }

    /// Replaces the retry policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> ApiClient {
        self.backoff = backoff;
        self
    }

    pub fn stats(&self) -> ApiStats {
        ApiStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            token_refreshes: self.counters.token_refreshes.load(Ordering::Relaxed),
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

    async fn execute<T>(
        &self,
        call: &Call,
        parse: impl Fn(String, Option<&RawValue>) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        let mut refreshed = false;
        let mut restamped = false;
        loop {
            match self.fetch(call).await? {
                Answer::Success { request_id, body } => {
                    return parse_success(call, request_id, &body, &parse);
                }
                Answer::TokenExpired(error) if refreshed => {
                    return Err(error.reworded(
                        "the access token is still expired right after a refresh",
                        "have the seller authorize the app again, then set the new TIKTOK_ACCESS_TOKEN and \
                         TIKTOK_REFRESH_TOKEN",
                    ));
                }
                Answer::TokenExpired(error) => {
                    self.refresh_access_token(error).await?;
                    refreshed = true;
                }
                Answer::Timestamp(error) if restamped => {
                    return Err(error.reworded(
                        "the API rejected the request timestamp twice",
                        format!(
                            "check the system clock (it must be within 5 minutes behind and 30 seconds ahead of \
                             real time; this machine's clock says {}), e.g. enable NTP",
                            Utc::now().to_rfc3339()
                        ),
                    ));
                }
                Answer::Timestamp(error) => {
                    tracing::warn!(
                        call = %call.what,
                        error = %error,
                        "the API rejected the timestamp; re-stamping once"
                    );
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    restamped = true;
                }
            }
        }
    }

    /// Sends `call` until it gets an answer, a fatal error, or runs out of retries.
    async fn fetch(&self, call: &Call) -> Result<Answer, ApiError> {
        let started = Instant::now();
        let mut retry = 0;
        loop {
            let (error, after) = match self.attempt(call).await {
                Attempt::Answer(answer) => return Ok(answer),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { error, after } => (error, after),
            };
            if retry >= self.backoff.max_retries {
                return Err(ApiError::Exhausted {
                    call: call.what.clone(),
                    attempts: retry + 1,
                    elapsed: started.elapsed(),
                    last: Box::new(error),
                });
            }
            let delay = self.backoff.delay(retry, after);
            tracing::warn!(
                call = %call.what,
                retry = retry + 1,
                max_retries = self.backoff.max_retries,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %error,
                cause = %std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default(),
                "transient API failure; retrying"
            );
            tokio::time::sleep(delay).await;
            retry += 1;
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn attempt(&self, call: &Call) -> Attempt {
        let request = match self.request(call) {
            Ok(request) => request,
            Err(error) => return Attempt::Fail(error),
        };
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return self.transport_failure(call, e),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        match response.bytes().await {
            Ok(body) => judge(call, status, retry_after, &String::from_utf8_lossy(&body)),
            Err(e) => self.transport_failure(call, e),
        }
    }

    /// The request of one attempt: stamped with the current time and signed.
    fn request(&self, call: &Call) -> Result<RequestBuilder, ApiError> {
        match &call.target {
            Target::Signed {
                method,
                path,
                query,
                body,
            } => {
                let timestamp = Utc::now().timestamp().to_string();
                let mut params: Vec<(&str, &str)> =
                    vec![("app_key", &self.app_key), ("timestamp", &timestamp)];
                params.extend(query.iter().map(|(key, value)| (*key, value.as_str())));
                let body_bytes = body.as_deref().map(str::as_bytes);
                let signature = sign::sign(self.app_secret.expose(), path, &params, body_bytes);
                let url = signed_url(&self.base_url, path, &params, &signature)?;
                let token = token_header(&self.read_tokens().access)?;
                let request = self
                    .http
                    .request(method.clone(), url)
                    .header("x-tts-access-token", token)
                    .header(CONTENT_TYPE, "application/json");
                Ok(match body {
                    Some(body) => request.body(body.clone()),
                    None => request,
                })
            }
            Target::TokenRefresh => {
                let tokens = self.read_tokens();
                let refresh = tokens.refresh.as_ref().ok_or_else(|| {
                    ApiError::Config("no refresh token: set TIKTOK_REFRESH_TOKEN".to_owned())
                })?;
                // This URL holds the app secret and the refresh token: it must
                // never reach a message (transport errors drop it, see below).
                let mut url = Url::parse(&format!("{}{REFRESH_PATH}", self.auth_base_url))
                    .map_err(|e| ApiError::Config(format!("the token API URL is invalid: {e}")))?;
                url.query_pairs_mut()
                    .append_pair("app_key", &self.app_key)
                    .append_pair("app_secret", self.app_secret.expose())
                    .append_pair("refresh_token", refresh.expose())
                    .append_pair("grant_type", "refresh_token");
                Ok(self.http.get(url))
            }
        }
    }

    fn transport_failure(&self, call: &Call, error: reqwest::Error) -> Attempt {
        // reqwest puts the URL in its messages; the token refresh URL holds secrets.
        let error = error.without_url();
        let host = match call.host() {
            Host::Api => &self.base_url,
            Host::Auth => &self.auth_base_url,
        };
        if error.is_builder() {
            return Attempt::Fail(ApiError::Config(format!(
                "{}: cannot build the request: {error}",
                call.what
            )));
        }
        let what = if error.is_timeout() {
            format!("no answer from {host} within {} s", TIMEOUT.as_secs())
        } else if error.is_connect() {
            format!("cannot connect to {host}")
        } else {
            format!("the exchange with {host} failed")
        };
        Attempt::Retry {
            error: ApiError::Transient {
                what,
                source: Some(error),
            },
            after: None,
        }
    }

    async fn refresh_access_token(&self, expired: ApiError) -> Result<(), ApiError> {
        if self.read_tokens().refresh.is_none() {
            return Err(expired.reworded(
                "access token expired",
                "set TIKTOK_REFRESH_TOKEN (or TIKTOK_REFRESH_TOKEN_FILE) so it is refreshed automatically, or set \
                 a new TIKTOK_ACCESS_TOKEN",
            ));
        }
        tracing::info!("the access token has expired; refreshing it");
        let call = Call {
            what: "refresh the access token".to_owned(),
            target: Target::TokenRefresh,
        };
        let grant = match self.fetch(&call).await? {
            Answer::Success { request_id, body } => {
                parse_success(&call, request_id, &body, &|_, data| {
                    envelope::token_grant(data)
                })?
            }
            Answer::TokenExpired(error) | Answer::Timestamp(error) => return Err(error),
        };
        token_header(&grant.access_token)?;
        let rotated = {
            let mut tokens = self
                .tokens
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            tokens.access = grant.access_token;
            let rotated = grant
                .refresh_token
                .as_ref()
                .is_some_and(|new| tokens.refresh.as_ref() != Some(new));
            if let Some(new) = grant.refresh_token {
                tokens.refresh = Some(new);
            }
            rotated
        };
        self.counters
            .token_refreshes
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            expires_at = %unix_date(grant.access_token_expire_in),
            "access token refreshed"
        );
        if rotated {
            tracing::warn!(
                refresh_token_expires_at = %unix_date(grant.refresh_token_expire_in),
            "the token refresh issued a new refresh token, so the one in TIKTOK_REFRESH_TOKEN may stop \
                 working: get the current tokens (from the shop's authorization in Partner Center, or by \
                 authorizing again) and save them before the next run; tokens are never printed here"
            );
        }
        Ok(())
    }

    fn read_tokens(&self) -> std::sync::RwLockReadGuard<'_, Tokens> {
        self.tokens
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A unix time as an RFC 3339 date, for logs.
fn unix_date(seconds: Option<i64>) -> String {
    seconds
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map_or_else(|| "unknown".to_owned(), |d| d.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_dates_are_logged_as_dates() {
        assert_eq!(unix_date(Some(1660556783)), "2022-08-15T09:46:23+00:00");
        assert_eq!(unix_date(None), "unknown");
    }
}
