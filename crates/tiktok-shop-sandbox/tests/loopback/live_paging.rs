//! Live paging: page tokens are positions in the live result and orders
//! are updated between pages. A client that only follows next_page_token
//! misses orders (the bug the ETL must avoid); a client that resumes from
//! the last update_time it saw does not; the oracle tells which is which.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use tiktok_shop_api::Window;
use tiktok_shop_sandbox::{SandboxConfig, WindowHistory};

use crate::util::{Client, api_client, frozen, frozen_now, start, window_body};

const SHOP: &str = "ROW_SANDBOX_SHOP_0002";

/// A frozen sandbox in live paging: one order updated per search request.
fn live(tweak: impl FnOnce(&mut SandboxConfig)) -> SandboxConfig {
    frozen(|c| {
        c.live_paging = true;
        c.orders_per_day = 200;
        c.history_days = 45;
        tweak(c);
    })
}

/// The day before the frozen "now": closed, so an updated order leaves it.
fn closed_day() -> (DateTime<Utc>, DateTime<Utc>) {
    (frozen_now() - Duration::days(1), frozen_now())
}

/// Checks that every `(id, update_time)` a client got is a version the
/// window really held.
fn assert_all_real(got: &[(String, i64)], history: &[WindowHistory]) {
    let by_id: HashMap<&str, &WindowHistory> =
        history.iter().map(|h| (h.order_id.as_str(), h)).collect();
    for (id, time) in got {
        let held = by_id.get(id.as_str()).expect("an order of the window");
        assert!(held.update_times.contains(time), "{id} at {time}: {held:?}");
    }
}

#[tokio::test]
async fn following_page_tokens_misses_orders_that_never_changed() {
    let sandbox = start(live(|_| {})).await;
    let client = api_client(&sandbox);
    let (since, until) = closed_day();
    let window = Window::new(since, until).expect("a window");
    let (mut got, mut token, mut pages) = (Vec::new(), None, 0);
    while pages < 100 {
        let page = client
            .search_orders(SHOP, &window, token.as_deref(), 10)
            .await
            .expect("a page");
        pages += 1;
        got.extend(
            page.orders
                .iter()
                .map(|o| (o.id.clone(), o.update_time.unwrap_or(0))),
        );
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert!(token.is_none() && pages > 10, "{pages} pages");
    let history = sandbox.orders_ever_in_window(SHOP, since, until);
    assert_all_real(&got, &history);
    let seen: HashSet<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        seen.len(),
        got.len(),
        "nothing twice: updated orders left the window"
    );
    let missed: Vec<&str> = history
        .iter()
        .filter(|h| !h.changed && !seen.contains(h.order_id.as_str()))
        .map(|h| h.order_id.as_str())
        .collect();
    eprintln!(
        "naive paging: {} orders read, {} never-changed orders missed",
        got.len(),
        missed.len()
    );
    assert!(
        !missed.is_empty(),
        "an unread order slid into the pages already read"
    );
    let stats = sandbox.stats();
    assert_eq!(stats.pages_served, pages);
    assert_eq!(stats.live_updates, pages, "one order updated per request");
}

#[tokio::test]
async fn resuming_from_the_last_update_time_misses_nothing() {
    // The window is open past "now", so updated orders move to its end
    // (still in it, with a new update_time) instead of leaving it.
    let sandbox = start(live(|_| {})).await;
    let client = Client::new(&sandbox);
    let (since, until) = (closed_day().0, frozen_now() + Duration::hours(1));
    let mut got: HashMap<String, i64> = HashMap::new();
    let mut cursor = since;
    let mut finished = false;
    for _ in 0..200 {
        let answer = client
            .search(SHOP, "20", None, &window_body(cursor, until))
            .await;
        assert_eq!(answer.code(), 0, "{}", answer.body);
        let page = answer.orders();
        for (id, time) in &page {
            let first = got.entry(id.clone()).or_insert(*time);
            *first = (*first).max(*time);
        }
        let Some((_, last)) = page.last() else {
            finished = true;
            break;
        };
        if page.len() < 20 {
            finished = true;
            break;
        }
        let next = DateTime::from_timestamp(*last, 0).expect("a time");
        assert!(
            next > cursor,
            "a page within one second would stall this client"
        );
        cursor = next;
    }
    assert!(finished, "the client reached the end");
    let history = sandbox.orders_ever_in_window(SHOP, since, until);
    let got: Vec<(String, i64)> = got.into_iter().collect();
    assert_all_real(&got, &history);
    let ids: HashSet<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    for held in &history {
        if !held.changed || held.current.is_some() {
            assert!(ids.contains(held.order_id.as_str()), "missed {held:?}");
        }
    }
    assert!(
        history.iter().any(|h| h.changed && h.current.is_some()),
        "updates happened"
    );
}

#[tokio::test]
async fn total_count_is_the_live_count_and_payloads_show_the_update() {
    let sandbox = start(live(|c| c.live_updates = 2)).await;
    let client = Client::new(&sandbox);
    let (since, until) = (closed_day().0, frozen_now() + Duration::hours(1));
    let body = window_body(since, until);
    let (mut token, mut served) = (
        None::<String>,
        HashMap::<String, Vec<serde_json::Value>>::new(),
    );
    for page in 0..100 {
        let answer = client.search(SHOP, "25", token.as_deref(), &body).await;
        let live = sandbox.orders_in_window(SHOP, since, until).len() as u64;
        let total_count = answer.body["data"]["total_count"].as_u64();
        assert_eq!(total_count, Some(live), "page {page}");
        for order in answer.body["data"]["orders"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let id = order["id"].as_str().unwrap_or_default().to_owned();
            served.entry(id).or_default().push(order.clone());
        }
        token = answer.next_page_token();
        if token.is_none() {
            break;
        }
    }
    assert!(token.is_none());
    let twice: Vec<&Vec<serde_json::Value>> = served.values().filter(|v| v.len() > 1).collect();
    assert!(!twice.is_empty(), "updated orders moved to the unread end");
    for versions in &twice {
        let times: Vec<i64> = versions
            .iter()
            .filter_map(|o| o["update_time"].as_i64())
            .collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        assert!(
            times.iter().skip(1).all(|t| *t > frozen_now().timestamp()),
            "{times:?}"
        );
    }
    let status = |o: &serde_json::Value| o["status"].as_str().map(str::to_owned);
    assert!(
        twice
            .iter()
            .any(|v| status(&v[0]) != status(&v[v.len() - 1])),
        "some updates came with a new status"
    );
}
