//! Tokens expiring and refreshing, rate limits, injected 503s, shutdown.

use chrono::Utc;
use reqwest::Method;

use crate::util::{Client, REFRESH, frozen, start};

const SHOP: &str = "ROW_SANDBOX_SHOP_0002";

#[tokio::test]
async fn an_expired_token_is_105002_until_refreshed_and_then_the_old_one_fails() {
    let sandbox = start(frozen(|c| c.expire_token_after_requests = Some(2))).await;
    let mut client = Client::new(&sandbox);
    for _ in 0..2 {
        assert_eq!(client.search(SHOP, "5", None, "").await.code(), 0);
    }
    let answer = client.search(SHOP, "5", None, "").await;
    assert_eq!(answer.code(), 105_002, "{}", answer.body);
    assert!(answer.message().contains("Expired credentials"));
    let refreshed = client
        .refresh("sandbox-app-secret", "sandbox-refresh-token")
        .await;
    assert_eq!(refreshed.code(), 0, "{}", refreshed.body);
    let new_token = refreshed.body["data"]["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert!(new_token.starts_with("TTP_"));
    assert_eq!(sandbox.access_token(), new_token);
    let old_token = std::mem::replace(&mut client.access_token, new_token);
    assert_eq!(client.search(SHOP, "5", None, "").await.code(), 0);
    client.access_token = old_token;
    assert_eq!(client.search(SHOP, "5", None, "").await.code(), 36_009_004);
    let stats = sandbox.stats();
    assert_eq!(
        (
            stats.token_refreshes,
            stats.expired_token_rejections,
            stats.token_failures
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn refresh_returns_absolute_expiry_a_week_ahead_and_checks_its_inputs() {
    let sandbox = start(frozen(|_| {})).await;
    let client = Client::new(&sandbox);
    let answer = client
        .refresh("sandbox-app-secret", "sandbox-refresh-token")
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (200, 0),
        "{}",
        answer.body
    );
    let data = &answer.body["data"];
    let week_ahead = Utc::now().timestamp() + 7 * 86_400;
    let expires = data["access_token_expire_in"]
        .as_i64()
        .expect("an absolute time");
    assert!(
        (expires - week_ahead).abs() <= 5,
        "{expires} vs {week_ahead}"
    );
    assert!(data["refresh_token_expire_in"].as_i64() > Some(week_ahead));
    assert_eq!(data["refresh_token"], "sandbox-refresh-token");
    for key in ["open_id", "seller_name", "seller_base_region"] {
        assert!(data[key].is_string(), "{key}");
    }
    assert_eq!(
        client
            .refresh("wrong-secret", "sandbox-refresh-token")
            .await
            .code(),
        36_009_004
    );
    assert_eq!(
        client
            .refresh("sandbox-app-secret", "wrong-token")
            .await
            .code(),
        36_004_004
    );
    let answer = client.send(Method::GET, REFRESH, "app_key=sandbox-app-key&app_secret=sandbox-app-secret&refresh_token=sandbox-refresh-token&grant_type=authorized_code", None).await;
    assert!(answer.message().contains("grant_type"), "{}", answer.body);
}

#[tokio::test]
async fn over_the_rate_limit_the_answer_is_429_with_retry_after() {
    let sandbox = start(frozen(|c| c.rate_limit_per_second = Some(3))).await;
    let client = Client::new(&sandbox);
    let mut limited = None;
    for _ in 0..10 {
        let answer = client.search(SHOP, "1", None, "").await;
        if answer.status.as_u16() == 429 {
            limited = Some(answer);
            break;
        }
        assert_eq!(answer.code(), 0);
    }
    let answer = limited.expect("a burst of 10 requests is limited at 3 per second");
    assert_eq!(answer.code(), 36_009_002);
    assert!(answer.message().starts_with("Too many requests"));
    assert_eq!(
        answer
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let other_shop = client.search("GCP_SANDBOX_SHOP_0001", "1", None, "").await;
    assert_eq!(other_shop.code(), 0, "buckets are per shop");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        client.search(SHOP, "1", None, "").await.code(),
        0,
        "the bucket refills"
    );
    assert!(sandbox.stats().rate_limited >= 1);
}

#[tokio::test]
async fn injected_503s_fail_the_first_n_and_every_nth_request() {
    let sandbox = start(frozen(|c| {
        c.fail_first_n = 2;
        c.fail_every_n = Some(4);
    }))
    .await;
    let client = Client::new(&sandbox);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(client.search(SHOP, "1", None, "").await.status.as_u16());
    }
    assert_eq!(statuses, [503, 503, 200, 503, 200, 200, 200, 503]);
    assert_eq!(sandbox.stats().injected_failures, 4);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let sandbox = start(frozen(|_| {})).await;
    let url = format!("{}/authorization/202309/shops", sandbox.base_url());
    assert!(url.starts_with("http://127.0.0.1:") && !sandbox.base_url().ends_with('/'));
    sandbox.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh.get(&url).send().await.is_err(),
        "nothing listens any more"
    );
}
