//! Added latency: every response waits at least the configured delay.

use std::time::{Duration, Instant};

use crate::util::{Client, frozen, start};

#[tokio::test]
async fn every_response_waits_at_least_the_latency() {
    let sandbox = start(frozen(|c| {
        c.latency = Duration::from_millis(300);
        c.latency_jitter = Duration::from_millis(50);
    }))
    .await;
    let client = Client::new(&sandbox);
    let started = Instant::now();
    let search = client.search("GCP_SANDBOX_SHOP_0001", "5", None, "").await;
    let searched = started.elapsed();
    let refresh = client
        .refresh("sandbox-app-secret", "sandbox-refresh-token")
        .await;
    let both = started.elapsed();
    assert_eq!((search.code(), refresh.code()), (0, 0));
    assert!(searched >= Duration::from_millis(300), "{searched:?}");
    assert!(both >= Duration::from_millis(600), "{both:?}");
}
