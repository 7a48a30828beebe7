//! A scripted TikTok Shop API on loopback: it checks every signature,
//! timestamp and token the way the real gateway does, serves canned pages
//! (or the official sample), refreshes tokens, and injects exactly the
//! failures a test queues.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::json;

use tiktok_shop_api::sign::sign;

use super::{SHOP_A, SHOP_B, SINCE};

pub(super) const APP_KEY: &str = "fake-app-key";
pub(super) const APP_SECRET: &str = "fake-app-secret-0001";
pub(super) const ACCESS_TOKEN: &str = "fake-access-token-0001";
pub(super) const REFRESH_TOKEN: &str = "fake-refresh-token-0001";
pub(super) const NEW_ACCESS_TOKEN: &str = "fake-access-token-0002";
pub(super) const NEW_REFRESH_TOKEN: &str = "fake-refresh-token-0002";
pub(super) const SECRETS: [&str; 5] = [
    APP_SECRET,
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
];

/// One canned HTTP answer.
#[derive(Clone)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: String,
    pub(super) retry_after: Option<u64>,
}

impl Reply {
    pub(super) fn error(status: u16, code: i64, message: &str) -> Reply {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let request_id = format!(
            "20261125060000FAKEERR{:013}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let body =
            json!({"code": code, "message": message, "request_id": request_id, "data": null})
                .to_string();
        Reply {
            status,
            body,
            retry_after: None,
        }
    }

    pub(super) fn ok(body: String) -> Reply {
        Reply {
            status: 200,
            body,
            retry_after: None,
        }
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) raw_query: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: HeaderMap,
    pub(super) body: String,
    pub(super) at: Instant,
}

impl Seen {
    pub(super) fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Tokens {
    access: String,
    expired: Vec<String>,
    refresh: String,
}

#[derive(Default)]
pub(super) struct Fake {
    /// Search answers by (shop, page_token), narrowed to the query's window;
    /// unknown keys get an empty page.
    pages: HashMap<(String, Option<String>), String>,
    /// Shops answered like the API: their orders (in `update_time` order)
    /// in the query's window, a page at a time; a token is a position.
    lists: HashMap<String, Vec<String>>,
    /// Search requests a listed shop has answered.
    served: Mutex<HashMap<String, usize>>,
    /// Served, in order, to signed requests before anything else is checked.
    faults: Mutex<VecDeque<Reply>>,
    tokens: Mutex<Option<Tokens>>,
    seen: Mutex<Vec<Seen>>,
}

impl Fake {
    pub(super) fn new(pages: HashMap<(String, Option<String>), String>) -> Fake {
        Fake {
            pages,
            tokens: Mutex::new(Some(Tokens {
                access: ACCESS_TOKEN.into(),
                expired: Vec::new(),
                refresh: REFRESH_TOKEN.into(),
            })),
            ..Fake::default()
        }
    }

    /// A fake whose shops hold these orders, answered like the API.
    pub(super) fn listing(lists: HashMap<String, Vec<String>>) -> Fake {
        Fake {
            lists,
            ..Fake::new(HashMap::new())
        }
    }

    pub(super) fn with_faults(self, faults: impl IntoIterator<Item = Reply>) -> Fake {
        *self.faults.lock().unwrap() = faults.into_iter().collect();
        self
    }

    /// The configured access token is expired; a refresh issues new tokens.
    pub(super) fn with_expired_token(self) -> Fake {
        if let Some(tokens) = self.tokens.lock().unwrap().as_mut() {
            tokens.expired.push(ACCESS_TOKEN.into());
            tokens.access = "not-issued-yet".into();
        }
        self
    }

    pub(super) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(super) fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    fn answer(
        &self,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        let param = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        if path == "/api/v2/token/refresh" {
            return self.refresh(method, param);
        }
        if let Some(fault) = self.faults.lock().unwrap().pop_front() {
            return fault;
        }
        let signed: Vec<(&str, &str)> = query
            .iter()
            .filter(|(k, _)| k != "sign")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let expected = sign(
            APP_SECRET,
            path,
            &signed,
            (!body.is_empty()).then_some(body),
        );
        if param("sign") != Some(expected.as_str()) {
            return Reply::error(
                401,
                106001,
                "Invalid sign. Please check the sign parameter.",
            );
        }
        if param("app_key") != Some(APP_KEY) {
            return Reply::error(400, 36009004, "Invalid app_key.");
        }
        let stamp = param("timestamp")
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(0);
        let skew = Utc::now().timestamp() - stamp;
        if !(-30..=300).contains(&skew) {
            return Reply::error(
                400,
                36009004,
                "Invalid timestamp. The timestamp is more than 5 minutes old.",
            );
        }
        let token = headers
            .get("x-tts-access-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Some(tokens) = self.tokens.lock().unwrap().as_ref() {
            if tokens.expired.iter().any(|t| t == token) {
                return Reply::error(
                    401,
                    105002,
                    "Expired credentials. The access token has expired.",
                );
            }
            if tokens.access != token {
                return Reply::error(
                    401,
                    36009004,
                    "Invalid credentials. The 'x-tts-access-token' header is invalid. For more details: https://m.tiktok.shop/s/x",
                );
            }
        }
        match (method.as_str(), path) {
            ("POST", "/order/202309/orders/search") => {
                let shop = param("shop_cipher").unwrap_or("").to_owned();
                let key = (shop.clone(), param("page_token").map(str::to_owned));
                let window = search_window(body);
                if let Some(orders) = self.lists.get(&shop) {
                    let size = param("page_size")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(10);
                    return Reply::ok(self.list_page(
                        &shop,
                        orders,
                        window,
                        key.1.as_deref(),
                        size,
                    ));
                }
                match self.pages.get(&key) {
                    Some(page) => Reply::ok(within(page, window, self.total(&shop, window))),
                    None => Reply::ok(page_body("EMPTY", &[], "")),
                }
            }
            ("GET", "/authorization/202309/shops") => {
                Reply::ok(sample("authorization_202309_shops.response.json"))
            }
            _ => Reply::error(404, 36009009, "Invalid path"),
        }
    }

    /// A page of `orders` in `window` from the position `token` holds.
    fn list_page(
        &self,
        shop: &str,
        orders: &[String],
        window: (i64, i64),
        token: Option<&str>,
        size: usize,
    ) -> String {
        let live: Vec<String> = orders
            .iter()
            .filter(|o| {
                let raw = serde_json::value::RawValue::from_string((*o).clone()).unwrap();
                (window.0..window.1).contains(&id_and_time(&raw).1)
            })
            .cloned()
            .collect();
        if live.is_empty() {
            // Not numbered: whether extract asks for orders after its
            // window (and when) depends on timing.
            return page_body("EMPTY", &[], "");
        }
        let n = {
            let mut served = self.served.lock().unwrap();
            let n = served.entry(shop.to_owned()).or_default();
            *n += 1;
            *n - 1
        };
        let from: usize = token
            .and_then(|t| t.strip_prefix(&format!("tok+{shop}/")))
            .and_then(|t| t.strip_suffix("=="))
            .map_or(0, |n| n.parse().unwrap());
        let to = (from + size).min(live.len());
        let next = if to < live.len() {
            format!("tok+{shop}/{to}==")
        } else {
            String::new()
        };
        let body = page_body(&request_id(shop, n), &live[from.min(to)..to], &next);
        body.replacen(
            &format!("\"total_count\":{}", to - from.min(to)),
            &format!("\"total_count\":{}", live.len()),
            1,
        )
    }

    /// The shop's distinct orders in `window`, over all its pages: the
    /// `total_count` of a query.
    fn total(&self, shop: &str, window: (i64, i64)) -> usize {
        let mut ids = std::collections::HashSet::new();
        for ((page_shop, _), body) in &self.pages {
            if page_shop == shop {
                let Ok(page) = serde_json::from_str::<Page>(body) else {
                    continue;
                };
                for order in page.data.orders {
                    let (id, time) = id_and_time(&order);
                    if (window.0..window.1).contains(&time) {
                        ids.insert(id);
                    }
                }
            }
        }
        ids.len()
    }

    fn refresh<'a>(&self, method: &Method, param: impl Fn(&str) -> Option<&'a str>) -> Reply {
        let mut guard = self.tokens.lock().unwrap();
        let Some(tokens) = guard.as_mut() else {
            return Reply::error(500, 1, "no tokens");
        };
        let valid = method == Method::GET
            && param("app_key") == Some(APP_KEY)
            && param("app_secret") == Some(APP_SECRET)
            && param("refresh_token") == Some(tokens.refresh.as_str())
            && param("grant_type") == Some("refresh_token");
        if !valid {
            return Reply::error(200, 36004004, "Invalid refresh token");
        }
        tokens.expired.push(std::mem::replace(
            &mut tokens.access,
            NEW_ACCESS_TOKEN.into(),
        ));
        tokens.refresh = NEW_REFRESH_TOKEN.into();
        let now = Utc::now().timestamp();
        Reply::ok(
            json!({"code": 0, "message": "success", "request_id": "2026112506000001FAKEREFRESH00000000",
                   "data": {"access_token": NEW_ACCESS_TOKEN, "access_token_expire_in": now + 7 * 86_400,
                            "refresh_token": NEW_REFRESH_TOKEN, "refresh_token_expire_in": now + 300 * 86_400,
                            "open_id": "7010736057180325637", "seller_name": "Fake", "seller_base_region": "GB",
                            "user_type": 0}})
            .to_string(),
        )
    }
}

async fn handle(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw_query = uri.query().unwrap_or("").to_owned();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    fake.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        raw_query,
        query: query.clone(),
        headers: headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let reply = fake.answer(&method, uri.path(), &query, &headers, &body);
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", "application/json");
    if let Some(seconds) = reply.retry_after {
        response = response.header("retry-after", seconds.to_string());
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// Serves `fake` on a free loopback port; returns its base URL.
pub(super) async fn serve(fake: Arc<Fake>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(fake);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------
// Orders and pages.

pub(super) fn sample(name: &str) -> String {
    crate::util::fixture(name)
}

/// An order object with deliberately irregular spacing, a non-ASCII and an
/// escaped character, so that any re-serialisation would show.
pub(super) fn order(id: &str, status: &str, create: i64, update: i64) -> String {
    format!(
        "{{\"id\": \"{id}\",  \"status\":\"{status}\", \"create_time\": {create}, \"update_time\": {update},\n \
         \"payment\": {{\"currency\": \"GBP\", \"total_amount\": \"12.50\"}}, \"buyer_message\": \"caf\u{e9} \\\"ASAP\\\" \\u00e9\", \
         \"line_items\": [{{\"id\": \"{id}01\", \"sku_id\": \"1729\"}}]}}"
    )
}

pub(super) fn page_body(request_id: &str, orders: &[String], next: &str) -> String {
    format!(
        "{{\"code\":0,\"message\":\"Success\",\"request_id\":\"{request_id}\",\"data\":{{\"next_page_token\":\"{next}\",\
         \"total_count\":{},\"orders\":[{}]}}}}",
        orders.len(),
        orders.join(", ")
    )
}

/// A canned page, its orders kept as sent.
#[derive(serde::Deserialize)]
struct Page {
    request_id: String,
    data: PageData,
}

#[derive(serde::Deserialize)]
struct PageData {
    #[serde(default)]
    next_page_token: String,
    #[serde(default)]
    orders: Vec<Box<serde_json::value::RawValue>>,
}

fn id_and_time(order: &serde_json::value::RawValue) -> (String, i64) {
    let order: serde_json::Value = serde_json::from_str(order.get()).unwrap();
    let id = order["id"].as_str().unwrap_or_default().to_owned();
    (id, order["update_time"].as_i64().unwrap_or(i64::MIN))
}

/// `[update_time_ge, update_time_lt)` of a search request's body.
pub(super) fn search_window(body: &[u8]) -> (i64, i64) {
    let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let at = |key: &str| body[key].as_i64();
    (
        at("update_time_ge").unwrap_or(i64::MIN),
        at("update_time_lt").unwrap_or(i64::MAX),
    )
}

/// `page` with only its orders whose `update_time` is in `window` (byte for
/// byte) and `total_count` as given: a canned page answers any window the
/// way the API would, so a client that narrows its queries still reads
/// every order once.
fn within(page: &str, window: (i64, i64), total: usize) -> String {
    let Ok(parsed) = serde_json::from_str::<Page>(page) else {
        return page.to_owned();
    };
    let orders: Vec<String> = parsed
        .data
        .orders
        .iter()
        .filter(|o| (window.0..window.1).contains(&id_and_time(o).1))
        .map(|o| o.get().to_owned())
        .collect();
    let body = page_body(&parsed.request_id, &orders, &parsed.data.next_page_token);
    body.replacen(
        &format!("\"total_count\":{}", orders.len()),
        &format!("\"total_count\":{total}"),
        1,
    )
}

pub(super) fn request_id(shop: &str, page: usize) -> String {
    format!("202611250600{:02}{page:02}FAKE{}", shop.len(), &shop[..3])
}

pub(super) fn unix(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp()
}

/// Shop A: four orders a minute apart; shop B: one.
pub(super) fn two_shops() -> HashMap<String, Vec<String>> {
    let t = unix(SINCE);
    let a = |n: i64| {
        order(
            &format!("57646141303878{n:04}"),
            "AWAITING_SHIPMENT",
            t - 86_400 + n,
            t + 60 * n,
        )
    };
    HashMap::from([
        (SHOP_A.to_owned(), (1..=4).map(a).collect()),
        (
            SHOP_B.to_owned(),
            vec![order("576461413038789999", "DELIVERED", t - 1, t + 5)],
        ),
    ])
}
