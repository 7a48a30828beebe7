//! The oracles against what a client really gets: with a frozen clock and
//! no live paging, both say exactly what paging returns.

use chrono::Duration;

use crate::util::{Client, frozen, frozen_now, start, week_body};

const SHOP: &str = "GCP_SANDBOX_SHOP_0001";

#[tokio::test]
async fn a_frozen_window_holds_what_paging_returns() {
    let sandbox = start(frozen(|c| c.burst_orders = 120)).await;
    let client = Client::new(&sandbox);
    let (since, until) = (frozen_now() - Duration::days(2), frozen_now());
    let body = week_body(frozen_now(), 2);
    let (mut token, mut got) = (None, Vec::new());
    for _ in 0..100 {
        let answer = client.search(SHOP, "100", token.as_deref(), &body).await;
        got.extend(answer.orders());
        token = answer.next_page_token();
        if token.is_none() {
            break;
        }
    }
    let now: Vec<(String, i64)> = sandbox
        .orders_in_window(SHOP, since, until)
        .into_iter()
        .map(|o| (o.order_id, o.update_time))
        .collect();
    assert_eq!(got, now, "same orders, same update_times, same order");
    let mut ever: Vec<(String, i64)> = sandbox
        .orders_ever_in_window(SHOP, since, until)
        .into_iter()
        .map(|h| {
            assert!(
                !h.changed && h.update_times.len() == 1 && h.current == Some(h.update_times[0])
            );
            (h.order_id, h.update_times[0])
        })
        .collect();
    let mut sorted = now.clone();
    sorted.sort();
    ever.sort();
    assert_eq!(ever, sorted);
    assert!(
        sandbox
            .orders_in_window("ROW_UNKNOWN", since, until)
            .is_empty()
    );
    assert!(
        sandbox
            .orders_ever_in_window("ROW_UNKNOWN", since, until)
            .is_empty()
    );
}
