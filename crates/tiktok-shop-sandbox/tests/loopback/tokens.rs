//! Tokens: expiry after N calls, refresh with rotation of the refresh
//! token, the live codes for a replaced (36004005) and an expired
//! (36004001) refresh token, and the real client living with all that.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tiktok_shop_api::Window;

use crate::util::{Client, api_client, frozen, frozen_now, start};

const SHOP: &str = "GCP_SANDBOX_SHOP_0001";

fn data(answer: &crate::util::Answer, key: &str) -> Value {
    answer.body["data"][key].clone()
}

#[tokio::test]
async fn a_refresh_rotates_both_tokens_and_the_old_refresh_token_is_36004005() {
    let sandbox = start(frozen(|c| {
        c.expire_token_after_requests = Some(2);
        c.rotate_refresh_token = true;
    }))
    .await;
    let mut client = Client::new(&sandbox);
    for _ in 0..2 {
        assert_eq!(client.search(SHOP, "5", None, "").await.code(), 0);
    }
    assert_eq!(client.search(SHOP, "5", None, "").await.code(), 105_002);
    let first = client
        .refresh("sandbox-app-secret", "sandbox-refresh-token")
        .await;
    assert_eq!(first.code(), 0, "{}", first.body);
    let refresh = data(&first, "refresh_token")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(refresh.starts_with("TTP_") && refresh != "sandbox-refresh-token");
    let now = Utc::now().timestamp();
    let access_expiry = data(&first, "access_token_expire_in").as_i64().unwrap_or(0);
    let refresh_expiry = data(&first, "refresh_token_expire_in")
        .as_i64()
        .unwrap_or(0);
    assert!(
        (access_expiry - (now + 7 * 86_400)).abs() <= 5,
        "absolute: {access_expiry}"
    );
    assert!(
        (refresh_expiry - (now + 358 * 86_400)).abs() <= 5,
        "absolute: {refresh_expiry}"
    );
    let stale = client
        .refresh("sandbox-app-secret", "sandbox-refresh-token")
        .await;
    assert_eq!((stale.status.as_u16(), stale.code()), (400, 36_004_005));
    assert_eq!(stale.message(), "can not find related auth record");
    client.access_token = data(&first, "access_token")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(client.search(SHOP, "5", None, "").await.code(), 0);
    let second = client.refresh("sandbox-app-secret", &refresh).await;
    assert_eq!(
        second.code(),
        0,
        "the new refresh token works: {}",
        second.body
    );
    let tokens = sandbox.tokens();
    assert_eq!(
        Some(tokens.refresh_token.as_str()),
        data(&second, "refresh_token").as_str()
    );
    assert_eq!(
        tokens.access_token_expire_in,
        data(&second, "access_token_expire_in")
            .as_i64()
            .unwrap_or(0)
    );
    let stats = sandbox.stats();
    assert_eq!((stats.token_refreshes, stats.refresh_rejections), (2, 1));
}

#[tokio::test]
async fn an_expired_refresh_token_is_36004001() {
    let sandbox = start(frozen(|c| c.refresh_token_lifetime = Duration::ZERO)).await;
    let client = Client::new(&sandbox);
    let answer = client
        .refresh("sandbox-app-secret", "sandbox-refresh-token")
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (400, 36_004_001),
        "{}",
        answer.body
    );
    assert_eq!(answer.message(), "rt has expired");
    let never = client
        .refresh("sandbox-app-secret", "TTP_never_issued")
        .await;
    assert_eq!(
        never.code(),
        36_004_004,
        "a token never issued keeps its code"
    );
}

#[tokio::test]
async fn the_real_client_refreshes_and_keeps_each_rotated_token() {
    let sandbox = start(frozen(|c| {
        c.expire_token_after_requests = Some(3);
        c.rotate_refresh_token = true;
        c.orders_per_day = 200;
    }))
    .await;
    let client = api_client(&sandbox);
    let (since, until) = (frozen_now() - chrono::Duration::days(1), frozen_now());
    let window = Window::new(since, until).expect("a window");
    let (mut token, mut orders) = (None, 0);
    for _ in 0..50 {
        let page = client
            .search_orders(SHOP, &window, token.as_deref(), 25)
            .await
            .expect("every page, refreshing as needed");
        orders += page.orders.len() as u64;
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(orders, sandbox.expected(SHOP, since, until).orders);
    let refreshes = sandbox.stats().token_refreshes;
    assert!(
        refreshes >= 2,
        "each refresh used the rotated token: {refreshes}"
    );
    assert_eq!(client.stats().token_refreshes, refreshes);
    assert_eq!(sandbox.stats().refresh_rejections, 0);
}
