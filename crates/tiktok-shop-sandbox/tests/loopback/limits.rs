//! The rate limit (a token bucket per app, shop and path) and the hourly
//! quota of test shops, as a client meets them.

use std::time::{Duration, Instant};

use tiktok_shop_api::Window;

use crate::util::{Answer, Client, api_client, frozen, frozen_now, start};

const SHOP: &str = "ROW_SANDBOX_SHOP_0002";

fn retry_after(answer: &Answer) -> Option<u64> {
    answer
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn a_burst_over_the_bucket_is_429_36009002_with_retry_after() {
    let sandbox = start(frozen(|c| {
        c.rate_limit_per_second = Some(1);
        c.rate_limit_burst = Some(4);
    }))
    .await;
    let client = Client::new(&sandbox);
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(client.search(SHOP, "1", None, "").await.code());
    }
    assert_eq!(
        codes,
        [0, 0, 0, 0, 36_009_002],
        "a burst of 4, then limited"
    );
    let limited = client.search(SHOP, "1", None, "").await;
    assert_eq!(limited.status.as_u16(), 429);
    assert_eq!(
        limited.message(),
        "Too many requests. You've made too many requests in a short period of time."
    );
    assert!(limited.body["data"].is_null() && limited.body["request_id"].is_string());
    assert_eq!(retry_after(&limited), Some(1));
    assert_eq!(
        client.shops(&[]).await.code(),
        0,
        "another path has its own bucket"
    );
    assert_eq!(sandbox.stats().rate_limited, 2);
}

#[tokio::test]
async fn a_client_pacing_below_the_rate_is_never_limited() {
    let sandbox = start(frozen(|c| {
        c.rate_limit_per_second = Some(5);
        c.rate_limit_burst = Some(1);
    }))
    .await;
    let client = Client::new(&sandbox);
    for _ in 0..8 {
        let answer = client.search(SHOP, "1", None, "").await;
        assert_eq!(answer.code(), 0, "{}", answer.body);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(sandbox.stats().rate_limited, 0);
}

#[tokio::test]
async fn over_the_test_shop_quota_the_answer_is_429_36009037() {
    let sandbox = start(frozen(|c| c.test_shop_requests_per_hour = Some(3))).await;
    let client = Client::new(&sandbox);
    for _ in 0..3 {
        assert_eq!(client.search(SHOP, "1", None, "").await.code(), 0);
    }
    let over = client.search(SHOP, "1", None, "").await;
    assert_eq!(
        (over.status.as_u16(), over.code()),
        (429, 36_009_037),
        "{}",
        over.body
    );
    let wait = retry_after(&over).expect("a Retry-After");
    assert!((3500..=3600).contains(&wait), "until the hour ends: {wait}");
    let other = client.search("GCP_SANDBOX_SHOP_0001", "1", None, "").await;
    assert_eq!(other.code(), 0, "each shop has its own quota");
    let stats = sandbox.stats();
    assert_eq!((stats.rate_limited, stats.quota_rejections), (1, 1));
}

#[tokio::test]
async fn the_real_client_rides_out_the_rate_limit() {
    let sandbox = start(frozen(|c| {
        c.rate_limit_per_second = Some(10);
        c.rate_limit_burst = Some(1);
        c.orders_per_day = 200;
    }))
    .await;
    let client = api_client(&sandbox);
    let (since, until) = (frozen_now() - chrono::Duration::days(1), frozen_now());
    let window = Window::new(since, until).expect("a window");
    let started = Instant::now();
    let (mut token, mut orders, mut pages) = (None, 0, 0);
    while pages < 50 {
        let page = client
            .search_orders(SHOP, &window, token.as_deref(), 20)
            .await
            .expect("retries get every page");
        orders += page.orders.len() as u64;
        pages += 1;
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(orders, sandbox.expected(SHOP, since, until).orders);
    assert!(
        sandbox.stats().rate_limited > 0,
        "the client went faster than 10/s"
    );
    assert!(client.stats().retries > 0);
    let floor = Duration::from_millis(100 * (pages - 1));
    assert!(started.elapsed() >= floor, "{pages} pages at most 10/s");
}
