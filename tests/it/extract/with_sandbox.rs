//! Extract against the sandbox simulator: realistic volumes, its own
//! fault injection, and its count of what it served as the expectation.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tiktok_shop_sandbox::{Clock, Sandbox, SandboxConfig};

use super::*;

pub(super) fn sandbox_command(
    sandbox: &Sandbox,
    store: &Path,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Command {
    let mut cmd = util::command("extract");
    util::point_at_sandbox(&mut cmd, sandbox)
        .env("TIKTOK_API_RETRY_BASE_MS", "5")
        .arg("--store")
        .arg(store)
        .args([
            "--run-id",
            RUN_ID,
            "--since",
            &since.to_rfc3339(),
            "--until",
            &until.to_rfc3339(),
        ]);
    cmd
}

fn frozen() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T06:00:00Z")
        .unwrap()
        .to_utc()
}

async fn check_against_sandbox(
    sandbox: &Sandbox,
    store: &Path,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> u64 {
    let mut total = 0;
    for shop in &sandbox.config().shops {
        let expected = sandbox.expected(shop, since, until).orders;
        let rows = rows(store, RUN_ID, shop).await;
        assert_eq!(rows.len() as u64, expected, "{shop}");
        for row in &rows {
            let payload: Value = serde_json::from_str(&row.payload).unwrap();
            assert_eq!(
                payload["id"].as_str(),
                Some(row.order_id.as_str()),
                "ids are strings, kept as sent"
            );
            assert_eq!(payload["status"].as_str(), row.status.as_deref());
            assert_eq!(
                payload["update_time"].as_i64().map(|s| s * 1000),
                row.update_ms
            );
            assert_eq!(&row.shop, shop);
        }
        total += expected;
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_orders_are_all_extracted() {
    let config = SandboxConfig {
        clock: Clock::Frozen(frozen()),
        orders_per_day: 120,
        history_days: 10,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (since, until) = (frozen() - chrono::Duration::days(2), frozen());

    let output = run(sandbox_command(&sandbox, &store, since, until)).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let total = check_against_sandbox(&sandbox, &store, since, until).await;
    assert!(total > 100, "a realistic window: {total}");
    let m = manifest(&store);
    assert_eq!(m["rows_out"].as_u64(), Some(total));
    // Every page served is in the manifest, besides one query per shop
    // for orders after the window (each shop's slices here take more than
    // a page, so each asks).
    let shops = sandbox.config().shops.len() as u64;
    assert_eq!(
        m["counters"]["pages"].as_u64(),
        Some(sandbox.stats().pages_served - shops)
    );
    assert_eq!(sandbox.stats().signature_failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_faults_are_survived() {
    let config = SandboxConfig {
        clock: Clock::Frozen(frozen()),
        orders_per_day: 120,
        history_days: 10,
        fail_first_n: 2,
        fail_every_n: Some(7),
        expire_token_after_requests: Some(4),
        rotate_refresh_token: true,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (since, until) = (frozen() - chrono::Duration::days(2), frozen());
    let mut cmd = sandbox_command(&sandbox, &store, since, until);
    cmd.args(["--page-size", "50"]);

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 0, "{stderr}");
    let total = check_against_sandbox(&sandbox, &store, since, until).await;
    let m = manifest(&store);
    assert_eq!(m["rows_out"].as_u64(), Some(total));
    let stats = sandbox.stats();
    assert!(stats.injected_failures >= 2, "{stats:?}");
    assert!(
        m["counters"]["retries"].as_u64().unwrap() >= stats.injected_failures,
        "{m}"
    );
    assert!(stats.token_refreshes >= 1, "{stats:?}");
    assert_eq!(
        m["counters"]["token_refreshes"].as_u64(),
        Some(stats.token_refreshes)
    );
    for secret in [
        "sandbox-app-secret",
        "sandbox-access-token",
        "sandbox-refresh-token",
    ] {
        assert!(!stderr.contains(secret), "{secret} leaked:\n{stderr}");
    }
    assert!(
        !stderr.contains(&sandbox.access_token()),
        "the refreshed token leaked"
    );
}
