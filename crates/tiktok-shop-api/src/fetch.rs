//! The retry machinery of [`ApiClient`]: one call, repeated until it
//! succeeds, fails for good or runs out of retries.
//!
//! [`ApiClient::execute`] handles the answers the client can fix itself: an
//! expired access token (refreshed once, or reused from a concurrent
//! refresh) and a rejected timestamp (re-stamped once). [`ApiClient::fetch`]
//! re-sends after transient failures, re-stamping and re-signing every
//! attempt: server errors and network failures wait with [`Backoff`];
//! throttled calls pause their shop in the [`Pacer`] (or back off when the
//! client has none) and do not use up the retries of other causes.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::RequestBuilder;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::value::RawValue;
use url::Url;

use crate::answer::{Answer, Attempt, RetryCause, judge, parse_success};
use crate::client::{ApiClient, TIMEOUT};
use crate::error::{ApiError, Host};
use crate::request::{Call, REFRESH_PATH, Target, signed_url, token_header};
use crate::sign;

/// Expired-token answers one call may meet (each followed by a refresh,
/// or by the token another request just refreshed).
const MAX_REFRESHES: u32 = 16;
/// Throttled attempts one call may meet before giving up (exit 1).
const MAX_THROTTLES: u32 = 60;
/// A `Retry-After` longer than this (an hourly quota) fails the call
/// instead of holding the run: a later retry of the stage does better.
const LONGEST_WAIT: Duration = Duration::from_secs(120);

impl ApiClient {
    pub(crate) async fn execute<T>(
        &self,
        call: &Call,
        parse: impl Fn(String, Option<&RawValue>) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        let mut refreshes = 0;
        let mut restamped = false;
        loop {
            if matches!(call.target, Target::Signed { .. }) {
                self.refresh_if_expiring().await?;
            }
            let answer = self.fetch(call).await?;
            // The token the answer is about: the one the last attempt carried.
            let generation = call.sent_generation.load(Ordering::Relaxed);
            match answer {
                Answer::Success { request_id, body } => {
                    return parse_success(call, request_id, &body, &parse);
                }
                // Concurrent requests can use up a fresh token before this
                // one retries (test sandboxes expire tokens after a few
                // calls); a token that expires again and again is broken.
                Answer::TokenExpired(error) if refreshes >= MAX_REFRESHES => {
                    return Err(error.reworded(
                        "the access token is still expired right after a refresh",
                        "have the seller authorize the app again, then set the new TIKTOK_ACCESS_TOKEN and \
                         TIKTOK_REFRESH_TOKEN",
                    ));
                }
                Answer::TokenExpired(error) => {
                    self.refresh(generation, error).await?;
                    refreshes += 1;
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
                    self.counters.restamps.fetch_add(1, Ordering::Relaxed);
                    restamped = true;
                }
                // A refresh revoked the token this request carried while it
                // was on its way (perhaps one still finishing): send it again
                // with the new one.
                Answer::TokenInvalid(error) => {
                    drop(self.tokens.refreshing.lock().await);
                    if refreshes >= MAX_REFRESHES || self.tokens.current().generation == generation
                    {
                        return Err(error);
                    }
                    refreshes += 1;
                }
                Answer::RefreshRefused(error) => return Err(error),
            }
        }
    }

    /// Sends `call` until it gets an answer, a fatal error, or runs out of retries.
    pub(crate) async fn fetch(&self, call: &Call) -> Result<Answer, ApiError> {
        let started = Instant::now();
        let mut retry = 0;
        let mut throttles = 0;
        loop {
            let pacing = self.pacer.as_ref().zip(call.pace.as_deref());
            let slot = match pacing {
                Some((pacer, key)) => Some(pacer.acquire(key).await),
                None => None,
            };
            let sent = Instant::now();
            let attempt = self.attempt(call).await;
            drop(slot);
            let (error, after, cause) = match attempt {
                Attempt::Answer(answer) => {
                    if let Some((pacer, key)) = pacing {
                        pacer.succeeded(key, sent.elapsed());
                    }
                    return Ok(answer);
                }
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry {
                    error,
                    after,
                    cause,
                } => (error, after, cause),
            };
            let exhausted = |attempts: u32, last: ApiError| ApiError::Exhausted {
                call: call.what.clone(),
                attempts,
                elapsed: started.elapsed(),
                last: Box::new(last),
            };
            if cause == RetryCause::Throttled {
                // Expected while `auto` looks for the limit: counted, and
                // logged only at debug level.
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                throttles += 1;
                tracing::debug!(call = %call.what, error = %error, "throttled; the shop's requests pause");
                if let Some(wait) = after.filter(|&a| a > LONGEST_WAIT) {
                    return Err(ApiError::Quota {
                        call: call.what.clone(),
                        retry_after: wait,
                        last: Box::new(error),
                    });
                }
                if throttles > MAX_THROTTLES {
                    return Err(exhausted(retry + throttles, error));
                }
                match pacing {
                    // The pacer pauses the whole shop; the next acquire waits.
                    Some((pacer, key)) => pacer.throttled(key, after),
                    None => tokio::time::sleep(self.backoff.delay(throttles - 1, after)).await,
                }
                continue;
            }
            if retry >= self.backoff.max_retries {
                return Err(exhausted(retry + throttles + 1, error));
            }
            let counter = match cause {
                RetryCause::Network => &self.counters.network_errors,
                _ => &self.counters.server_errors,
            };
            counter.fetch_add(1, Ordering::Relaxed);
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
                let current = self.tokens.current();
                call.sent_generation
                    .store(current.generation, Ordering::Relaxed);
                let token = token_header(&current.access)?;
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
                let current = self.tokens.current();
                let refresh = current.refresh.as_ref().ok_or_else(|| {
                    ApiError::Config("no refresh token: set TIKTOK_REFRESH_TOKEN".to_owned())
                })?;
                // This URL holds the app secret and the refresh token: it must
                // never reach a message (transport errors drop it, see below).
                let base = format!("{}{REFRESH_PATH}", self.auth_base_url);
                let mut url = Url::parse(&base).map_err(|source| ApiError::Url {
                    what: "the token API URL",
                    url: base.clone(),
                    source,
                })?;
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
            cause: RetryCause::Network,
        }
    }
}
