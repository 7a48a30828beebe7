//! The default behaviour, byte for byte: with a frozen clock the same seed
//! serves the same bytes, and these hashes were taken from the sandbox
//! before it was split into layers and given its unkind modes. A change
//! here changes what every existing test and demo sees: make it on purpose.

use chrono::Duration;

use crate::util::{Answer, Client, frozen, frozen_now, start, week_body};

/// FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The body as sent, without its `request_id` (it holds the wall time).
fn stable_text(answer: &Answer) -> &str {
    let end = answer.text.find(r#","request_id":"#).expect("a request_id");
    &answer.text[..end]
}

/// Hashes every page of one search.
async fn hash_pages(client: &Client, shop: &str, size: &str, body: &str, mut hash: u64) -> u64 {
    let mut token: Option<String> = None;
    for _ in 0..200 {
        let answer = client.search(shop, size, token.as_deref(), body).await;
        assert_eq!(answer.code(), 0, "{}", answer.body);
        hash = fnv(hash, stable_text(&answer).as_bytes());
        token = answer.next_page_token();
        if token.is_none() {
            return hash;
        }
    }
    panic!("more than 200 pages");
}

#[tokio::test]
async fn default_pages_are_byte_for_byte_as_before() {
    let sandbox = start(frozen(|_| {})).await;
    let client = Client::new(&sandbox);
    let mut hash = 0xCBF2_9CE4_8422_2325;
    let body = week_body(frozen_now(), 2);
    for shop in sandbox.config().shops.clone() {
        hash = hash_pages(&client, &shop, "100", &body, hash).await;
        let newest = client.search_sorted(&shop, "50", None, "", &[]).await;
        hash = fnv(hash, stable_text(&newest).as_bytes());
    }
    hash = fnv(hash, stable_text(&client.shops(&[]).await).as_bytes());
    assert_eq!(hash, 15_886_678_316_700_441_328, "default pages changed");
}

#[tokio::test]
async fn configured_pages_are_byte_for_byte_as_before() {
    let sandbox = start(frozen(|c| {
        c.seed = 99;
        c.orders_per_day = 500;
        c.history_days = 30;
        c.corrupt_every = Some(7);
        c.shops = vec!["GCP_A".into(), "ROW_B".into(), "ROW_C".into()];
    }))
    .await;
    let client = Client::new(&sandbox);
    let mut hash = 0xCBF2_9CE4_8422_2325;
    let now = frozen_now();
    let body = crate::util::window_body(now - Duration::hours(30), now - Duration::hours(6));
    for shop in ["GCP_A", "ROW_B", "ROW_C"] {
        hash = hash_pages(&client, shop, "77", &body, hash).await;
    }
    assert_eq!(hash, 4_608_685_643_855_883_184, "configured pages changed");
}

/// Every page of one search in live paging, as sent (without request ids).
async fn live_run() -> Vec<String> {
    let sandbox = start(frozen(|c| {
        c.live_paging = true;
        c.live_updates = 3;
        c.orders_per_day = 150;
    }))
    .await;
    let client = Client::new(&sandbox);
    let body = week_body(frozen_now(), 1);
    let (mut pages, mut token) = (Vec::new(), None);
    for _ in 0..100 {
        let answer = client
            .search("ROW_SANDBOX_SHOP_0002", "15", token.as_deref(), &body)
            .await;
        pages.push(stable_text(&answer).to_owned());
        token = answer.next_page_token();
        if token.is_none() {
            break;
        }
    }
    assert!(
        sandbox.stats().live_updates >= pages.len() as u64,
        "updates happened"
    );
    pages
}

#[tokio::test]
async fn live_pages_repeat_for_the_same_requests() {
    let (a, b) = (live_run().await, live_run().await);
    assert!(a.len() > 5, "{} pages", a.len());
    assert_eq!(a, b, "same seed, same requests: same updates, same bytes");
}
