//! The gateway rules: signature, timestamp, token, shop cipher, paths,
//! parameters, and the authorized-shops endpoint.

use reqwest::Method;
use tiktok_shop_api::sign::sign;

use crate::util::{Client, SEARCH, frozen, frozen_now, start, week_body};

const SHOP: &str = "GCP_SANDBOX_SHOP_0001";

#[tokio::test]
async fn a_wrong_signature_is_401_106001() {
    let sandbox = start(frozen(|_| {})).await;
    let mut client = Client::new(&sandbox);
    client.app_secret = "not-the-secret".into();
    let answer = client.search(SHOP, "10", None, "").await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (401, 106_001),
        "{}",
        answer.body
    );
    assert!(answer.body["data"].is_null());
    // The body is signed as sent: sign one body, send another.
    let client = Client::new(&sandbox);
    let query = client.signed_query(
        SEARCH,
        &[("shop_cipher", SHOP), ("page_size", "10")],
        Some(b"{}"),
    );
    let answer = client.send(Method::POST, SEARCH, &query, Some("{ }")).await;
    assert_eq!(answer.code(), 106_001);
    assert_eq!(sandbox.stats().signature_failures, 2);
}

#[tokio::test]
async fn an_unencoded_plus_in_the_page_token_fails_the_signature() {
    let sandbox = start(frozen(|_| {})).await;
    let client = Client::new(&sandbox);
    let body = week_body(frozen_now(), 1);
    let first = client.search(SHOP, "20", None, &body).await;
    let token = first.body["data"]["next_page_token"]
        .as_str()
        .expect("a next page")
        .to_owned();
    assert!(token.contains('+'), "{token}");
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let query = [
        ("app_key", "sandbox-app-key"),
        ("timestamp", timestamp.as_str()),
        ("shop_cipher", SHOP),
        ("page_size", "20"),
        ("sort_field", "update_time"),
        ("sort_order", "ASC"),
    ];
    let with_token = [&query[..], &[("page_token", token.as_str())]].concat();
    let signature = sign(
        "sandbox-app-secret",
        SEARCH,
        &with_token,
        Some(body.as_bytes()),
    );
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let escaped: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    // The token pasted into the URL as is: its `+` arrives as a space.
    let raw = format!("{encoded}&page_token={token}&sign={signature}");
    let answer = client.send(Method::POST, SEARCH, &raw, Some(&body)).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (401, 106_001),
        "{}",
        answer.body
    );
    let good = format!("{encoded}&page_token={escaped}&sign={signature}");
    let answer = client.send(Method::POST, SEARCH, &good, Some(&body)).await;
    assert_eq!(
        answer.code(),
        0,
        "percent-encoded, the same token works: {}",
        answer.body
    );
}

#[tokio::test]
async fn timestamps_outside_the_window_are_36009004() {
    let sandbox = start(frozen(|_| {})).await;
    let mut client = Client::new(&sandbox);
    for offset in [-400, 60] {
        client.timestamp = Some(chrono::Utc::now().timestamp() + offset);
        let answer = client.search(SHOP, "10", None, "").await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (400, 36_009_004),
            "{}",
            answer.body
        );
        assert!(
            answer.message().contains("timestamp"),
            "{}",
            answer.message()
        );
    }
    client.timestamp = Some(chrono::Utc::now().timestamp() - 200);
    assert_eq!(client.search(SHOP, "10", None, "").await.code(), 0);
}

#[tokio::test]
async fn a_wrong_access_token_or_app_key_is_36009004() {
    let sandbox = start(frozen(|_| {})).await;
    let mut client = Client::new(&sandbox);
    client.access_token = "TTP_wrong".into();
    let answer = client.search(SHOP, "10", None, "").await;
    assert_eq!(answer.code(), 36_009_004);
    assert!(
        answer.message().contains("x-tts-access-token"),
        "{}",
        answer.message()
    );
    let mut client = Client::new(&sandbox);
    client.app_key = "someone-else".into();
    let answer = client.search(SHOP, "10", None, "").await;
    assert_eq!((answer.status.as_u16(), answer.code()), (400, 36_009_004));
    assert!(answer.message().contains("app_key"));
}

#[tokio::test]
async fn shop_ciphers_are_required_known_and_only_on_shop_apis() {
    let sandbox = start(frozen(|_| {})).await;
    let client = Client::new(&sandbox);
    let query = client.signed_query(SEARCH, &[("page_size", "10")], None);
    assert_eq!(
        client.send(Method::POST, SEARCH, &query, None).await.code(),
        106_013
    );
    assert_eq!(
        client
            .search("ROW_NOT_AUTHORIZED", "10", None, "")
            .await
            .code(),
        101_000
    );
    assert_eq!(
        client.search("garbage", "10", None, "").await.code(),
        36_009_004
    );
    let answer = client.shops(&[("shop_cipher", SHOP)]).await;
    assert_eq!(answer.code(), 36_009_004);
    assert!(answer.message().contains("shop_cipher"));
}

#[tokio::test]
async fn the_shops_endpoint_lists_the_configured_shops() {
    let sandbox = start(frozen(|_| {})).await;
    let answer = Client::new(&sandbox).shops(&[]).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (200, 0),
        "{}",
        answer.body
    );
    let shops = answer.body["data"]["shops"]
        .as_array()
        .expect("shops")
        .clone();
    let ciphers: Vec<&str> = shops.iter().filter_map(|s| s["cipher"].as_str()).collect();
    assert_eq!(ciphers, ["GCP_SANDBOX_SHOP_0001", "ROW_SANDBOX_SHOP_0002"]);
    assert_eq!(shops[0]["seller_type"], "CROSS_BORDER");
    for key in ["id", "name", "region", "code"] {
        assert!(shops.iter().all(|s| s[key].is_string()), "{key}");
    }
}

#[tokio::test]
async fn bad_parameters_and_paths_are_rejected() {
    let sandbox = start(frozen(|_| {})).await;
    let client = Client::new(&sandbox);
    for size in ["0", "101", "ten"] {
        let answer = client.search(SHOP, size, None, "").await;
        assert_eq!(answer.code(), 36_009_004);
        assert!(
            answer.message().contains("page_size"),
            "{}",
            answer.message()
        );
    }
    let answer = client
        .search(SHOP, "10", None, r#"{"update_time_ge":"yesterday"}"#)
        .await;
    assert!(answer.message().contains("update_time_ge"));
    assert_eq!(
        client
            .search(SHOP, "10", Some("bm90IGEgdG9rZW4="), "")
            .await
            .code(),
        36_009_004
    );
    let answer = client
        .send(Method::GET, "/order/202309/nothing", "", None)
        .await;
    assert_eq!((answer.status.as_u16(), answer.code()), (404, 36_009_009));
    let answer = client.send(Method::GET, SEARCH, "", None).await;
    assert_eq!(answer.code(), 36_009_010);
}
