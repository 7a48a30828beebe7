//! What goes over the wire: the calls the client makes, their URLs (signed
//! query, percent-encoded values), the search body and the token header.

use reqwest::Method;
use reqwest::header::HeaderValue;
use url::Url;

use crate::error::ApiError;
use crate::error::Host;
use crate::secret::Secret;
use crate::window::Window;

pub(super) const SEARCH_PATH: &str = "/order/202309/orders/search";
pub(super) const SHOPS_PATH: &str = "/authorization/202309/shops";
pub(super) const REFRESH_PATH: &str = "/api/v2/token/refresh";

/// One call; its request is rebuilt for every attempt.
pub(super) struct Call {
    pub what: String,
    /// The pacer key (the shop) of a paced call.
    pub pace: Option<String>,
    pub target: Target,
    /// The generation of the access token the last attempt carried.
    pub sent_generation: std::sync::atomic::AtomicU64,
}

pub(super) enum Target {
    Signed {
        method: Method,
        path: &'static str,
        query: Vec<(&'static str, String)>,
        body: Option<String>,
    },
    TokenRefresh,
}

impl Call {
    pub fn host(&self) -> Host {
        match self.target {
            Target::Signed { .. } => Host::Api,
            Target::TokenRefresh => Host::Auth,
        }
    }
}

/// The search filter, compact, exactly as sent and signed.
pub(super) fn search_body(window: &Window) -> String {
    format!(
        "{{\"update_time_ge\":{},\"update_time_lt\":{}}}",
        window.since.timestamp(),
        window.until.timestamp()
    )
}

/// `base + path` with the (decoded) `params` and the signature as query.
/// Values are form-encoded, so a page token's `+`, `/` and `=` go out as
/// `%2B`, `%2F` and `%3D` and the server decodes the value that was signed.
pub(super) fn signed_url(
    base: &str,
    path: &str,
    params: &[(&str, &str)],
    signature: &str,
) -> Result<Url, ApiError> {
    let joined = format!("{base}{path}");
    let mut url = Url::parse(&joined).map_err(|source| ApiError::Url {
        what: "the API URL",
        url: joined.clone(),
        source,
    })?;
    url.query_pairs_mut()
        .extend_pairs(params.iter().copied())
        .append_pair("sign", signature);
    Ok(url)
}

/// A base URL checked to be http(s) without query, with no trailing `/`.
pub(super) fn checked_base_url(raw: &str, name: &'static str) -> Result<String, ApiError> {
    let invalid =
        |reason: String| ApiError::Config(format!("{name}={raw:?} is not usable: {reason}"));
    let url = Url::parse(raw.trim()).map_err(|source| ApiError::Url {
        what: name,
        url: format!("{raw} (expected e.g. https://host)"),
        source,
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            "the scheme must be https:// (or http:// for a local sandbox)".to_owned(),
        ));
    }
    // The gateway takes HTTPS only (§11), and tokens must not cross a
    // network in clear: plain HTTP is for a sandbox on this machine.
    if url.scheme() == "http" && !is_loopback(&url) && !http_allowed() {
        return Err(invalid(format!(
            "plain http:// is only for a sandbox on this machine (localhost, 127.0.0.1, ::1); use https://, \
             or set {ALLOW_HTTP}=true for a test host you trust"
        )));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid(
            "it must be a host (and optional path) without credentials, query or fragment"
                .to_owned(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Lets plain HTTP reach a host other than this machine (test set-ups).
pub const ALLOW_HTTP: &str = "TIKTOK_API_ALLOW_HTTP";

fn http_allowed() -> bool {
    std::env::var(ALLOW_HTTP).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The access token as a header value that debug logs will not print.
pub(super) fn token_header(token: &Secret) -> Result<HeaderValue, ApiError> {
    let mut value = HeaderValue::from_str(token.expose()).map_err(|_| {
        ApiError::Config(
            "the access token holds characters an HTTP header cannot carry (a line break?): set \
             TIKTOK_ACCESS_TOKEN to the token alone"
                .to_owned(),
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn query_of(url: &Url) -> Vec<(String, String)> {
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn page_tokens_are_signed_raw_and_percent_encoded_on_the_wire() {
        let params = [
            ("app_key", "6abc123def456"),
            ("page_token", "aGVsbG8+d29y/bGQ="),
        ];
        let url = signed_url("http://127.0.0.1:9", SEARCH_PATH, &params, "abc").unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/order/202309/orders/search?app_key=6abc123def456&page_token=aGVsbG8%2Bd29y%2FbGQ%3D&sign=abc"
        );
        // What a server decodes is exactly what was signed.
        assert_eq!(
            query_of(&url)[1],
            ("page_token".to_owned(), "aGVsbG8+d29y/bGQ=".to_owned())
        );
    }

    #[test]
    fn the_search_body_is_compact_unix_seconds() {
        let window = Window {
            since: DateTime::from_timestamp(1717200000, 0).unwrap(),
            until: DateTime::from_timestamp(1717203600, 0).unwrap(),
        };
        assert_eq!(
            search_body(&window),
            r#"{"update_time_ge":1717200000,"update_time_lt":1717203600}"#
        );
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            checked_base_url("https://open-api.tiktokglobalshop.com/", "X").unwrap(),
            "https://open-api.tiktokglobalshop.com"
        );
        assert_eq!(
            checked_base_url("http://127.0.0.1:8080", "X").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            checked_base_url("http://localhost:8900/", "X").unwrap(),
            "http://localhost:8900"
        );
        assert_eq!(
            checked_base_url("http://[::1]:8080", "X").unwrap(),
            "http://[::1]:8080"
        );
        for bad in [
            "open-api.tiktokglobalshop.com",
            "http://open-api.tiktokglobalshop.com",
            "http://10.0.0.5:8900",
            "ftp://host",
            "https://host/?a=1",
            "https://u:p@host",
        ] {
            let err = checked_base_url(bad, "TIKTOK_API_BASE_URL")
                .unwrap_err()
                .to_string();
            assert!(err.contains("TIKTOK_API_BASE_URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn tokens_that_cannot_be_headers_are_refused_without_showing_them() {
        let err = token_header(&Secret::new("bad\ntoken-value"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("TIKTOK_ACCESS_TOKEN") && !err.contains("token-value"),
            "{err}"
        );
        assert!(
            token_header(&Secret::new("TTP_good"))
                .unwrap()
                .is_sensitive()
        );
    }
}
