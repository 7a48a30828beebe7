//! Integration tests of extract: the real `extract` binary against an API on
//! loopback. A small scripted fake (it checks every signature, serves the
//! official sample and injects exactly the failure a test names) pins the
//! client's behaviour; the sandbox gives realistic volumes and its own faults.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMillisecondType;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use tiktok_etl::api::sign::sign;
use tiktok_etl::api::{ApiClient, ApiConfig, Backoff, Credentials};
use tiktok_etl::run_id::RunId;
use tiktok_etl::sandbox::{Clock, Sandbox, SandboxConfig};
use tiktok_etl::schema::raw;
use tiktok_etl::secret::Secret;
use tiktok_etl::store::parquet_io::read_all;
use tiktok_etl::store::{RunLayout, Store};

use crate::util;

const APP_KEY: &str = "fake-app-key";
const APP_SECRET: &str = "fake-app-secret-0001";
const ACCESS_TOKEN: &str = "fake-access-token-0001";
const REFRESH_TOKEN: &str = "fake-refresh-token-0001";
const NEW_ACCESS_TOKEN: &str = "fake-access-token-0002";
const NEW_REFRESH_TOKEN: &str = "fake-refresh-token-0002";
const SECRETS: [&str; 5] = [
    APP_SECRET,
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
];

const RUN_ID: &str = "scheduled__2026-11-25T06:00:00+00:00";
const SINCE: &str = "2026-11-25T00:00:00Z";
const UNTIL: &str = "2026-11-25T06:00:00Z";
const SHOP_A: &str = "GCP_FAKE_SHOP_A";
const SHOP_B: &str = "ROW_FAKE_SHOP_B";

// ---------------------------------------------------------------------------
// The scripted fake API.

/// One canned HTTP answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    retry_after: Option<u64>,
}

impl Reply {
    fn error(status: u16, code: i64, message: &str) -> Reply {
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

    fn ok(body: String) -> Reply {
        Reply {
            status: 200,
            body,
            retry_after: None,
        }
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    raw_query: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: String,
    at: Instant,
}

impl Seen {
    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Tokens {
    access: String,
    expired: Vec<String>,
    refresh: String,
}

#[derive(Default)]
struct Fake {
    /// Search answers by (shop, page_token); unknown keys get an empty page.
    pages: HashMap<(String, Option<String>), String>,
    /// Served, in order, to signed requests before anything else is checked.
    faults: Mutex<VecDeque<Reply>>,
    tokens: Mutex<Option<Tokens>>,
    seen: Mutex<Vec<Seen>>,
}

impl Fake {
    fn new(pages: HashMap<(String, Option<String>), String>) -> Fake {
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

    fn with_faults(self, faults: impl IntoIterator<Item = Reply>) -> Fake {
        *self.faults.lock().unwrap() = faults.into_iter().collect();
        self
    }

    /// The configured access token is expired; a refresh issues new tokens.
    fn with_expired_token(self) -> Fake {
        if let Some(tokens) = self.tokens.lock().unwrap().as_mut() {
            tokens.expired.push(ACCESS_TOKEN.into());
            tokens.access = "not-issued-yet".into();
        }
        self
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn seen_at(&self, path: &str) -> Vec<Seen> {
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
                let key = (
                    param("shop_cipher").unwrap_or("").to_owned(),
                    param("page_token").map(str::to_owned),
                );
                Reply::ok(
                    self.pages
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| page_body("EMPTY", &[], "")),
                )
            }
            ("GET", "/authorization/202309/shops") => {
                Reply::ok(sample("authorization_202309_shops.response.json"))
            }
            _ => Reply::error(404, 36009009, "Invalid path"),
        }
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
async fn serve(fake: Arc<Fake>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(fake);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------
// Orders and pages.

fn sample(name: &str) -> String {
    let path = format!(
        "{}/../shared/reference/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An order object with deliberately irregular spacing, a non-ASCII and an
/// escaped character, so that any re-serialisation would show.
fn order(id: &str, status: &str, create: i64, update: i64) -> String {
    format!(
        "{{\"id\": \"{id}\",  \"status\":\"{status}\", \"create_time\": {create}, \"update_time\": {update},\n \
         \"payment\": {{\"currency\": \"GBP\", \"total_amount\": \"12.50\"}}, \"buyer_message\": \"caf\u{e9} \\\"ASAP\\\" \\u00e9\", \
         \"line_items\": [{{\"id\": \"{id}01\", \"sku_id\": \"1729\"}}]}}"
    )
}

fn page_body(request_id: &str, orders: &[String], next: &str) -> String {
    format!(
        "{{\"code\":0,\"message\":\"Success\",\"request_id\":\"{request_id}\",\"data\":{{\"next_page_token\":\"{next}\",\
         \"total_count\":{},\"orders\":[{}]}}}}",
        orders.len(),
        orders.join(", ")
    )
}

/// The pages of one shop: page `i` is served for the token page `i - 1`
/// handed out. Tokens hold `+`, `/` and `=` like the real ones.
fn paged(shop: &str, pages: &[Vec<String>]) -> Vec<((String, Option<String>), String)> {
    let token = |i: usize| format!("tok+{shop}/{i}==");
    (0..pages.len())
        .map(|i| {
            let next = if i + 1 < pages.len() {
                token(i + 1)
            } else {
                String::new()
            };
            let key = (shop.to_owned(), (i > 0).then(|| token(i)));
            (key, page_body(&request_id(shop, i), &pages[i], &next))
        })
        .collect()
}

fn request_id(shop: &str, page: usize) -> String {
    format!("202611250600{:02}{page:02}FAKE{}", shop.len(), &shop[..3])
}

fn unix(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp()
}

/// Shop A: three pages of two, with order 3 on pages 2 and 3 (kept twice);
/// shop B: one page of one.
fn two_shops() -> HashMap<(String, Option<String>), String> {
    let t = unix(SINCE);
    let a = |n: i64| {
        order(
            &format!("57646141303878{n:04}"),
            "AWAITING_SHIPMENT",
            t - 86_400 + n,
            t + 60 * n,
        )
    };
    let pages_a = [vec![a(1), a(2)], vec![a(3), a(4)], vec![a(3)]];
    let pages_b = [vec![order("576461413038789999", "DELIVERED", t - 1, t + 5)]];
    paged(SHOP_A, &pages_a)
        .into_iter()
        .chain(paged(SHOP_B, &pages_b))
        .collect()
}

// ---------------------------------------------------------------------------
// Running the binary and reading what it wrote.

fn extract_command(base_url: &str, store: &Path, shops: &[&str]) -> Command {
    let mut cmd = util::command("extract");
    cmd.env("TIKTOK_API_BASE_URL", base_url)
        .env("TIKTOK_AUTH_BASE_URL", base_url)
        .env("TIKTOK_APP_KEY", APP_KEY)
        .env("TIKTOK_APP_SECRET", APP_SECRET)
        .env("TIKTOK_ACCESS_TOKEN", ACCESS_TOKEN)
        .env("TIKTOK_API_RETRY_BASE_MS", "5")
        .arg("--store")
        .arg(store)
        .args([
            "--run-id",
            RUN_ID,
            "--since",
            SINCE,
            "--until",
            UNTIL,
            "--page-size",
            "2",
        ])
        .args(["--shop-cipher", &shops.join(",")]);
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || util::run(&mut cmd))
        .await
        .unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "a secret leaked: {secret}\n{text}");
    }
}

fn manifest_path(store: &Path) -> std::path::PathBuf {
    let segment = RunId::parse(RUN_ID).unwrap().segment();
    store
        .join("runs")
        .join(segment)
        .join("extract/_manifest.json")
}

fn manifest(store: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(manifest_path(store)).unwrap()).unwrap()
}

#[derive(Debug)]
struct Row {
    shop: String,
    order_id: String,
    status: Option<String>,
    create_ms: Option<i64>,
    update_ms: Option<i64>,
    extracted_ms: Option<i64>,
    request_id: Option<String>,
    payload: String,
}

async fn rows(store: &Path, run_id: &str, shop: &str) -> Vec<Row> {
    let store = Store::open(store.to_str().unwrap()).unwrap();
    let layout = RunLayout::new(&RunId::parse(run_id).unwrap());
    let batches = read_all(&store, &layout.extract_part(shop, 0), &raw::schema())
        .await
        .unwrap();
    let mut out = Vec::new();
    for batch in batches {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let time = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_primitive::<TimestampMillisecondType>()
                .clone()
        };
        let (shops, ids, statuses, requests) = (
            text("shop_cipher"),
            text("order_id"),
            text("order_status"),
            text("request_id"),
        );
        let (created, updated, extracted) = (
            time("create_time"),
            time("update_time"),
            time("extracted_at"),
        );
        let payloads = batch
            .column_by_name("payload")
            .unwrap()
            .as_string::<i64>()
            .clone();
        let opt_text = |a: &arrow::array::StringArray, i: usize| {
            (!a.is_null(i)).then(|| a.value(i).to_owned())
        };
        let opt_time = |a: &arrow::array::TimestampMillisecondArray, i: usize| {
            (!a.is_null(i)).then(|| a.value(i))
        };
        for i in 0..batch.num_rows() {
            out.push(Row {
                shop: shops.value(i).to_owned(),
                order_id: ids.value(i).to_owned(),
                status: opt_text(&statuses, i),
                create_ms: opt_time(&created, i),
                update_ms: opt_time(&updated, i),
                extracted_ms: opt_time(&extracted, i),
                request_id: opt_text(&requests, i),
                payload: payloads.value(i).to_owned(),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Against the fake: what the client sends and writes.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_writes_every_order_of_every_shop_then_the_manifest() {
    let fake = Arc::new(Fake::new(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let before = Utc::now().timestamp_millis();

    let output = run(extract_command(&base, &store, &[SHOP_A, SHOP_B])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let summary = util::summary(&output);
    assert_eq!(
        (summary["stage"].as_str(), summary["rows_out"].as_u64()),
        (Some("extract"), Some(6))
    );
    assert_eq!(summary["run_id"], RUN_ID);

    let a = rows(&store, RUN_ID, SHOP_A).await;
    let ids: Vec<&str> = a.iter().map(|r| r.order_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "576461413038780001",
            "576461413038780002",
            "576461413038780003",
            "576461413038780004",
            "576461413038780003"
        ],
        "every order in API order, the repeated one kept twice"
    );
    let t = unix(SINCE);
    let first = &a[0];
    assert_eq!(first.shop, SHOP_A);
    assert_eq!(first.status.as_deref(), Some("AWAITING_SHIPMENT"));
    assert_eq!(first.create_ms, Some((t - 86_400 + 1) * 1000));
    assert_eq!(first.update_ms, Some((t + 60) * 1000));
    assert_eq!(
        first.payload,
        order(
            "576461413038780001",
            "AWAITING_SHIPMENT",
            t - 86_400 + 1,
            t + 60
        )
    );
    assert!(first.extracted_ms.unwrap() >= before);
    let request_ids: Vec<&str> = a.iter().map(|r| r.request_id.as_deref().unwrap()).collect();
    let page = |i| request_id(SHOP_A, i);
    assert_eq!(request_ids, [page(0), page(0), page(1), page(1), page(2)]);
    let b = rows(&store, RUN_ID, SHOP_B).await;
    assert_eq!(b.len(), 1);
    assert_eq!(
        (
            b[0].shop.as_str(),
            b[0].order_id.as_str(),
            b[0].status.as_deref()
        ),
        (SHOP_B, "576461413038789999", Some("DELIVERED"))
    );

    let m = manifest(&store);
    assert_eq!(m["stage"], "extract");
    assert_eq!(m["run_id"], RUN_ID);
    assert_eq!(
        m["window"],
        json!({"since": "2026-11-25T00:00:00Z", "until": "2026-11-25T06:00:00Z"})
    );
    assert_eq!(m["shops"], json!([SHOP_A, SHOP_B]));
    assert_eq!(
        (m["rows_in"].as_u64(), m["rows_out"].as_u64()),
        (Some(6), Some(6))
    );
    assert_eq!(
        m["counters"],
        json!({"pages": 4, "api_requests": 4, "retries": 0, "token_refreshes": 0})
    );
    let files = m["files"].as_array().unwrap();
    let segment = RunId::parse(RUN_ID).unwrap().segment();
    assert_eq!(
        files[0]["path"],
        format!("runs/{segment}/extract/shop={SHOP_A}/part-00000.parquet")
    );
    assert_eq!(
        (files[0]["rows"].as_u64(), files[1]["rows"].as_u64()),
        (Some(5), Some(1))
    );
    let on_disk = std::fs::metadata(store.join(files[1]["path"].as_str().unwrap()))
        .unwrap()
        .len();
    assert_eq!(files[1]["bytes"].as_u64(), Some(on_disk));

    // What went over the wire.
    let searches = fake.seen_at("/order/202309/orders/search");
    assert_eq!(searches.len(), 4);
    let body = format!(
        "{{\"update_time_ge\":{},\"update_time_lt\":{}}}",
        unix(SINCE),
        unix(UNTIL)
    );
    for s in &searches {
        assert_eq!(s.method, "POST");
        assert_eq!(s.body, body);
        assert_eq!(
            (
                s.param("page_size"),
                s.param("sort_field"),
                s.param("sort_order")
            ),
            (Some("2"), Some("update_time"), Some("ASC"))
        );
        assert_eq!(s.header("x-tts-access-token"), Some(ACCESS_TOKEN));
        assert_eq!(s.header("content-type"), Some("application/json"));
        assert!(
            s.header("user-agent")
                .unwrap()
                .starts_with("tiktok-shop-etl/"),
            "{:?}",
            s.headers
        );
    }
    assert_eq!(
        searches[0].param("page_token"),
        None,
        "no token on the first page"
    );
    assert_eq!(
        searches[1].param("page_token"),
        Some(format!("tok+{SHOP_A}/1==").as_str())
    );
    assert!(
        searches[1]
            .raw_query
            .contains(&format!("page_token=tok%2B{SHOP_A}%2F1%3D%3D")),
        "{}",
        searches[1].raw_query
    );
    let stderr = util::stderr(&output);
    assert!(
        stderr.contains("fetched a page of orders") && stderr.contains("rate_per_s"),
        "{stderr}"
    );
    assert_no_secret(&stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_sample_order_is_stored_byte_for_byte() {
    let text = sample("order_202309_orders_search.response.json");
    let doc_token =
        "6AsPQsUMvH3RkchNUPPh22NROHkE0D8pmq/N5M1kHYcZmtRyv9aVrNv65W7Q6tFA+7D1ud64MPNz5OaT";
    let pages = HashMap::from([
        ((SHOP_A.to_owned(), None), text.clone()),
        (
            (SHOP_A.to_owned(), Some(doc_token.to_owned())),
            page_body("LASTPAGE", &[], ""),
        ),
    ]);
    let fake = Arc::new(Fake::new(pages));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let rows = rows(&store, RUN_ID, SHOP_A).await;
    assert_eq!(rows.len(), 1);
    let start = text
        .find("{\n        \"id\": \"576461413038785752\"")
        .unwrap();
    let end_marker = "\"instore_pickup_sla_time\": 1784090976\n      }";
    let end = text.find(end_marker).unwrap() + end_marker.len();
    assert_eq!(
        rows[0].payload,
        text[start..end],
        "the payload is the object's exact bytes"
    );
    assert_eq!(rows[0].order_id, "576461413038785752");
    assert_eq!(
        rows[0].request_id.as_deref(),
        Some("202203070749000101890810281E8C70B7")
    );
    assert_eq!(rows[0].create_ms, Some(1_619_611_561_000));
    assert_eq!(rows[0].update_ms, Some(1_619_621_355_000));
    // The doc's token (with `+` and `/`) went back signed raw, encoded on the wire.
    let searches = fake.seen_at("/order/202309/orders/search");
    assert_eq!(searches.len(), 2);
    assert_eq!(searches[1].param("page_token"), Some(doc_token));
    assert!(
        searches[1].raw_query.contains("pmq%2FN5M1k")
            && searches[1].raw_query.contains("tFA%2B7D1"),
        "{}",
        searches[1].raw_query
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_window_writes_an_empty_but_valid_file_per_shop() {
    let absent =
        r#"{"code":0,"message":"Success","request_id":"R-ABSENT","data":{"total_count":0}}"#;
    let empty = r#"{"code":0,"message":"Success","request_id":"R-EMPTY","data":{"orders":[],"next_page_token":"","total_count":0}}"#;
    let pages = HashMap::from([
        ((SHOP_A.to_owned(), None), absent.to_owned()),
        ((SHOP_B.to_owned(), None), empty.to_owned()),
    ]);
    let base = serve(Arc::new(Fake::new(pages))).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A, SHOP_B])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    assert_eq!(util::summary(&output)["rows_out"], 0);
    for shop in [SHOP_A, SHOP_B] {
        assert!(rows(&store, RUN_ID, shop).await.is_empty(), "{shop}");
    }
    let m = manifest(&store);
    assert_eq!(m["files"].as_array().unwrap().len(), 2);
    assert!(
        m["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rows"] == 0 && f["bytes"].as_u64().unwrap() > 0)
    );
    assert_eq!(m["counters"]["pages"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_and_503_are_waited_out_then_the_run_succeeds() {
    let mut limited = Reply::error(
        429,
        36009002,
        "Too many requests. You've made too many requests in a short period of time.",
    );
    limited.retry_after = Some(1);
    let unavailable = Reply {
        status: 503,
        body: "Service Unavailable".into(),
        retry_after: None,
    };
    let fake = Arc::new(Fake::new(two_shops()).with_faults([limited, unavailable]));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A, SHOP_B])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 0, "{stderr}");
    assert_eq!(rows(&store, RUN_ID, SHOP_A).await.len(), 5);
    let m = manifest(&store);
    assert_eq!(
        m["counters"],
        json!({"pages": 4, "api_requests": 6, "retries": 2, "token_refreshes": 0})
    );
    let searches = fake.seen_at("/order/202309/orders/search");
    assert!(
        searches[1].at - searches[0].at >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    let stamp = |s: &Seen| s.param("timestamp").unwrap().parse::<i64>().unwrap();
    assert!(
        stamp(&searches[1]) > stamp(&searches[0]),
        "every retry is re-stamped"
    );
    assert_ne!(
        searches[0].param("sign"),
        searches[1].param("sign"),
        "and re-signed"
    );
    assert!(
        stderr.contains("rate limited") && stderr.contains("36009002"),
        "{stderr}"
    );
    assert!(stderr.contains("HTTP 503"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_once_and_no_token_is_printed() {
    let fake = Arc::new(Fake::new(two_shops()).with_expired_token());
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A, SHOP_B]);
    cmd.env("TIKTOK_REFRESH_TOKEN", REFRESH_TOKEN);

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 0, "{stderr}");
    assert_eq!(rows(&store, RUN_ID, SHOP_A).await.len(), 5);
    assert_eq!(manifest(&store)["counters"]["token_refreshes"], 1);
    let seen = fake.seen();
    let paths: Vec<&str> = seen.iter().take(3).map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/order/202309/orders/search",
            "/api/v2/token/refresh",
            "/order/202309/orders/search"
        ]
    );
    assert_eq!(seen[1].method, "GET");
    assert_eq!(seen[1].param("grant_type"), Some("refresh_token"));
    assert!(
        seen[1].param("sign").is_none(),
        "the token API is not signed"
    );
    assert!(
        seen[2..]
            .iter()
            .all(|s| s.header("x-tts-access-token") == Some(NEW_ACCESS_TOKEN)),
        "the new token is kept"
    );
    assert_eq!(
        fake.seen_at("/api/v2/token/refresh").len(),
        1,
        "refreshed once for the whole run"
    );
    assert!(
        stderr.contains("access token refreshed") && stderr.contains("expires_at"),
        "{stderr}"
    );
    assert!(
        stderr.contains("WARN")
            && stderr.contains("new refresh token")
            && stderr.contains("TIKTOK_REFRESH_TOKEN"),
        "{stderr}"
    );
    assert_no_secret(&stderr);
    assert_no_secret(&util::stdout(&output));
    assert_no_secret(&std::fs::read_to_string(manifest_path(&store)).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_without_a_refresh_token_exits_2_saying_which_variable_to_set() {
    let fake = Arc::new(Fake::new(two_shops()).with_expired_token());
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("access token expired") && stderr.contains("TIKTOK_REFRESH_TOKEN"),
        "{stderr}"
    );
    assert!(
        stderr.contains("105002") && stderr.contains("request_id 20261125060000FAKEERR"),
        "{stderr}"
    );
    assert_eq!(fake.seen().len(), 1, "no refresh attempted, no retries");
    assert!(!manifest_path(&store).exists());
    assert_no_secret(&stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_app_secret_exits_2_at_once_naming_the_variable() {
    let fake = Arc::new(Fake::new(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A]);
    cmd.env("TIKTOK_APP_SECRET", "wrong-app-secret-9999")
        .env("TIKTOK_API_RETRY_BASE_MS", "2000");

    let started = Instant::now();
    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no backoff for a fatal error"
    );
    assert_eq!(fake.seen().len(), 1, "not retried");
    assert!(
        stderr.contains("106001") && stderr.contains("TIKTOK_APP_SECRET"),
        "{stderr}"
    );
    assert!(
        stderr.contains("request_id 20261125060000FAKEERR") && stderr.contains("Invalid sign"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-app-secret-9999"), "{stderr}");
    assert!(!manifest_path(&store).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_access_token_exits_2_without_showing_it() {
    let fake = Arc::new(Fake::new(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A]);
    cmd.env("TIKTOK_ACCESS_TOKEN", "TTP_not_a_valid_token_777");

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("access token invalid") && stderr.contains("TIKTOK_ACCESS_TOKEN"),
        "{stderr}"
    );
    assert!(stderr.contains("36009004"), "{stderr}");
    assert!(!stderr.contains("TTP_not_a_valid_token_777"), "{stderr}");
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_timestamp_is_restamped_once_then_blamed_on_the_clock() {
    let skewed = || {
        Reply::error(
            400,
            36009004,
            "Invalid timestamp. The timestamp is more than 5 minutes old.",
        )
    };

    let fake = Arc::new(Fake::new(two_shops()).with_faults([skewed()]));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    assert_eq!(manifest(&store)["counters"]["retries"], 1);

    let fake = Arc::new(Fake::new(two_shops()).with_faults([skewed(), skewed()]));
    let base = serve(fake.clone()).await;
    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("system clock") && stderr.contains("Invalid timestamp"),
        "{stderr}"
    );
    assert_eq!(fake.seen().len(), 2);
    assert!(
        !manifest_path(&store).exists(),
        "the failed re-run removed the old manifest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fatal_api_codes_exit_2_with_what_to_do() {
    let cases = [
        (
            Reply::error(
                200,
                105005,
                "Access denied: the app lacks the required scope",
            ),
            "seller.order.info",
        ),
        (
            Reply::error(
                200,
                101000,
                "The shop_cipher does not match the access token",
            ),
            "TIKTOK_SHOP_CIPHER",
        ),
        (
            Reply::error(403, 36009033, "IP address is not in the allow list"),
            "IP allow-list",
        ),
        (
            Reply::error(400, 36009004, "Invalid app_key"),
            "TIKTOK_APP_KEY",
        ),
        (
            Reply {
                status: 404,
                body: "<html>Not Found</html>".into(),
                retry_after: None,
            },
            "TIKTOK_API_BASE_URL",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for (reply, advice) in cases {
        let fake = Arc::new(Fake::new(two_shops()).with_faults([reply.clone()]));
        let base = serve(fake.clone()).await;
        let output = run(extract_command(&base, &store, &[SHOP_A])).await;
        let stderr = util::stderr(&output);
        assert_eq!(code(&output), 2, "{}: {stderr}", reply.body);
        assert!(stderr.contains(advice), "{advice}: {stderr}");
        assert_eq!(fake.seen().len(), 1, "{advice}: not retried");
        assert_no_secret(&stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_api_exits_1_after_five_retries() {
    let unavailable = Reply {
        status: 503,
        body: "upstream connect error".into(),
        retry_after: None,
    };
    let fake = Arc::new(Fake::new(two_shops()).with_faults(vec![unavailable; 20]));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 1, "{stderr}");
    assert_eq!(fake.seen().len(), 6, "one attempt and five retries");
    assert!(
        stderr.contains("gave up after 6 attempts") && stderr.contains("HTTP 503"),
        "{stderr}"
    );
    assert!(stderr.contains("retrying may succeed"), "{stderr}");
    assert!(!manifest_path(&store).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_exits_1() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 1, "{stderr}");
    assert!(
        stderr.contains("cannot connect to") && stderr.contains(&base),
        "{stderr}"
    );
    assert!(stderr.contains("gave up after 6 attempts"), "{stderr}");
    assert!(!manifest_path(&store).exists());
    assert_no_secret(&stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_app_secret_exits_2_naming_it_and_writes_nothing() {
    let fake = Arc::new(Fake::new(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A]);
    cmd.env_remove("TIKTOK_APP_SECRET");

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("TIKTOK_APP_SECRET") && stderr.contains("not set"),
        "{stderr}"
    );
    assert!(
        !store.exists(),
        "nothing written: {:?}",
        util::files_under(&store)
    );
    assert!(fake.seen().is_empty(), "no request sent");
    assert!(util::stdout(&output).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_token_served_twice_stops_the_run_instead_of_looping() {
    let t = unix(SINCE);
    let loop_token = "same+token/==";
    let pages = HashMap::from([
        (
            (SHOP_A.to_owned(), None),
            page_body("P1", &[order("1", "UNPAID", t, t)], loop_token),
        ),
        (
            (SHOP_A.to_owned(), Some(loop_token.to_owned())),
            page_body("P2", &[order("2", "UNPAID", t, t)], loop_token),
        ),
    ]);
    let fake = Arc::new(Fake::new(pages));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("already used") && stderr.contains("request_id P2"),
        "{stderr}"
    );
    assert_eq!(fake.seen().len(), 2);
    assert!(!manifest_path(&store).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_replaces_the_earlier_output() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let base = serve(Arc::new(Fake::new(two_shops()))).await;
    let output = run(extract_command(&base, &store, &[SHOP_A, SHOP_B])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));

    let t = unix(SINCE);
    let pages = HashMap::from([(
        (SHOP_A.to_owned(), None),
        page_body("ONLY", &[order("42", "COMPLETED", t, t)], ""),
    )]);
    let base = serve(Arc::new(Fake::new(pages))).await;
    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let ids: Vec<String> = rows(&store, RUN_ID, SHOP_A)
        .await
        .into_iter()
        .map(|r| r.order_id)
        .collect();
    assert_eq!(ids, ["42"]);
    let run_dir = store
        .join("runs")
        .join(RunId::parse(RUN_ID).unwrap().segment());
    assert_eq!(
        util::files_under(&run_dir),
        [
            "extract/_manifest.json",
            &format!("extract/shop={SHOP_A}/part-00000.parquet")
        ]
    );
    assert_eq!(manifest(&store)["shops"], json!([SHOP_A]));
}

// ---------------------------------------------------------------------------
// The client as a library.

fn client(base: &str) -> ApiClient {
    let credentials = Credentials {
        app_key: APP_KEY.into(),
        app_secret: Secret::new(APP_SECRET),
        access_token: Secret::new(ACCESS_TOKEN),
        refresh_token: Some(Secret::new(REFRESH_TOKEN)),
    };
    let config = ApiConfig {
        base_url: base.into(),
        auth_base_url: base.into(),
        credentials,
    };
    ApiClient::new(config).unwrap().with_backoff(Backoff {
        base: Duration::from_millis(5),
        ..Backoff::default()
    })
}

#[tokio::test]
async fn authorized_shops_are_read_with_a_signed_get_without_shop_cipher() {
    let fake = Arc::new(Fake::new(HashMap::new()));
    let base = serve(fake.clone()).await;
    let shops = client(&base).authorized_shops().await.unwrap();
    assert_eq!(shops.len(), 1);
    assert_eq!(
        (shops[0].cipher.as_str(), shops[0].name.as_str()),
        ("GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3", "Maomao beauty shop")
    );
    assert_eq!(
        (shops[0].region.as_str(), shops[0].seller_type.as_str()),
        ("GB", "CROSS_BORDER")
    );
    let seen = fake.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/authorization/202309/shops")
    );
    assert!(seen[0].param("shop_cipher").is_none() && seen[0].body.is_empty());
}

#[tokio::test]
async fn search_pages_and_stats_through_the_library() {
    let fake = Arc::new(Fake::new(two_shops()).with_faults([Reply {
        status: 502,
        body: String::new(),
        retry_after: None,
    }]));
    let base = serve(fake.clone()).await;
    let api = client(&base);
    let window = tiktok_etl::manifest::Window {
        since: DateTime::parse_from_rfc3339(SINCE).unwrap().to_utc(),
        until: DateTime::parse_from_rfc3339(UNTIL).unwrap().to_utc(),
    };
    let first = api.search_orders(SHOP_A, &window, None, 2).await.unwrap();
    assert_eq!(first.orders.len(), 2);
    assert_eq!(first.request_id, request_id(SHOP_A, 0));
    let token = first.next_page_token.unwrap();
    assert_eq!(token, format!("tok+{SHOP_A}/1=="));
    let second = api
        .search_orders(SHOP_A, &window, Some(&token), 2)
        .await
        .unwrap();
    assert_eq!(second.orders[0].id, "576461413038780003");
    assert_eq!(second.total_count, Some(2));
    let stats = api.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.token_refreshes),
        (3, 1, 0)
    );
}

// ---------------------------------------------------------------------------
// Against the sandbox: realistic volumes and its fault injection.

fn sandbox_command(
    sandbox: &Sandbox,
    store: &Path,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Command {
    let config = sandbox.config();
    let mut cmd = util::command("extract");
    cmd.env("TIKTOK_API_BASE_URL", sandbox.base_url())
        .env("TIKTOK_AUTH_BASE_URL", sandbox.base_url())
        .env("TIKTOK_APP_KEY", &config.app_key)
        .env("TIKTOK_APP_SECRET", &config.app_secret)
        .env("TIKTOK_ACCESS_TOKEN", &config.access_token)
        .env("TIKTOK_REFRESH_TOKEN", &config.refresh_token)
        .env("TIKTOK_SHOP_CIPHER", config.shops.join(","))
        .env("TIKTOK_API_RETRY_BASE_MS", "5")
        .arg("--store")
        .arg(store)
        .args([
            "--run-id",
            RUN_ID,
            "--since",
            &since.to_rfc3339(),
            "--until",
            &until.to_rfc3339(),
        ]);
    cmd
}

fn frozen() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T06:00:00Z")
        .unwrap()
        .to_utc()
}

async fn check_against_sandbox(
    sandbox: &Sandbox,
    store: &Path,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> u64 {
    let mut total = 0;
    for shop in &sandbox.config().shops {
        let expected = sandbox.expected(shop, since, until).orders;
        let rows = rows(store, RUN_ID, shop).await;
        assert_eq!(rows.len() as u64, expected, "{shop}");
        for row in &rows {
            let payload: Value = serde_json::from_str(&row.payload).unwrap();
            assert_eq!(
                payload["id"].as_str(),
                Some(row.order_id.as_str()),
                "ids are strings, kept as sent"
            );
            assert_eq!(payload["status"].as_str(), row.status.as_deref());
            assert_eq!(
                payload["update_time"].as_i64().map(|s| s * 1000),
                row.update_ms
            );
            assert_eq!(&row.shop, shop);
        }
        total += expected;
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_orders_are_all_extracted() {
    let config = SandboxConfig {
        clock: Clock::Frozen(frozen()),
        orders_per_day: 120,
        history_days: 10,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (since, until) = (frozen() - chrono::Duration::days(2), frozen());

    let output = run(sandbox_command(&sandbox, &store, since, until)).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let total = check_against_sandbox(&sandbox, &store, since, until).await;
    assert!(total > 100, "a realistic window: {total}");
    let m = manifest(&store);
    assert_eq!(m["rows_out"].as_u64(), Some(total));
    assert_eq!(
        m["counters"]["pages"].as_u64(),
        Some(sandbox.stats().pages_served)
    );
    assert_eq!(sandbox.stats().signature_failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_faults_are_survived() {
    let config = SandboxConfig {
        clock: Clock::Frozen(frozen()),
        orders_per_day: 120,
        history_days: 10,
        fail_first_n: 2,
        fail_every_n: Some(7),
        expire_token_after_requests: Some(4),
        rotate_refresh_token: true,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (since, until) = (frozen() - chrono::Duration::days(2), frozen());
    let mut cmd = sandbox_command(&sandbox, &store, since, until);
    cmd.args(["--page-size", "50"]);

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 0, "{stderr}");
    let total = check_against_sandbox(&sandbox, &store, since, until).await;
    let m = manifest(&store);
    assert_eq!(m["rows_out"].as_u64(), Some(total));
    let stats = sandbox.stats();
    assert!(stats.injected_failures >= 2, "{stats:?}");
    assert!(
        m["counters"]["retries"].as_u64().unwrap() >= stats.injected_failures,
        "{m}"
    );
    assert!(stats.token_refreshes >= 1, "{stats:?}");
    assert_eq!(
        m["counters"]["token_refreshes"].as_u64(),
        Some(stats.token_refreshes)
    );
    for secret in [
        "sandbox-app-secret",
        "sandbox-access-token",
        "sandbox-refresh-token",
    ] {
        assert!(!stderr.contains(secret), "{secret} leaked:\n{stderr}");
    }
    assert!(
        !stderr.contains(&sandbox.access_token()),
        "the refreshed token leaked"
    );
}
