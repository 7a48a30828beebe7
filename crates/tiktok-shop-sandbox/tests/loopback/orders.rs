//! The data: paging a frozen week of two shops, and what the orders say.

use std::collections::HashSet;
use std::time::Instant;

use chrono::Duration;
use serde_json::Value;
use tiktok_shop_sandbox::Clock;

use crate::util::{Client, frozen, frozen_now, start, week_body};

/// Pages through one shop; returns the orders and the page tokens seen.
async fn page_all(
    client: &Client,
    shop: &str,
    page_size: &str,
    body: &str,
) -> (Vec<Value>, Vec<String>) {
    let (mut orders, mut tokens) = (Vec::new(), Vec::new());
    let mut token: Option<String> = None;
    loop {
        let mut answer = client.search(shop, page_size, token.as_deref(), body).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (200, 0),
            "{}",
            answer.body
        );
        assert_eq!(answer.message(), "Success");
        assert_eq!(answer.body["request_id"].as_str().map(str::len), Some(34));
        let data = &mut answer.body["data"];
        let Value::Array(page) = data["orders"].take() else {
            panic!("no orders in {data}")
        };
        orders.extend(page);
        let next = data["next_page_token"]
            .as_str()
            .expect("next_page_token")
            .to_owned();
        if next.is_empty() {
            assert_eq!(data["total_count"].as_u64(), Some(orders.len() as u64));
            return (orders, tokens);
        }
        tokens.push(next.clone());
        token = Some(next);
    }
}

fn line_count(orders: &[Value]) -> u64 {
    orders
        .iter()
        .map(|o| o["line_items"].as_array().map_or(0, Vec::len) as u64)
        .sum()
}

#[tokio::test]
async fn pages_a_frozen_week_of_two_shops_without_duplicates_or_gaps() {
    let sandbox = start(frozen(|_| {})).await;
    let client = Client::new(&sandbox);
    let now = frozen_now();
    let body = week_body(now, 7);
    let started = Instant::now();
    let (mut total_orders, mut total_lines) = (0, 0);
    for shop in sandbox.config().shops.clone() {
        let (orders, tokens) = page_all(&client, &shop, "100", &body).await;
        let expected = sandbox.expected(&shop, now - Duration::days(7), now);
        let ids: HashSet<&str> = orders.iter().filter_map(|o| o["id"].as_str()).collect();
        assert_eq!(ids.len(), orders.len(), "no order twice");
        assert_eq!(orders.len() as u64, expected.orders);
        assert_eq!(line_count(&orders), expected.line_items);
        assert!(
            tokens.iter().all(|t| t.contains('+') && t.contains('/')),
            "{tokens:?}"
        );
        let times: Vec<i64> = orders
            .iter()
            .filter_map(|o| o["update_time"].as_i64())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "sorted by update_time ASC"
        );
        assert!(
            times
                .iter()
                .all(|t| (now - Duration::days(7)).timestamp() <= *t && *t < now.timestamp())
        );
        total_orders += orders.len() as u64;
        total_lines += line_count(&orders);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "paged {total_orders} orders, {total_lines} line items of 2 shops x 7 days in {elapsed:?}"
    );
    assert!(total_orders > 5_000, "{total_orders}");
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "paging is slow: {elapsed:?}"
    );
    let stats = sandbox.stats();
    assert_eq!(
        (stats.orders_served, stats.line_items_served),
        (total_orders, total_lines)
    );
    assert_eq!(stats.order_payloads_served, total_orders);
    assert_eq!(stats.errors, 0);
}

#[tokio::test]
async fn the_same_seed_and_clock_serve_the_same_bytes() {
    let body = week_body(frozen_now(), 1);
    let mut pages = Vec::new();
    for _ in 0..2 {
        let sandbox = start(frozen(|_| {})).await;
        let answer = Client::new(&sandbox)
            .search("ROW_SANDBOX_SHOP_0002", "50", None, &body)
            .await;
        pages.push(answer.body["data"].to_string());
    }
    assert_eq!(pages[0], pages[1]);
    let other = start(frozen(|c| c.seed = 1)).await;
    let answer = Client::new(&other)
        .search("ROW_SANDBOX_SHOP_0002", "50", None, &body)
        .await;
    assert_ne!(answer.body["data"].to_string(), pages[0]);
}

#[tokio::test]
async fn orders_move_through_the_lifecycle_as_the_clock_moves() {
    let sandbox = start(frozen(|_| {})).await;
    let client = Client::new(&sandbox);
    let now = frozen_now();
    let (before, _) = page_all(&client, "GCP_SANDBOX_SHOP_0001", "100", &week_body(now, 1)).await;
    let open: HashSet<String> = before
        .iter()
        .filter(|o| !matches!(o["status"].as_str(), Some("COMPLETED" | "CANCELLED")))
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect();
    assert!(!open.is_empty());
    let later = now + Duration::days(45);
    sandbox.set_clock(Clock::Frozen(later));
    let body = format!(
        r#"{{"update_time_ge":{},"update_time_lt":{}}}"#,
        now.timestamp(),
        later.timestamp()
    );
    let (after, _) = page_all(&client, "GCP_SANDBOX_SHOP_0001", "100", &body).await;
    let finished: Vec<&Value> = after
        .iter()
        .filter(|o| o["id"].as_str().is_some_and(|id| open.contains(id)))
        .collect();
    assert_eq!(
        finished.len(),
        open.len(),
        "every open order changed status since"
    );
    for order in finished {
        assert!(
            matches!(order["status"].as_str(), Some("COMPLETED" | "CANCELLED")),
            "{order}"
        );
        assert!(order["update_time"].as_i64() > Some(now.timestamp()));
    }
}

#[tokio::test]
async fn corrupt_every_makes_some_totals_unparseable() {
    let sandbox = start(frozen(|c| c.corrupt_every = Some(25))).await;
    let client = Client::new(&sandbox);
    let now = frozen_now();
    let (orders, _) = page_all(&client, "GCP_SANDBOX_SHOP_0001", "100", &week_body(now, 2)).await;
    let bad = orders
        .iter()
        .filter(|o| {
            o["payment"]["total_amount"]
                .as_str()
                .is_some_and(|t| t.contains(','))
        })
        .count();
    let expected = sandbox.expected("GCP_SANDBOX_SHOP_0001", now - Duration::days(2), now);
    assert_eq!(bad as u64, expected.corrupt_orders);
    assert!(bad > 0);
}
