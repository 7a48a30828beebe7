//! What every loopback test needs: a sandbox on a free port with a frozen
//! clock, and a client that signs requests exactly like the real one but
//! lets a test break any rule on purpose.

use std::net::SocketAddr;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use tiktok_shop_api::sign::sign;
use tiktok_shop_api::{ApiClient, ApiConfig, Backoff, Credentials, Secret};
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

/// A response: HTTP status, headers, the body as sent and as JSON.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> i64 {
        self.body["code"].as_i64().expect("every answer has a code")
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// `(id, update_time)` of each order of a search page.
    pub fn orders(&self) -> Vec<(String, i64)> {
        self.body["data"]["orders"]
            .as_array()
            .map(|orders| {
                orders
                    .iter()
                    .map(|o| {
                        let id = o["id"].as_str().expect("an id").to_owned();
                        (id, o["update_time"].as_i64().expect("an update_time"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `data.next_page_token`, `None` when empty (the last page).
    pub fn next_page_token(&self) -> Option<String> {
        self.body["data"]["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
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
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).expect("the answer is JSON");
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    /// A search sorted by `update_time` ascending, as the ETL sends it.
    pub async fn search(
        &self,
        shop: &str,
        page_size: &str,
        page_token: Option<&str>,
        body: &str,
    ) -> Answer {
        let sort = [("sort_field", "update_time"), ("sort_order", "ASC")];
        self.search_sorted(shop, page_size, page_token, body, &sort)
            .await
    }

    /// A search with the given sort parameters (none: the API's default).
    pub async fn search_sorted(
        &self,
        shop: &str,
        page_size: &str,
        page_token: Option<&str>,
        body: &str,
        sort: &[(&str, &str)],
    ) -> Answer {
        let mut params = vec![("shop_cipher", shop), ("page_size", page_size)];
        params.extend_from_slice(sort);
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

/// The body of a search for orders updated in `[since, until)`.
pub fn window_body(since: DateTime<Utc>, until: DateTime<Utc>) -> String {
    format!(
        r#"{{"update_time_ge":{},"update_time_lt":{}}}"#,
        since.timestamp(),
        until.timestamp()
    )
}

/// The body of a search for orders updated in the `days` before `now`.
pub fn week_body(now: DateTime<Utc>, days: i64) -> String {
    window_body(now - Duration::days(days), now)
}

/// The real client, pointed at `sandbox`, retrying fast: waits are capped
/// at 50 ms, `Retry-After` included, so limited tests stay quick.
pub fn api_client(sandbox: &Sandbox) -> ApiClient {
    let config = sandbox.config();
    let api = ApiConfig {
        base_url: sandbox.base_url().to_owned(),
        auth_base_url: sandbox.base_url().to_owned(),
        credentials: Credentials {
            app_key: config.app_key.clone(),
            app_secret: Secret::new(config.app_secret.clone()),
            access_token: Secret::new(config.access_token.clone()),
            refresh_token: Some(Secret::new(config.refresh_token.clone())),
        },
    };
    let backoff = Backoff {
        base: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(50),
        max_retries: 8,
    };
    ApiClient::new(api)
        .expect("a valid client")
        .with_backoff(backoff)
}
