//! Integration tests of extract: the real `extract` binary against an API on
//! loopback. A small scripted fake ([`fake_api`]) pins the client's exact
//! behaviour; the sandbox ([`with_sandbox`]) gives realistic volumes and its
//! own faults. Every test checks what was written (Parquet rows, payload
//! bytes, the manifest) or said (exit code, stderr), not only that it ran.

mod failures;
mod fake_api;
mod live;
mod with_sandbox;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMillisecondType;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use tiktok_etl::run_id::RunId;
use tiktok_etl::schema::raw;
use tiktok_etl::store::parquet_io::read_all;
use tiktok_etl::store::{RunLayout, Store};
use tiktok_shop_api::secret::Secret;
use tiktok_shop_api::{ApiClient, ApiConfig, Backoff, Credentials};

use crate::util;
use fake_api::*;

const RUN_ID: &str = "scheduled__2026-11-25T06:00:00+00:00";
const SINCE: &str = "2026-11-25T00:00:00Z";
const UNTIL: &str = "2026-11-25T06:00:00Z";
const SHOP_A: &str = "GCP_FAKE_SHOP_A";
const SHOP_B: &str = "ROW_FAKE_SHOP_B";

// ---------------------------------------------------------------------------
// Running the binary and reading what it wrote.

fn extract_command(base_url: &str, store: &Path, shops: &[&str]) -> Command {
    extract_window(base_url, store, shops, SINCE, UNTIL)
}

fn extract_window(
    base_url: &str,
    store: &Path,
    shops: &[&str],
    since: &str,
    until: &str,
) -> Command {
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
            since,
            "--until",
            until,
            "--page-size",
            "2",
            // One worker per shop: the requests come in one order, so the
            // tests can name them (the sandbox tests run many).
            "--workers-per-shop",
            "1",
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
    let batches = read_all(
        &store,
        &layout.extract_part(&tiktok_etl::shop::ShopCipher::parse(shop).unwrap(), 0),
        &raw::schema(),
    )
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
    let fake = Arc::new(Fake::listing(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let before = Utc::now().timestamp_millis();

    let output = run(extract_command(&base, &store, &[SHOP_A, SHOP_B])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let summary = util::summary(&output);
    assert_eq!(
        (summary["stage"].as_str(), summary["rows_out"].as_u64()),
        (Some("extract"), Some(5))
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
            "576461413038780004"
        ],
        "every order once, in API order (the boundary order read again is dropped)"
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
    // Each query starts again from the newest update_time of the page
    // before: a1 a2 | (a2) a3 | (a3) a4.
    assert_eq!(request_ids, [page(0), page(0), page(1), page(2)]);

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
        (Some(5), Some(5))
    );
    let c = &m["counters"];
    assert_eq!(
        [
            &c["pages"],
            &c["api_requests"],
            &c["retries"],
            &c["token_refreshes"],
            &c["duplicates_dropped"]
        ],
        // Four pages and, for shop A (its first page showed more to read),
        // one query for orders after the window.
        [4, 5, 0, 0, 2],
        "{c}"
    );
    let a = &c["shops"][SHOP_A];
    assert_eq!(
        [
            &a["orders"],
            &a["pages"],
            &a["total_count"],
            &a["slices"],
            &a["duplicates_dropped"]
        ],
        [4, 3, 4, 1, 2],
        "{a}"
    );
    let files = m["files"].as_array().unwrap();
    let segment = RunId::parse(RUN_ID).unwrap().segment();
    assert_eq!(
        files[0]["path"],
        format!("runs/{segment}/extract/shop={SHOP_A}/part-00000.parquet")
    );
    assert_eq!(
        (files[0]["rows"].as_u64(), files[1]["rows"].as_u64()),
        (Some(4), Some(1))
    );
    let on_disk = std::fs::metadata(store.join(files[1]["path"].as_str().unwrap()))
        .unwrap()
        .len();
    assert_eq!(files[1]["bytes"].as_u64(), Some(on_disk));

    // What went over the wire: shop A's queries each start again from the
    // newest update_time of the page before, without a page token.
    let (past_end, searches): (Vec<_>, Vec<_>) = fake
        .seen_at("/order/202309/orders/search")
        .into_iter()
        .partition(|s| search_window(s.body.as_bytes()).0 == unix(UNTIL));
    assert_eq!(searches.len(), 4);
    // Shop A's first page showed more to read: one order updated after
    // the window was asked for, to learn the API's clock had passed it.
    assert_eq!(past_end.len(), 1);
    assert_eq!(past_end[0].param("shop_cipher"), Some(SHOP_A));
    assert_eq!(past_end[0].param("page_size"), Some("1"));
    let body = |since: i64| {
        format!(
            "{{\"update_time_ge\":{since},\"update_time_lt\":{}}}",
            unix(UNTIL)
        )
    };
    let a_bodies: Vec<&str> = searches
        .iter()
        .filter(|s| s.param("shop_cipher") == Some(SHOP_A))
        .map(|s| s.body.as_str())
        .collect();
    assert_eq!(a_bodies, [body(t), body(t + 120), body(t + 180)]);
    for s in &searches {
        assert_eq!(s.method, "POST");
        assert_eq!(s.param("page_token"), None, "no token across queries");
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
    let stderr = util::stderr(&output);
    assert!(
        stderr.contains("shop done") && stderr.contains("extract finished"),
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

    // The window of the sample order's update_time (2021-04-28T14:49:15Z).
    let since = "2021-04-28T00:00:00Z";
    let until = "2021-04-29T00:00:00Z";
    let output = run(extract_window(&base, &store, &[SHOP_A], since, until)).await;
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
    // (The page is a whole second's worth with a token on: that second is
    // read with its tokens.)
    let searches = fake.seen_at("/order/202309/orders/search");
    let with_token: Vec<&Seen> = searches
        .iter()
        .filter(|s| s.param("page_token").is_some())
        .collect();
    assert!(!with_token.is_empty(), "the doc's token was followed");
    for s in with_token {
        assert_eq!(s.param("page_token"), Some(doc_token));
        assert!(
            s.raw_query.contains("pmq%2FN5M1k") && s.raw_query.contains("tFA%2B7D1"),
            "{}",
            s.raw_query
        );
    }
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
async fn a_rerun_replaces_the_earlier_output() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let base = serve(Arc::new(Fake::listing(two_shops()))).await;
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
    let fake = Arc::new(Fake::listing(two_shops()).with_faults([Reply {
        status: 502,
        body: String::new(),
        retry_after: None,
    }]));
    let base = serve(fake.clone()).await;
    let api = client(&base);
    let window = tiktok_shop_api::Window {
        since: DateTime::parse_from_rfc3339(SINCE).unwrap().to_utc(),
        until: DateTime::parse_from_rfc3339(UNTIL).unwrap().to_utc(),
    };
    let first = api.search_orders(SHOP_A, &window, None, 2).await.unwrap();
    assert_eq!(first.orders.len(), 2);
    assert_eq!(first.request_id, request_id(SHOP_A, 0));
    let token = first.next_page_token.unwrap();
    assert_eq!(token, format!("tok+{SHOP_A}/2=="));
    let second = api
        .search_orders(SHOP_A, &window, Some(&token), 2)
        .await
        .unwrap();
    assert_eq!(second.orders[0].id, "576461413038780003");
    assert_eq!(second.total_count, Some(4));
    let stats = api.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.token_refreshes),
        (3, 1, 0)
    );
}
