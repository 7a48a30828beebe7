//! Integration tests of the sandbox over HTTP on loopback: a client that
//! signs like the real one pages through a frozen week of two shops, and
//! every gateway rule (signature, timestamp, tokens, shop cipher, rate
//! limit, page token encoding) is checked from the outside.

mod faults;
mod gateway;
mod orders;

use std::net::SocketAddr;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use tiktok_shop_api::sign::sign;
use tiktok_shop_sandbox::{Clock, Sandbox, SandboxConfig};

pub const SEARCH: &str = "/order/202309/orders/search";
pub const SHOPS: &str = "/authorization/202309/shops";
pub const REFRESH: &str = "/api/v2/token/refresh";

/// The frozen "now" of the tests.
pub fn frozen_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T06:00:00Z")
        .map(|t| t.to_utc())
        .expect("a valid time")
}

/// A config with a frozen clock and the given tweaks.
pub fn frozen(tweak: impl FnOnce(&mut SandboxConfig)) -> SandboxConfig {
    let mut config = SandboxConfig {
        clock: Clock::Frozen(frozen_now()),
        ..SandboxConfig::default()
    };
    tweak(&mut config);
    config
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    Sandbox::start(config, addr)
        .await
        .expect("the sandbox starts")
}

/// A response: HTTP status, headers and JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> i64 {
        self.body["code"].as_i64().expect("every answer has a code")
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }
}

/// A client that signs requests like the real one.
pub struct Client {
    pub base_url: String,
    pub app_key: String,
    pub app_secret: String,
    pub access_token: String,
    pub timestamp: Option<i64>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(sandbox: &Sandbox) -> Client {
        let config = sandbox.config();
        Client {
            base_url: sandbox.base_url().to_owned(),
            app_key: config.app_key.clone(),
            app_secret: config.app_secret.clone(),
            access_token: config.access_token.clone(),
            timestamp: None,
            http: reqwest::Client::new(),
        }
    }

    /// The query with app_key, timestamp and sign added, URL-encoded.
    pub fn signed_query(&self, path: &str, params: &[(&str, &str)], body: Option<&[u8]>) -> String {
        let timestamp = self
            .timestamp
            .unwrap_or_else(|| Utc::now().timestamp())
            .to_string();
        let mut query: Vec<(&str, &str)> =
            vec![("app_key", &self.app_key), ("timestamp", &timestamp)];
        query.extend_from_slice(params);
        let signature = sign(&self.app_secret, path, &query, body);
        query.push(("sign", &signature));
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&query)
            .finish()
    }

    /// Sends a request with a ready-made query string.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &str,
        body: Option<&str>,
    ) -> Answer {
        let url = format!("{}{path}?{query}", self.base_url);
        let mut request = self
            .http
            .request(method, url)
            .header("x-tts-access-token", &self.access_token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.expect("the answer is JSON");
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn search(
        &self,
        shop: &str,
        page_size: &str,
        page_token: Option<&str>,
        body: &str,
    ) -> Answer {
        let mut params = vec![
            ("shop_cipher", shop),
            ("page_size", page_size),
            ("sort_field", "update_time"),
        ];
        params.push(("sort_order", "ASC"));
        if let Some(token) = page_token {
            params.push(("page_token", token));
        }
        let query = self.signed_query(SEARCH, &params, Some(body.as_bytes()));
        self.send(reqwest::Method::POST, SEARCH, &query, Some(body))
            .await
    }

    pub async fn shops(&self, params: &[(&str, &str)]) -> Answer {
        let query = self.signed_query(SHOPS, params, None);
        self.send(reqwest::Method::GET, SHOPS, &query, None).await
    }

    pub async fn refresh(&self, app_secret: &str, refresh_token: &str) -> Answer {
        let params = [
            ("app_key", self.app_key.as_str()),
            ("app_secret", app_secret),
            ("refresh_token", refresh_token),
            ("grant_type", "refresh_token"),
        ];
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        self.send(reqwest::Method::GET, REFRESH, &query, None).await
    }
}

/// The body of a search for orders updated in the `days` before `now`.
pub fn week_body(now: DateTime<Utc>, days: i64) -> String {
    let since = (now - Duration::days(days)).timestamp();
    format!(
        r#"{{"update_time_ge":{since},"update_time_lt":{}}}"#,
        now.timestamp()
    )
}
