//! Extract against the sandbox in live paging: every search request moves
//! the sandbox clock one second and updates orders of the query's own
//! result to that "now" (so the pages shift between two requests), and a
//! burst of orders shares one second, so that whole pages lie within it.
//! On top: tight rate limits with 429s and bursts of 503s, or access tokens
//! that expire every few calls with a refresh token that rotates. What
//! extract wrote is compared with what the sandbox holds once the run is
//! over, order by order.
//!
//! One shop each: the sandbox clock is shared by its shops, so a second
//! shop's requests would keep moving the first shop's orders after its
//! extraction ended.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use tiktok_shop_sandbox::{Clock, Sandbox, SandboxConfig};

use super::*;

const SHOP: &str = "GCP_SANDBOX_SHOP_0001";

/// The sandbox's frozen "now" at start: in the past, so that a window
/// reaching a day past it is not cut by extract's lag behind the wall clock.
fn frozen() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T06:00:00Z")
        .unwrap()
        .to_utc()
}

fn live_config() -> SandboxConfig {
    SandboxConfig {
        shops: vec![SHOP.into()],
        clock: Clock::Frozen(frozen()),
        orders_per_day: 3_000,
        history_days: 3,
        live_paging: true,
        live_update_every: 1,
        live_updates: 3,
        burst_orders: 450,
        burst_at: Some(frozen() - chrono::Duration::hours(20)),
        ..SandboxConfig::default()
    }
}

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Two days before the sandbox's "now" at start, and the day after it:
/// the orders updated during the run move to the sandbox's "now", which
/// stays inside this window, so none leaves it and the window at the end
/// holds every order once, in its newest version.
fn open_window() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        frozen() - chrono::Duration::days(2),
        frozen() + chrono::Duration::days(1),
    )
}

/// The extract command for `sandbox` over `(since, until)`.
fn extract(
    sandbox: &Sandbox,
    store: &Path,
    (since, until): (DateTime<Utc>, DateTime<Utc>),
) -> Command {
    super::with_sandbox::sandbox_command(sandbox, store, since, until)
}

/// What a comparison found.
#[derive(Debug)]
struct Compared {
    /// Orders in the window at the end (all extracted).
    orders: usize,
    rows: usize,
    /// Orders extracted in more than one version (updated during the run
    /// and met again).
    versions_met: usize,
    /// Orders extracted that have left the window since (updated past its
    /// end after they were read).
    left: usize,
}

/// Checks the shop's extract output against the sandbox now: every order
/// the window holds is there, its newest row having the sandbox's
/// `update_time`; no version of an order is written twice; every row is a
/// version the order really had in the window; an order written but no
/// longer in the window has left it since.
async fn compare(
    sandbox: &Sandbox,
    store: &Path,
    (since, until): (DateTime<Utc>, DateTime<Utc>),
) -> Compared {
    let expected: BTreeMap<String, i64> = sandbox
        .orders_in_window(SHOP, since, until)
        .into_iter()
        .map(|o| (o.order_id, o.update_time * 1000))
        .collect();
    let history: HashMap<String, (Vec<i64>, Option<i64>)> = sandbox
        .orders_ever_in_window(SHOP, since, until)
        .into_iter()
        .map(|h| (h.order_id, (h.update_times, h.current)))
        .collect();
    let rows = rows(store, RUN_ID, SHOP).await;
    let mut versions = HashSet::new();
    let mut newest: BTreeMap<&str, i64> = BTreeMap::new();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        let t = row.update_ms.expect("every order has an update_time");
        assert!(
            versions.insert((row.order_id.as_str(), t)),
            "order {} written twice at update_time {t}",
            row.order_id
        );
        assert!(
            history
                .get(&row.order_id)
                .is_some_and(|(times, _)| times.contains(&(t / 1000))),
            "order {} at {t} was never in the window: {:?}",
            row.order_id,
            history.get(&row.order_id)
        );
        let n = newest.entry(&row.order_id).or_insert(t);
        *n = (*n).max(t);
        *count.entry(&row.order_id).or_default() += 1;
    }
    let missing: Vec<_> = expected
        .iter()
        .filter(|(id, _)| !newest.contains_key(id.as_str()))
        .collect();
    let stale: Vec<_> = expected
        .iter()
        .filter_map(|(id, t)| {
            newest
                .get(id.as_str())
                .filter(|n| *n != t)
                .map(|n| (id, t, *n))
        })
        .collect();
    let extra: Vec<_> = newest
        .keys()
        .filter(|id| !expected.contains_key(**id as &str))
        .collect();
    let still_in: Vec<_> = extra
        .iter()
        .filter(|id| {
            history
                .get(**id as &str)
                .is_none_or(|(_, current)| current.is_some())
        })
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty() && still_in.is_empty(),
        "{} orders in the window, {} extracted; missing {:?}; stale (id, expected ms, newest \
         extracted ms) {:?}; extracted, not in the window now, yet never left it {:?}",
        expected.len(),
        newest.len(),
        &missing[..missing.len().min(5)],
        &stale[..stale.len().min(5)],
        &still_in[..still_in.len().min(5)],
    );
    Compared {
        orders: expected.len(),
        rows: rows.len(),
        versions_met: count.values().filter(|c| **c > 1).count(),
        left: extra.len(),
    }
}

/// The run's numbers, for the test log.
fn report(name: &str, compared: &Compared, sandbox: &Sandbox, store: &Path) {
    let c = &manifest(store)["counters"];
    eprintln!(
        "{name}: {compared:?}; sandbox {:?}; extract pages {} requests {} retries {} throttled {} \
         refreshes {} crowded seconds {}",
        sandbox.stats(),
        c["pages"],
        c["api_requests"],
        c["retries"],
        c["retries_throttled"],
        c["token_refreshes"],
        c["shops"][SHOP]["crowded_seconds"],
    );
}

/// Exactly what the sandbox holds at the end, with the live hazards met:
/// orders updated between pages, updated orders met again in their newer
/// version, and the burst read as a crowded second.
fn assert_live_hazards_met(compared: &Compared, sandbox: &Sandbox, store: &Path) {
    assert_eq!(compared.left, 0, "nothing can leave this window");
    assert!(compared.orders > 8_000, "{compared:?}");
    assert!(
        compared.versions_met >= 10,
        "updates met again: {compared:?}"
    );
    assert!(sandbox.stats().live_updates >= 200, "{:?}", sandbox.stats());
    let m = manifest(store);
    assert!(
        m["counters"]["shops"][SHOP]["crowded_seconds"].as_u64() >= Some(1),
        "{m}"
    );
    assert_eq!(m["rows_out"].as_u64(), Some(compared.rows as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_paging_with_updates_and_a_burst_extracts_exactly_the_window_at_the_end() {
    let sandbox = start(live_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract(&sandbox, &store, open_window())).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let compared = compare(&sandbox, &store, open_window()).await;
    report("live", &compared, &sandbox, &store);
    assert_live_hazards_met(&compared, &sandbox, &store);
}

/// As production runs it: the window ends at the sandbox's "now" at start,
/// so an order updated during the run leaves the window. Every order still
/// in it is extracted in its version; the others were read before they left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_paging_with_a_closed_window_loses_nothing_that_stayed() {
    let sandbox = start(live_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let window = (frozen() - chrono::Duration::days(2), frozen());

    let output = run(extract(&sandbox, &store, window)).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let compared = compare(&sandbox, &store, window).await;
    report("closed", &compared, &sandbox, &store);
    assert!(compared.orders > 5_000, "{compared:?}");
    assert!(
        compared.left >= 20,
        "updates moved orders out: {compared:?}"
    );
    assert_eq!(compared.versions_met, 0, "{compared:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_paging_under_tight_rate_limits_429s_and_503_bursts_is_exact() {
    let config = SandboxConfig {
        rate_limit_per_second: Some(25),
        rate_limit_burst: Some(1),
        fail_first_n: 3,
        fail_every_n: Some(9),
        ..live_config()
    };
    let sandbox = start(config).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    // The pace found by probing (so over the limit at first), with more
    // workers than the limit can serve.
    let mut cmd = extract(&sandbox, &store, open_window());
    cmd.args(["--qps", "auto", "--workers-per-shop", "24"]);
    let output = run(cmd).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    let compared = compare(&sandbox, &store, open_window()).await;
    report("limited", &compared, &sandbox, &store);
    assert_live_hazards_met(&compared, &sandbox, &store);
    let stats = sandbox.stats();
    // Auto probes up to the first 429, then stays under the limit.
    assert!(stats.rate_limited >= 1, "{stats:?}");
    assert!(stats.injected_failures >= 10, "{stats:?}");
    let c = &manifest(&store)["counters"];
    assert_eq!(c["retries_throttled"].as_u64(), Some(stats.rate_limited));
    assert_eq!(
        c["retries_server_error"].as_u64(),
        Some(stats.injected_failures)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_paging_with_expiring_and_rotating_tokens_is_exact_and_keeps_the_tokens() {
    let config = SandboxConfig {
        expire_token_after_requests: Some(5),
        rotate_refresh_token: true,
        ..live_config()
    };
    let sandbox = start(config).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let token_file = store.join(format!("state/tokens/{}.json", sandbox.config().app_key));

    let first = run(extract(&sandbox, &store, open_window())).await;
    assert_eq!(code(&first), 0, "{}", util::stderr(&first));
    let compared = compare(&sandbox, &store, open_window()).await;
    report("tokens", &compared, &sandbox, &store);
    assert_live_hazards_met(&compared, &sandbox, &store);
    let refreshes = sandbox.stats().token_refreshes;
    assert!(refreshes >= 10, "{:?}", sandbox.stats());
    assert_eq!(
        manifest(&store)["counters"]["token_refreshes"].as_u64(),
        Some(refreshes)
    );
    let after_first = stored_tokens(&token_file, &sandbox);

    // The environment still holds the first tokens, which the sandbox now
    // refuses (the access token was replaced, the refresh token rotated):
    // the second run goes on from the stored ones.
    let second = run(extract(&sandbox, &store, open_window())).await;
    assert_eq!(code(&second), 0, "{}", util::stderr(&second));
    let compared = compare(&sandbox, &store, open_window()).await;
    report("tokens, second run", &compared, &sandbox, &store);
    assert_eq!(compared.left, 0);
    let stats = sandbox.stats();
    assert!(stats.token_refreshes > refreshes, "{stats:?}");
    // Had it started from the environment's tokens, its first refresh
    // would have sent the rotated-away refresh token, and failed.
    assert_eq!(
        stats.refresh_rejections, 0,
        "no refresh with a refused token: {stats:?}"
    );
    let after_second = stored_tokens(&token_file, &sandbox);
    assert_ne!(after_first, after_second, "rotated again and stored");

    for output in [&first, &second] {
        let logs = format!("{}{}", util::stderr(output), util::stdout(output));
        for secret in [
            after_first.0.as_str(),
            after_first.1.as_str(),
            after_second.0.as_str(),
            after_second.1.as_str(),
            "sandbox-access-token",
            "sandbox-refresh-token",
            "sandbox-app-secret",
        ] {
            assert!(!logs.contains(secret), "a token leaked: {secret}");
        }
    }
}

/// The access and refresh tokens in the token file, checked to be the
/// ones the sandbox accepts now.
fn stored_tokens(file: &Path, sandbox: &Sandbox) -> (String, String) {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("no token file {}: {e}", file.display()));
    let (access, refresh) = (sandbox.access_token(), sandbox.refresh_token());
    assert!(
        text.contains(&access) && text.contains(&refresh),
        "the token file holds the sandbox's current tokens"
    );
    assert_ne!(refresh, sandbox.config().refresh_token, "rotated");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
    }
    (access, refresh)
}
