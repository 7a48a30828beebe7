//! The seller's tokens while a client runs, and where rotated ones are kept.
//!
//! An access token lasts about a week; the refresh endpoint trades the
//! refresh token for a new access token and, often, a new refresh token,
//! after which the old refresh token is refused (API reference §2, §11). So
//! the tokens of a refresh must outlive the process: a [`TokenStore`] keeps
//! them, saved the moment a refresh returns, and the next run starts from
//! them instead of the environment's, unless the environment's tokens were
//! changed since (someone authorized the shop again): each stored set
//! remembers the [`fingerprint`] of the environment tokens it descends from.
//!
//! [`TokenKeeper`] hands out the current access token, lets one refresh run
//! at a time (the others wait and reuse its result), refreshes early when the
//! expiry is known, and, when a refresh is refused, re-reads the store in
//! case another run rotated the tokens first.

use std::future::Future;
use std::pin::Pin;
use std::sync::{PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Keeps the tokens of one app and seller between runs.
pub trait TokenStore: Send + Sync {
    /// The stored tokens, if any.
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, BoxError>>;
    /// Replaces the stored tokens, atomically.
    fn save<'a>(&'a self, tokens: &'a StoredTokens) -> BoxFuture<'a, Result<(), BoxError>>;
}

/// The tokens at one moment, with what is known of their expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTokens {
    pub access_token: Secret,
    /// Absolute unix seconds, when known.
    pub access_expires_at: Option<i64>,
    pub refresh_token: Option<Secret>,
    pub refresh_expires_at: Option<i64>,
    /// [`fingerprint`] of the environment tokens these descend from.
    pub origin: String,
    /// When these were saved (unix seconds).
    pub saved_at: i64,
}

/// The file form: the only place the tokens are written out.
#[derive(Serialize, Deserialize)]
struct TokenFile {
    access_token: String,
    access_expires_at: Option<i64>,
    refresh_token: Option<String>,
    refresh_expires_at: Option<i64>,
    origin: String,
    saved_at: i64,
}

impl StoredTokens {
    /// JSON for a [`TokenStore`]: it holds the tokens in clear, so it must
    /// only ever be written to the store, never logged.
    pub fn to_json(&self) -> String {
        let file = TokenFile {
            access_token: self.access_token.expose().to_owned(),
            access_expires_at: self.access_expires_at,
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose().to_owned()),
            refresh_expires_at: self.refresh_expires_at,
            origin: self.origin.clone(),
            saved_at: self.saved_at,
        };
        serde_json::to_string_pretty(&file).expect("a struct of strings and numbers serializes")
    }

    /// Reads [`StoredTokens::to_json`]; the error never quotes the content.
    pub fn from_json(text: &str) -> Result<StoredTokens, String> {
        let file: TokenFile = serde_json::from_str(text).map_err(|e| {
            format!(
                "the stored tokens are not the expected JSON (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        Ok(StoredTokens {
            access_token: Secret::new(file.access_token),
            access_expires_at: file.access_expires_at,
            refresh_token: file.refresh_token.map(Secret::new),
            refresh_expires_at: file.refresh_expires_at,
            origin: file.origin,
            saved_at: file.saved_at,
        })
    }
}

/// A short, irreversible name of the environment's tokens: tells whether
/// the stored tokens descend from the ones the environment holds now.
pub fn fingerprint(access: &Secret, refresh: Option<&Secret>) -> String {
    let mut hash = Sha256::new();
    hash.update(b"tiktok-shop-tokens\0");
    hash.update(access.expose().as_bytes());
    hash.update([0u8]);
    if let Some(refresh) = refresh {
        hash.update(refresh.expose().as_bytes());
    }
    hex::encode(&hash.finalize()[..12])
}

/// The tokens in use and their generation (bumped by every change).
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub access: Secret,
    pub access_expires_at: Option<i64>,
    pub refresh: Option<Secret>,
    pub refresh_expires_at: Option<i64>,
    pub generation: u64,
}

/// The tokens a client uses, shared by its requests.
pub(crate) struct TokenKeeper {
    current: RwLock<Current>,
    /// Held by the one refresh in progress.
    pub refreshing: tokio::sync::Mutex<()>,
    /// The environment's tokens' fingerprint (stored sets carry it).
    pub origin: String,
}

impl TokenKeeper {
    pub fn new(access: Secret, refresh: Option<Secret>) -> TokenKeeper {
        let origin = fingerprint(&access, refresh.as_ref());
        TokenKeeper {
            current: RwLock::new(Current {
                access,
                access_expires_at: None,
                refresh,
                refresh_expires_at: None,
                generation: 0,
            }),
            refreshing: tokio::sync::Mutex::new(()),
            origin,
        }
    }

    pub fn current(&self) -> Current {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the tokens; returns the new generation.
    pub fn replace(&self, tokens: &StoredTokens) -> u64 {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        current.access = tokens.access_token.clone();
        current.access_expires_at = tokens.access_expires_at;
        if let Some(refresh) = &tokens.refresh_token {
            current.refresh = Some(refresh.clone());
        }
        current.refresh_expires_at = tokens.refresh_expires_at.or(current.refresh_expires_at);
        current.generation += 1;
        current.generation
    }

    /// Whether `stored` is worth adopting: it descends from the
    /// environment's tokens and differs from the ones in use.
    pub fn adoptable(&self, stored: &StoredTokens) -> bool {
        let current = self.current();
        stored.origin == self.origin
            && (stored.access_token != current.access || stored.refresh_token != current.refresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(access: &str, refresh: &str, origin: &str) -> StoredTokens {
        StoredTokens {
            access_token: Secret::new(access),
            access_expires_at: Some(1_700_000_000),
            refresh_token: Some(Secret::new(refresh)),
            refresh_expires_at: Some(1_730_000_000),
            origin: origin.into(),
            saved_at: 1_699_000_000,
        }
    }

    #[test]
    fn stored_tokens_round_trip_and_errors_do_not_quote_them() {
        let t = tokens("tok-access-777", "tok-refresh-777", "abc");
        let back = StoredTokens::from_json(&t.to_json()).unwrap();
        assert_eq!(back, t);
        assert!(!format!("{back:?}").contains("tok-access-777"));
        let err = StoredTokens::from_json("{\"access_token\": \"tok-access-777\"").unwrap_err();
        assert!(
            !err.contains("tok-access-777") && err.contains("line 1"),
            "{err}"
        );
    }

    #[test]
    fn only_tokens_descending_from_the_environment_are_adopted() {
        let env_access = Secret::new("env-access-1");
        let env_refresh = Secret::new("env-refresh-1");
        let keeper = TokenKeeper::new(env_access.clone(), Some(env_refresh.clone()));
        let origin = fingerprint(&env_access, Some(&env_refresh));
        assert_eq!(keeper.origin, origin);
        assert_eq!(origin.len(), 24);
        assert!(!origin.contains("env-access"));
        let rotated = tokens("rotated-access", "rotated-refresh", &origin);
        assert!(keeper.adoptable(&rotated));
        let reauthorized = tokens("rotated-access", "rotated-refresh", "other-origin");
        assert!(
            !keeper.adoptable(&reauthorized),
            "the operator's new tokens win"
        );
        assert_eq!(keeper.replace(&rotated), 1);
        assert!(!keeper.adoptable(&rotated), "already in use");
        assert_eq!(
            keeper.current().refresh.unwrap().expose(),
            "rotated-refresh"
        );
    }
}
