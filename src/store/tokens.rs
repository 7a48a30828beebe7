//! The API's rotated tokens, kept in the store under `state/tokens/`.
//!
//! One file per app key (`state/tokens/<app key>.json`): the access and
//! refresh tokens of the last refresh, their expiry, and the fingerprint of
//! the environment tokens they descend from (`tiktok_shop_api::tokens`
//! decides when they are used). The file holds secrets in clear: it is
//! written only here, never listed by `inspect`, never logged, and on a
//! local store it is readable by its owner only. A local write is a rename
//! of a complete file and an S3 write a single PUT, so a reader never sees
//! half a file. A save is conditional (on S3 `If-Match` the version read,
//! or `If-None-Match: *` for a first file): tokens another run saved later
//! are never overwritten with older ones.

use bytes::Bytes;
use tiktok_shop_api::tokens::{BoxError, BoxFuture, StoredTokens, TokenStore};

use super::Store;

/// Where the state of runs (not of one run) lives in a store.
pub const STATE_DIR: &str = "state";

/// The token file of one app in one store.
#[derive(Debug, Clone)]
pub struct StoreTokens {
    store: Store,
    path: String,
}

impl StoreTokens {
    pub fn for_app(store: &Store, app_key: &str) -> StoreTokens {
        StoreTokens {
            store: store.clone(),
            path: format!("{STATE_DIR}/tokens/{}.json", file_name(app_key)),
        }
    }

    /// The file, relative to the store root.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// `app_key` as a file name: `[A-Za-z0-9_-]` kept, anything else `=XX`.
fn file_name(app_key: &str) -> String {
    app_key
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            }
        })
        .collect()
}

impl TokenStore for StoreTokens {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, BoxError>> {
        Box::pin(async move {
            let Some(bytes) = self.store.get(&self.path).await? else {
                return Ok(None);
            };
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| format!("{} is not UTF-8 text", self.store.display(&self.path)))?;
            let tokens = StoredTokens::from_json(&text).map_err(|reason| {
                format!(
                    "{}: {reason}; delete it to start again from the environment's tokens",
                    self.store.display(&self.path)
                )
            })?;
            Ok(Some(tokens))
        })
    }

    fn save<'a>(&'a self, tokens: &'a StoredTokens) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            let bytes = Bytes::from(tokens.to_json());
            for _ in 0..SAVE_ATTEMPTS {
                let seen = match self.store.get_versioned(&self.path).await? {
                    None => None,
                    Some((current, version)) => {
                        if saved_later(&current, tokens) {
                            tracing::info!(
                                "the token store holds tokens another run saved later; keeping those"
                            );
                            return Ok(());
                        }
                        Some(version)
                    }
                };
                if self
                    .store
                    .put_unless_changed(&self.path, bytes.clone(), seen)
                    .await?
                {
                    self.store.restrict_to_owner(&self.path)?;
                    return Ok(());
                }
            }
            Err(format!(
                "{} kept changing while it was written ({SAVE_ATTEMPTS} tries): are many runs refreshing \
                 the same app's tokens at once?",
                self.store.display(&self.path)
            )
            .into())
        })
    }
}

/// Conditional writes tried before giving up on a file other runs keep
/// rewriting.
const SAVE_ATTEMPTS: u32 = 5;

/// Whether the file `current` holds tokens saved after `ours` (an
/// unreadable file is replaced).
fn saved_later(current: &[u8], ours: &StoredTokens) -> bool {
    std::str::from_utf8(current)
        .ok()
        .and_then(|text| StoredTokens::from_json(text).ok())
        .is_some_and(|stored| stored.saved_at > ours.saved_at)
}

#[cfg(test)]
mod tests {
    use tiktok_shop_api::Secret;

    use super::*;

    #[tokio::test]
    async fn tokens_round_trip_in_a_local_store_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).unwrap();
        let tokens = StoreTokens::for_app(&store, "app/key 1");
        assert_eq!(tokens.path(), "state/tokens/app=2Fkey=201.json");
        assert_eq!(tokens.load().await.unwrap(), None);
        let stored = StoredTokens {
            access_token: Secret::new("store-test-access"),
            access_expires_at: Some(1),
            refresh_token: Some(Secret::new("store-test-refresh")),
            refresh_expires_at: None,
            origin: "o".into(),
            saved_at: 2,
        };
        tokens.save(&stored).await.unwrap();
        assert_eq!(tokens.load().await.unwrap(), Some(stored));
        let file = dir.path().join(tokens.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&file, "not json").unwrap();
        let err = tokens.load().await.unwrap_err().to_string();
        assert!(err.contains("delete it"), "{err}");
    }

    #[tokio::test]
    async fn tokens_saved_later_by_another_run_are_never_overwritten_with_older_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).unwrap();
        let file = StoreTokens::for_app(&store, "app");
        let saved = |access: &str, at: i64| StoredTokens {
            access_token: Secret::new(access),
            access_expires_at: None,
            refresh_token: None,
            refresh_expires_at: None,
            origin: "o".into(),
            saved_at: at,
        };
        file.save(&saved("store-test-newer", 20)).await.unwrap();
        file.save(&saved("store-test-older", 10)).await.unwrap();
        assert_eq!(
            file.load().await.unwrap(),
            Some(saved("store-test-newer", 20))
        );
        file.save(&saved("store-test-newest", 30)).await.unwrap();
        assert_eq!(
            file.load().await.unwrap(),
            Some(saved("store-test-newest", 30))
        );
    }
}
