//! Refreshing the access token: early when its expiry is known, once per
//! expiry however many requests meet it, saved to the token store the
//! moment it returns, and adopted from the store when another run rotated
//! the tokens first (see `tokens.rs`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::answer::{Answer, parse_success};
use crate::client::ApiClient;
use crate::envelope::{self, TokenGrant};
use crate::error::ApiError;
use crate::request::{Call, Target, token_header};
use crate::tokens::StoredTokens;

/// Refresh this long before the access token's known expiry.
const EARLY_SECS: i64 = 10 * 60;
/// Warn when the refresh token expires within this.
const REFRESH_TOKEN_WARNING_SECS: i64 = 14 * 86_400;
/// Saving the refreshed tokens is tried this often before giving up.
const SAVE_ATTEMPTS: u32 = 3;

impl ApiClient {
    /// Refreshes ahead of a known expiry, so no request meets it.
    pub(crate) async fn refresh_if_expiring(&self) -> Result<(), ApiError> {
        let current = self.tokens.current();
        let (Some(expires), Some(_)) = (current.access_expires_at, &current.refresh) else {
            return Ok(());
        };
        if Utc::now().timestamp() + EARLY_SECS < expires {
            return Ok(());
        }
        tracing::info!(expires_at = %unix_date(Some(expires)), "the access token expires soon; refreshing it early");
        self.refresh_generation(current.generation).await
    }

    /// After the API said the token of `generation` has expired.
    pub(crate) async fn refresh(&self, generation: u64, expired: ApiError) -> Result<(), ApiError> {
        if self.tokens.current().refresh.is_none() {
            return Err(expired.reworded(
                "access token expired",
                "set TIKTOK_REFRESH_TOKEN (or TIKTOK_REFRESH_TOKEN_FILE) so it is refreshed automatically, or set \
                 a new TIKTOK_ACCESS_TOKEN",
            ));
        }
        self.refresh_generation(generation).await
    }

    /// Refreshes unless the tokens already changed since `generation` (a
    /// concurrent request refreshed them while this one waited).
    async fn refresh_generation(&self, generation: u64) -> Result<(), ApiError> {
        let _one_at_a_time = self.tokens.refreshing.lock().await;
        if self.tokens.current().generation != generation {
            return Ok(());
        }
        tracing::info!("refreshing the access token");
        let call = Call {
            what: "refresh the access token".to_owned(),
            pace: None,
            sent_generation: Default::default(),
            target: Target::TokenRefresh,
        };
        let refused = match self.fetch(&call).await? {
            Answer::Success { request_id, body } => {
                let grant = parse_success(&call, request_id, &body, &|_, data| {
                    envelope::token_grant(data)
                })?;
                return self.use_grant(grant).await;
            }
            Answer::RefreshRefused(error) => error,
            Answer::TokenExpired(error)
            | Answer::Timestamp(error)
            | Answer::TokenInvalid(error) => {
                return Err(error);
            }
        };
        if self.adopt_stored_tokens("after a refused refresh").await? {
            return Ok(());
        }
        Err(refused)
    }

    async fn use_grant(&self, grant: TokenGrant) -> Result<(), ApiError> {
        token_header(&grant.access_token)?;
        let previous = self.tokens.current();
        let rotated = grant
            .refresh_token
            .as_ref()
            .is_some_and(|new| previous.refresh.as_ref() != Some(new));
        let tokens = StoredTokens {
            access_token: grant.access_token,
            access_expires_at: grant.access_token_expire_in,
            refresh_token: grant.refresh_token.or(previous.refresh),
            refresh_expires_at: grant
                .refresh_token_expire_in
                .or(previous.refresh_expires_at),
            origin: self.tokens.origin.clone(),
            saved_at: Utc::now().timestamp(),
        };
        self.tokens.replace(&tokens);
        self.counters
            .token_refreshes
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            expires_at = %unix_date(tokens.access_expires_at),
            rotated,
            "access token refreshed"
        );
        self.save_tokens(&tokens, rotated).await;
        warn_if_refresh_token_expiring(tokens.refresh_expires_at);
        Ok(())
    }

    /// Writes refreshed tokens to the store, retrying a little: a rotated
    /// refresh token that is not saved is lost when the process ends.
    async fn save_tokens(&self, tokens: &StoredTokens, rotated: bool) {
        let Some(store) = &self.store else {
            if rotated {
                tracing::warn!(
                    "the token refresh issued a new refresh token and no token store is set, so the one in \
                     TIKTOK_REFRESH_TOKEN may stop working: save the current tokens before the next run; \
                     tokens are never printed here"
                );
            }
            return;
        };
        for attempt in 1..=SAVE_ATTEMPTS {
            match store.save(tokens).await {
                Ok(()) => {
                    tracing::info!("saved the refreshed tokens to the token store");
                    return;
                }
                Err(error) => tracing::warn!(
                    attempt,
                    error = %error,
                    "cannot save the refreshed tokens to the token store; trying again"
                ),
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        tracing::error!(
            "the refreshed tokens could not be saved to the token store: this run goes on with them, but the \
             next run may find its refresh token refused and need the seller to authorize the app again"
        );
    }

    /// Takes the stored tokens when they descend from the environment's and
    /// differ from the ones in use; says whether it did.
    pub(crate) async fn adopt_stored_tokens(&self, when: &str) -> Result<bool, ApiError> {
        let Some(store) = &self.store else {
            return Ok(false);
        };
        let stored = store
            .load()
            .await
            .map_err(|source| ApiError::TokenStore { source })?;
        let Some(stored) = stored else {
            return Ok(false);
        };
        if self.tokens.adoptable(&stored) {
            self.tokens.replace(&stored);
            tracing::info!(
                when,
                saved_at = %unix_date(Some(stored.saved_at)),
                "using the tokens an earlier refresh saved in the token store"
            );
            warn_if_refresh_token_expiring(stored.refresh_expires_at);
            return Ok(true);
        }
        if stored.origin != self.tokens.origin {
            tracing::info!(
                when,
                "the environment's tokens changed since the stored ones were saved (the shop was authorized \
                 again?): using the environment's"
            );
        }
        Ok(false)
    }
}

fn warn_if_refresh_token_expiring(expires_at: Option<i64>) {
    let Some(expires_at) = expires_at else {
        return;
    };
    let left = expires_at - Utc::now().timestamp();
    if left < REFRESH_TOKEN_WARNING_SECS {
        tracing::warn!(
            refresh_token_expires_at = %unix_date(Some(expires_at)),
            days_left = left / 86_400,
            "the refresh token expires soon: have the seller authorize the app again before then, or every \
             run will stop with exit 2"
        );
    }
}

/// A unix time as an RFC 3339 date, for logs.
pub(crate) fn unix_date(seconds: Option<i64>) -> String {
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
