//! Who calls the API and where it is: the app's credentials, read from the
//! environment (or `NAME_FILE`s) once, and the two base URLs.

use crate::error::ApiError;
use crate::secret::Secret;

/// The shop API host (US and rest of world alike).
pub const DEFAULT_BASE_URL: &str = "https://open-api.tiktokglobalshop.com";
/// The token API host.
pub const DEFAULT_AUTH_BASE_URL: &str = "https://auth.tiktok-shops.com";

/// The app's credentials. Only `app_key` may be shown.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The app key of the Partner Center app (not secret; it is in every URL).
    pub app_key: String,
    /// Signs every request (TIKTOK_APP_SECRET).
    pub app_secret: Secret,
    /// Sent as `x-tts-access-token` (TIKTOK_ACCESS_TOKEN).
    pub access_token: Secret,
    /// Used once per request when the access token has expired
    /// (TIKTOK_REFRESH_TOKEN); without it an expired token is fatal.
    pub refresh_token: Option<Secret>,
}

impl Credentials {
    /// `app_key` from the flag (or TIKTOK_APP_KEY), the rest from
    /// TIKTOK_APP_SECRET, TIKTOK_ACCESS_TOKEN and TIKTOK_REFRESH_TOKEN (or
    /// their `_FILE`s). Every missing variable is named in one error.
    pub fn from_env(app_key: Option<String>) -> Result<Credentials, ApiError> {
        Self::from_vars(app_key, |name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] over any variable lookup (tests pass a map).
    pub fn from_vars(
        app_key: Option<String>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials, ApiError> {
        let app_key = app_key
            .or_else(|| var("TIKTOK_APP_KEY"))
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty());
        let app_secret = Secret::from_vars("TIKTOK_APP_SECRET", &var)?;
        let access_token = Secret::from_vars("TIKTOK_ACCESS_TOKEN", &var)?;
        let refresh_token = Secret::from_vars("TIKTOK_REFRESH_TOKEN", &var)?;
        match (app_key, app_secret, access_token) {
            (Some(app_key), Some(app_secret), Some(access_token)) => Ok(Credentials {
                app_key,
                app_secret,
                access_token,
                refresh_token,
            }),
            (app_key, app_secret, access_token) => {
                let missing: Vec<&str> = [
                    (app_key.is_none(), "TIKTOK_APP_KEY (or --app-key)"),
                    (
                        app_secret.is_none(),
                        "TIKTOK_APP_SECRET (or TIKTOK_APP_SECRET_FILE)",
                    ),
                    (
                        access_token.is_none(),
                        "TIKTOK_ACCESS_TOKEN (or TIKTOK_ACCESS_TOKEN_FILE)",
                    ),
                ]
                .into_iter()
                .filter_map(|(absent, name)| absent.then_some(name))
                .collect();
                let verb = if missing.len() == 1 { "is" } else { "are" };
                Err(ApiError::Config(format!(
                    "missing credentials: {} {verb} not set; the app key and secret are in TikTok Shop Partner \
                     Center (App > Basic information), the tokens come from the shop's authorization of the app",
                    missing.join(", ")
                )))
            }
        }
    }
}

/// Where the API is and who is calling it.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The shop API host, e.g. [`DEFAULT_BASE_URL`] or a local sandbox.
    pub base_url: String,
    /// The token API host, e.g. [`DEFAULT_AUTH_BASE_URL`].
    pub auth_base_url: String,
    pub credentials: Credentials,
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn credentials_come_from_the_flag_and_the_environment() {
        let var = lookup(&[
            ("TIKTOK_APP_SECRET", "cred-test-app-secret"),
            ("TIKTOK_ACCESS_TOKEN", "cred-test-access-token"),
        ]);
        let c = Credentials::from_vars(Some("key-1".into()), var).unwrap();
        assert_eq!(c.app_key, "key-1");
        assert_eq!(c.app_secret.expose(), "cred-test-app-secret");
        assert!(c.refresh_token.is_none());
        assert!(!format!("{c:?}").contains("cred-test"), "{c:?}");
    }

    #[test]
    fn every_missing_credential_is_named_and_no_value_is_shown() {
        let var = lookup(&[
            ("TIKTOK_ACCESS_TOKEN", "cred-test-visible-token"),
            ("TIKTOK_APP_KEY", ""),
        ]);
        let err = Credentials::from_vars(None, var).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("TIKTOK_APP_KEY") && text.contains("TIKTOK_APP_SECRET"),
            "{text}"
        );
        assert!(
            !text.contains("TIKTOK_ACCESS_TOKEN") && !text.contains("cred-test-visible-token"),
            "{text}"
        );
        assert!(text.contains("are not set"), "{text}");
        assert!(!err.is_retryable());
        let only_secret = lookup(&[
            ("TIKTOK_ACCESS_TOKEN", "x-token-1"),
            ("TIKTOK_APP_KEY", "k"),
        ]);
        let text = Credentials::from_vars(None, only_secret)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("TIKTOK_APP_SECRET (or TIKTOK_APP_SECRET_FILE) is not set"),
            "{text}"
        );
    }
}
