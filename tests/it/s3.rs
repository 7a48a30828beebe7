//! The store on an S3-compatible server: moto's S3 server, started by the
//! test on loopback (`tests/run-all.sh` installs it and sets
//! ETL_TEST_MOTO_SERVER to its path).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util;

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto's S3 server, or says why the test cannot run. On CI a missing
/// server is a failure, not a skip.
fn start_moto() -> Option<Moto> {
    let Some(server) =
        std::env::var_os("ETL_TEST_MOTO_SERVER").filter(|p| std::path::Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the S3 test: set ETL_TEST_MOTO_SERVER (tests/run-all.sh does)"
        );
        eprintln!(
            "skipped: ETL_TEST_MOTO_SERVER does not name moto_server (tests/run-all.sh installs it)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

fn create_bucket(endpoint: &str, bucket: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime
        .block_on(
            reqwest::Client::new()
                .put(format!("{endpoint}/{bucket}"))
                .send(),
        )
        .expect("moto answers")
        .status();
    assert!(status.is_success(), "creating the bucket: {status}");
}

fn with_s3_env<'c>(cmd: &'c mut Command, endpoint: &str) -> &'c mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret-key")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ALLOW_HTTP", "true")
}

/// The S3 API's listing of `bucket` under `prefix` (XML), not through our code.
fn list_bucket(endpoint: &str, bucket: &str, prefix: &str) -> String {
    let url = format!("{endpoint}/{bucket}?list-type=2&prefix={prefix}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(async { reqwest::get(url).await?.text().await })
        .unwrap()
}

#[test]
fn the_stages_run_against_an_s3_compatible_store() {
    let Some(moto) = start_moto() else { return };
    create_bucket(&moto.endpoint, "etl-store");
    let sandbox = util::TestSandbox::frozen();
    let dir = tempfile::tempdir().unwrap();
    let target = format!("sqlite://{}", dir.path().join("staging.db").display());
    let store = "s3://etl-store/team/tiktok";
    let run = |bin: &str, args: &[&str]| {
        let mut cmd = util::command(bin);
        sandbox
            .env(with_s3_env(&mut cmd, &moto.endpoint))
            .args(args)
            .args(["--store", store]);
        let out = util::run(&mut cmd);
        assert!(
            out.status.success(),
            "{bin} failed:\n{}",
            util::stderr(&out)
        );
        out
    };
    let (since, until) = ("2026-11-24T12:00:00Z", "2026-11-25T00:00:00Z");
    let expected = sandbox.expected_line_items(since, until);
    let extract = util::summary(&run(
        "extract",
        &[
            "--run-id",
            "scheduled__2026-11-25T00:00:00+00:00",
            "--since",
            since,
            "--until",
            until,
        ],
    ));
    let transform = util::summary(&run(
        "transform",
        &["--run-id", "scheduled__2026-11-25T00:00:00+00:00"],
    ));
    let load = util::summary(&run(
        "load",
        &[
            "--run-id",
            "scheduled__2026-11-25T00:00:00+00:00",
            "--target",
            &target,
        ],
    ));
    assert!(extract["rows_out"].as_u64().unwrap() > 0);
    assert_eq!(transform["rows_out"], expected);
    assert_eq!(load["load"]["inserted"], expected);
    assert_eq!(
        util::dump_table(&dir.path().join("staging.db"), "tiktok_shop_orders", &[]).len() as u64,
        expected
    );

    // The files are in the bucket, under the prefix and the mapped run id.
    let report = util::stdout(&run(
        "tiktok-etl",
        &[
            "inspect",
            "--run-id",
            "scheduled__2026-11-25T00:00:00+00:00",
            "--rows",
            "1",
        ],
    ));
    assert!(
        report.contains(
            "stored at s3://etl-store/team/tiktok/runs/scheduled__2026-11-25T00=3A00=3A00=2B00=3A00"
        ),
        "{report}"
    );
    for stage in [
        "== extract: finished",
        "== transform: finished",
        "== load: finished",
    ] {
        assert!(report.contains(stage), "{stage} missing from:\n{report}");
    }
    assert!(
        report.contains(&format!("rows out: {expected}")),
        "{report}"
    );
    // A listing straight from the S3 API, not through our code.
    let listing = list_bucket(&moto.endpoint, "etl-store", "team/tiktok/runs/");
    assert!(
        listing.contains("/transform/order_lines/part-00000.parquet"),
        "{listing}"
    );
    assert!(listing.contains("/load/_manifest.json"), "{listing}");
}

#[test]
fn an_unreachable_s3_endpoint_is_worth_retrying() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = util::command("transform");
    with_s3_env(&mut cmd, &format!("http://127.0.0.1:{port}")).args([
        "--run-id",
        "r",
        "--store",
        "s3://nowhere/x",
    ]);
    let out = util::run(cmd.env("AWS_EC2_METADATA_DISABLED", "true"));
    assert_eq!(out.status.code(), Some(1), "{}", util::stderr(&out));
    assert!(!util::stderr(&out).contains("testing-secret-key"));
}

#[test]
fn rotated_tokens_are_kept_in_the_bucket_and_the_next_run_uses_them() {
    let Some(moto) = start_moto() else { return };
    create_bucket(&moto.endpoint, "etl-tokens");
    let now = chrono::DateTime::parse_from_rfc3339(util::FROZEN_NOW)
        .unwrap()
        .to_utc();
    // Every third call finds the access token expired; each refresh
    // rotates the refresh token and revokes the one it replaced.
    let sandbox = util::TestSandbox::start(tiktok_shop_sandbox::SandboxConfig {
        clock: tiktok_shop_sandbox::Clock::Frozen(now),
        expire_token_after_requests: Some(3),
        rotate_refresh_token: true,
        revoke_old_token_on_refresh: true,
        ..Default::default()
    });
    let store = "s3://etl-tokens/etl";
    let extract = |run_id: &str| {
        let mut cmd = util::command("extract");
        sandbox
            .env(with_s3_env(&mut cmd, &moto.endpoint))
            .args(["--store", store, "--run-id", run_id])
            .args([
                "--since",
                "2026-11-24T00:00:00Z",
                "--until",
                "2026-11-25T00:00:00Z",
            ]);
        util::run(&mut cmd)
    };
    let first = extract("first");
    assert!(first.status.success(), "{}", util::stderr(&first));
    let refreshed = util::summary(&first)["counters"]["token_refreshes"]
        .as_u64()
        .unwrap();
    assert!(refreshed > 0, "the sandbox expired no token");

    // The token file is in the bucket under state/, listed straight from S3.
    let listing = list_bucket(&moto.endpoint, "etl-tokens", "etl/state/");
    assert!(
        listing.contains("etl/state/tokens/sandbox-app-key.json"),
        "{listing}"
    );

    // The second run starts from the environment's (now revoked) refresh
    // token again, and succeeds only by using the stored ones.
    let second = extract("second");
    let stderr = util::stderr(&second);
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains("using the tokens an earlier refresh saved"),
        "{stderr}"
    );
    for out in [&first, &second] {
        let text = util::stderr(out) + &util::stdout(out);
        assert!(
            !text.contains("sandbox-refresh-token") && !text.contains("TTP_"),
            "a token leaked"
        );
    }
}
