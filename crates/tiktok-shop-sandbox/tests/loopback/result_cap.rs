//! The result cap: past it no page is served, while total_count still
//! counts every match, so a client can tell it was cut short.

use chrono::Duration;

use crate::util::{Client, frozen, frozen_now, start, week_body};

const SHOP: &str = "ROW_SANDBOX_SHOP_0002";

#[tokio::test]
async fn pages_stop_at_the_cap_and_total_count_does_not() {
    let sandbox = start(frozen(|c| c.result_cap = Some(150))).await;
    let client = Client::new(&sandbox);
    let (since, until) = (frozen_now() - Duration::days(1), frozen_now());
    let all = sandbox.orders_in_window(SHOP, since, until);
    assert!(all.len() > 200, "{}", all.len());
    let body = week_body(frozen_now(), 1);
    let (mut token, mut got, mut sizes) = (None, Vec::new(), Vec::new());
    for _ in 0..20 {
        let answer = client.search(SHOP, "40", token.as_deref(), &body).await;
        assert_eq!(
            answer.body["data"]["total_count"].as_u64(),
            Some(all.len() as u64)
        );
        let page = answer.orders();
        sizes.push(page.len());
        got.extend(page);
        token = answer.next_page_token();
        if token.is_none() {
            break;
        }
    }
    assert_eq!(sizes, [40, 40, 40, 30]);
    let first: Vec<(String, i64)> = all[..150]
        .iter()
        .map(|o| (o.order_id.clone(), o.update_time))
        .collect();
    assert_eq!(got, first, "the first 150 results, in order");
    assert_eq!(sandbox.stats().capped_pages, 1);
}
