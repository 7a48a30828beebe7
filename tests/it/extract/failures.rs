//! How extract survives transient failures (rate limits, 5xx, an expired
//! token, a stale timestamp) and how it reports the ones it cannot: exit 1
//! or 2, a message that says what to do, and never a secret.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fake_api::*;
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_and_503_are_waited_out_then_the_run_succeeds() {
    let mut limited = Reply::error(
        429,
        36009002,
        "Too many requests. You've made too many requests in a short period of time.",
    );
    limited.retry_after = Some(1);
    let unavailable = Reply {
        status: 503,
        body: "Service Unavailable".into(),
        retry_after: None,
    };
    let fake = Arc::new(Fake::listing(two_shops()).with_faults([limited, unavailable]));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A, SHOP_B])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 0, "{stderr}");
    assert_eq!(rows(&store, RUN_ID, SHOP_A).await.len(), 4);
    let m = manifest(&store);
    let c = &m["counters"];
    assert_eq!(
        [
            &c["pages"],
            &c["api_requests"],
            &c["retries"],
            &c["retries_throttled"],
            &c["retries_server_error"]
        ],
        // Four pages, two retries, and one query for orders after the
        // window (shop A's first page showed more to read).
        [4, 7, 2, 1, 1]
    );
    let throttled = |shop: &str| c["shops"][shop]["throttled"].as_u64().unwrap();
    assert_eq!(throttled(SHOP_A) + throttled(SHOP_B), 1);
    // The first search was throttled; its shop's next one is its retry
    // (the other shop runs meanwhile).
    let searches = fake.seen_at("/order/202309/orders/search");
    let past_end = searches
        .iter()
        .filter(|s| search_window(s.body.as_bytes()).0 == unix(UNTIL))
        .count();
    assert_eq!(past_end, 1, "one query for orders past the window");
    let throttled = &searches[0];
    let retry = searches[1..]
        .iter()
        .find(|s| s.param("shop_cipher") == throttled.param("shop_cipher"))
        .unwrap();
    assert!(
        retry.at - throttled.at >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    let stamp = |s: &Seen| s.param("timestamp").unwrap().parse::<i64>().unwrap();
    assert!(stamp(retry) > stamp(throttled), "every retry is re-stamped");
    assert_ne!(
        throttled.param("sign"),
        retry.param("sign"),
        "and re-signed"
    );
    // A 503 is worth a warning; a 429 is counted (above), as `auto` meets
    // them on purpose.
    assert!(stderr.contains("HTTP 503"), "{stderr}");
    assert!(!stderr.contains("36009002"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_once_and_no_token_is_printed() {
    let fake = Arc::new(Fake::listing(two_shops()).with_expired_token());
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A, SHOP_B]);
    cmd.env("TIKTOK_REFRESH_TOKEN", REFRESH_TOKEN);

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 0, "{stderr}");
    assert_eq!(rows(&store, RUN_ID, SHOP_A).await.len(), 4);
    assert_eq!(manifest(&store)["counters"]["token_refreshes"], 1);
    // Searches refused (the two shops run at once), one refresh, then
    // every search with the new token.
    let seen = fake.seen();
    let at = seen
        .iter()
        .position(|s| s.path == "/api/v2/token/refresh")
        .expect("a refresh");
    assert!(
        at >= 1
            && seen[..at]
                .iter()
                .all(|s| s.path == "/order/202309/orders/search"),
        "{at}"
    );
    assert_eq!(seen[at].method, "GET");
    assert_eq!(seen[at].param("grant_type"), Some("refresh_token"));
    assert!(
        seen[at].param("sign").is_none(),
        "the token API is not signed"
    );
    let searches = fake.seen_at("/order/202309/orders/search");
    let with_old = searches
        .iter()
        .filter(|s| s.header("x-tts-access-token") == Some(ACCESS_TOKEN))
        .count();
    assert!(
        (1..=2).contains(&with_old),
        "one refused search per shop at most: {with_old}"
    );
    assert_eq!(
        searches.len() - with_old,
        searches
            .iter()
            .filter(|s| s.header("x-tts-access-token") == Some(NEW_ACCESS_TOKEN))
            .count(),
        "every other search carries the new token"
    );
    assert_eq!(
        fake.seen_at("/api/v2/token/refresh").len(),
        1,
        "refreshed once for the whole run"
    );
    assert!(
        stderr.contains("access token refreshed") && stderr.contains("expires_at"),
        "{stderr}"
    );
    // The rotated tokens are saved in the store's state/, readable by the
    // owner only, and never printed.
    assert!(
        stderr.contains("saved the refreshed tokens to the token store"),
        "{stderr}"
    );
    let file = store.join("state/tokens/fake-app-key.json");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains(NEW_REFRESH_TOKEN) && saved.contains(NEW_ACCESS_TOKEN));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_no_secret(&stderr);
    assert_no_secret(&util::stdout(&output));
    assert_no_secret(&std::fs::read_to_string(manifest_path(&store)).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_without_a_refresh_token_exits_2_saying_which_variable_to_set() {
    let fake = Arc::new(Fake::listing(two_shops()).with_expired_token());
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("access token expired") && stderr.contains("TIKTOK_REFRESH_TOKEN"),
        "{stderr}"
    );
    assert!(
        stderr.contains("105002") && stderr.contains("request_id 20261125060000FAKEERR"),
        "{stderr}"
    );
    assert_eq!(fake.seen().len(), 1, "no refresh attempted, no retries");
    assert!(!manifest_path(&store).exists());
    assert_no_secret(&stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_app_secret_exits_2_at_once_naming_the_variable() {
    let fake = Arc::new(Fake::listing(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A]);
    cmd.env("TIKTOK_APP_SECRET", "wrong-app-secret-9999")
        .env("TIKTOK_API_RETRY_BASE_MS", "2000");

    let started = Instant::now();
    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no backoff for a fatal error"
    );
    assert_eq!(fake.seen().len(), 1, "not retried");
    assert!(
        stderr.contains("106001") && stderr.contains("TIKTOK_APP_SECRET"),
        "{stderr}"
    );
    assert!(
        stderr.contains("request_id 20261125060000FAKEERR") && stderr.contains("Invalid sign"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-app-secret-9999"), "{stderr}");
    assert!(!manifest_path(&store).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_access_token_exits_2_without_showing_it() {
    let fake = Arc::new(Fake::listing(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A]);
    cmd.env("TIKTOK_ACCESS_TOKEN", "TTP_not_a_valid_token_777");

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("access token invalid") && stderr.contains("TIKTOK_ACCESS_TOKEN"),
        "{stderr}"
    );
    assert!(stderr.contains("36009004"), "{stderr}");
    assert!(!stderr.contains("TTP_not_a_valid_token_777"), "{stderr}");
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_timestamp_is_restamped_once_then_blamed_on_the_clock() {
    let skewed = || {
        Reply::error(
            400,
            36009004,
            "Invalid timestamp. The timestamp is more than 5 minutes old.",
        )
    };

    let fake = Arc::new(Fake::listing(two_shops()).with_faults([skewed()]));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    assert_eq!(code(&output), 0, "{}", util::stderr(&output));
    assert_eq!(manifest(&store)["counters"]["retries"], 1);

    let fake = Arc::new(Fake::listing(two_shops()).with_faults([skewed(), skewed()]));
    let base = serve(fake.clone()).await;
    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("system clock") && stderr.contains("Invalid timestamp"),
        "{stderr}"
    );
    assert_eq!(fake.seen().len(), 2);
    assert!(
        !manifest_path(&store).exists(),
        "the failed re-run removed the old manifest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fatal_api_codes_exit_2_with_what_to_do() {
    let cases = [
        (
            Reply::error(
                200,
                105005,
                "Access denied: the app lacks the required scope",
            ),
            "seller.order.info",
        ),
        (
            Reply::error(
                200,
                101000,
                "The shop_cipher does not match the access token",
            ),
            "TIKTOK_SHOP_CIPHER",
        ),
        (
            Reply::error(403, 36009033, "IP address is not in the allow list"),
            "IP allow-list",
        ),
        (
            Reply::error(400, 36009004, "Invalid app_key"),
            "TIKTOK_APP_KEY",
        ),
        (
            Reply {
                status: 404,
                body: "<html>Not Found</html>".into(),
                retry_after: None,
            },
            "TIKTOK_API_BASE_URL",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for (reply, advice) in cases {
        let fake = Arc::new(Fake::listing(two_shops()).with_faults([reply.clone()]));
        let base = serve(fake.clone()).await;
        let output = run(extract_command(&base, &store, &[SHOP_A])).await;
        let stderr = util::stderr(&output);
        assert_eq!(code(&output), 2, "{}: {stderr}", reply.body);
        assert!(stderr.contains(advice), "{advice}: {stderr}");
        assert_eq!(fake.seen().len(), 1, "{advice}: not retried");
        assert_no_secret(&stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_api_exits_1_after_five_retries() {
    let unavailable = Reply {
        status: 503,
        body: "upstream connect error".into(),
        retry_after: None,
    };
    let fake = Arc::new(Fake::listing(two_shops()).with_faults(vec![unavailable; 20]));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 1, "{stderr}");
    assert_eq!(fake.seen().len(), 6, "one attempt and five retries");
    assert!(
        stderr.contains("gave up after 6 attempts") && stderr.contains("HTTP 503"),
        "{stderr}"
    );
    assert!(stderr.contains("retrying may succeed"), "{stderr}");
    assert!(!manifest_path(&store).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_exits_1() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 1, "{stderr}");
    assert!(
        stderr.contains("cannot connect to") && stderr.contains(&base),
        "{stderr}"
    );
    assert!(stderr.contains("gave up after 6 attempts"), "{stderr}");
    assert!(!manifest_path(&store).exists());
    assert_no_secret(&stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_app_secret_exits_2_naming_it_and_writes_nothing() {
    let fake = Arc::new(Fake::listing(two_shops()));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = extract_command(&base, &store, &[SHOP_A]);
    cmd.env_remove("TIKTOK_APP_SECRET");

    let output = run(cmd).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("TIKTOK_APP_SECRET") && stderr.contains("not set"),
        "{stderr}"
    );
    assert!(
        !store.exists(),
        "nothing written: {:?}",
        util::files_under(&store)
    );
    assert!(fake.seen().is_empty(), "no request sent");
    assert!(util::stdout(&output).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_token_served_twice_stops_the_run_instead_of_looping() {
    let t = unix(SINCE);
    let loop_token = "same+token/==";
    let pages = HashMap::from([
        (
            (SHOP_A.to_owned(), None),
            page_body("P1", &[order("1", "UNPAID", t, t)], loop_token),
        ),
        (
            (SHOP_A.to_owned(), Some(loop_token.to_owned())),
            page_body("P2", &[order("2", "UNPAID", t, t)], loop_token),
        ),
    ]);
    let fake = Arc::new(Fake::new(pages));
    let base = serve(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let output = run(extract_command(&base, &store, &[SHOP_A])).await;
    let stderr = util::stderr(&output);
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("already used") && stderr.contains("request_id P2"),
        "{stderr}"
    );
    // The first query, then its crowded second read with tokens until the
    // token came back.
    assert_eq!(fake.seen().len(), 3);
    assert!(!manifest_path(&store).exists());
}
