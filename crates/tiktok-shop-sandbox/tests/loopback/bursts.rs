//! Same-second bursts: hundreds of orders share one update_time second,
//! so whole pages lie within it.

use chrono::Duration;

use crate::util::{Client, frozen, frozen_now, start, week_body};

const SHOP: &str = "GCP_SANDBOX_SHOP_0001";

#[tokio::test]
async fn a_burst_fills_whole_pages_with_one_second() {
    let at = frozen_now() - Duration::hours(12);
    let sandbox = start(frozen(|c| {
        c.burst_orders = 250;
        c.burst_at = Some(at);
    }))
    .await;
    let in_burst = sandbox.orders_in_window(SHOP, at, at + Duration::seconds(1));
    assert!(in_burst.len() >= 250, "{}", in_burst.len());
    let client = Client::new(&sandbox);
    let body = week_body(frozen_now(), 1);
    let (mut token, mut pages, mut whole_pages, mut total) = (None, 0, 0, 0);
    while pages < 100 {
        let answer = client.search(SHOP, "100", token.as_deref(), &body).await;
        assert_eq!(answer.code(), 0, "{}", answer.body);
        let orders = answer.orders();
        pages += 1;
        total += orders.len();
        if orders.len() == 100 && orders.iter().all(|(_, t)| *t == at.timestamp()) {
            whole_pages += 1;
        }
        token = answer.next_page_token();
        if token.is_none() {
            break;
        }
    }
    assert!(
        whole_pages >= 1,
        "a page of 100 lies within the burst second"
    );
    assert_eq!(
        total as u64,
        sandbox
            .expected(SHOP, frozen_now() - Duration::days(1), frozen_now())
            .orders
    );
}

#[tokio::test]
async fn without_a_burst_no_second_holds_a_page() {
    let sandbox = start(frozen(|_| {})).await;
    let (since, until) = (frozen_now() - Duration::days(1), frozen_now());
    let orders = sandbox.orders_in_window(SHOP, since, until);
    let mut per_second = std::collections::HashMap::<i64, usize>::new();
    for order in &orders {
        *per_second.entry(order.update_time).or_default() += 1;
    }
    assert!(orders.len() > 300, "{}", orders.len());
    assert!(
        per_second.values().all(|n| *n < 10),
        "the default has no bursts"
    );
}
