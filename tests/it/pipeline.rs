//! The whole pipeline: `tiktok-etl run`, the stages one by one, re-runs,
//! an S3-compatible store, and bad input.

use crate::util;

/// Every way of giving bad input exits 2, says what is wrong, and writes
/// nothing to the store.
#[test]
fn bad_input_exits_2_with_a_message_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["load", "--load-mode", "upsert"],
            "invalid value 'upsert'",
        ),
        (
            vec![
                "extract",
                "--since",
                "2026-11-25T06:00:00Z",
                "--until",
                "2026-11-25T00:00:00Z",
                "--shop-cipher",
                "A",
            ],
            "must be before --until",
        ),
        (
            vec![
                "extract",
                "--days-back",
                "1",
                "--shop-cipher",
                "A",
                "--run-id",
                "bad\nid",
            ],
            "control character",
        ),
        (
            vec!["extract", "--days-back", "1", "--shop-cipher", "../up"],
            "not a shop cipher",
        ),
        (
            vec!["extract", "--days-back", "1", "--shop-cipher", "A"],
            "TIKTOK_APP_SECRET",
        ),
        (
            vec!["transform", "--run-id", "never-extracted"],
            "run the extract stage",
        ),
        (
            vec!["load", "--run-id", "never-transformed"],
            "run the transform stage",
        ),
        (vec!["tiktok-etl", "inspect", "--run-id", ""], "empty"),
    ];
    for (args, expected) in cases {
        let (bin, rest) = args.split_first().unwrap();
        let out = util::run(
            util::command(bin)
                .args(rest)
                .args(["--store", &store_arg])
                .env("TIKTOK_APP_KEY", "k"),
        );
        let err = util::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: expected {expected:?} in:\n{err}"
        );
        let written = util::files_under(&store);
        assert!(written.is_empty(), "{args:?} wrote {written:?}");
    }
}

#[test]
fn a_store_that_cannot_be_opened_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    for store in [
        format!("{}/sub", file.display()),
        "ftp://host/x".to_owned(),
        "s3://".to_owned(),
    ] {
        let out = util::run(util::command("transform").args(["--run-id", "r", "--store", &store]));
        assert_eq!(out.status.code(), Some(2), "{store}");
        assert!(
            util::stderr(&out).contains("cannot open the store"),
            "{store}: {}",
            util::stderr(&out)
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
}

#[test]
fn help_never_shows_secret_values() {
    let secret = "hunter2-super-secret-value";
    for bin in ["extract", "load", "tiktok-etl"] {
        let out = util::run(
            util::command(bin)
                .arg("--help")
                .env("TIKTOK_APP_SECRET", secret)
                .env("TIKTOK_ACCESS_TOKEN", secret)
                .env("DB_PASSWORD", secret)
                .env("TIKTOK_APP_KEY", secret)
                .env("ETL_TARGET", format!("server=tcp:db;password={secret}")),
        );
        assert!(out.status.success());
        let text = util::stdout(&out);
        assert!(
            !text.contains(secret),
            "{bin} --help shows a secret:\n{text}"
        );
    }
}

const SINCE: &str = "2026-11-24T00:00:00Z";
const UNTIL: &str = "2026-11-25T00:00:00Z";

fn stage(
    sandbox: &util::TestSandbox,
    bin: &str,
    store: &std::path::Path,
    args: &[&str],
) -> serde_json::Value {
    let db = format!("sqlite://{}", store.join("staging.db").display());
    let mut cmd = util::command(bin);
    sandbox
        .env(&mut cmd)
        .args(args)
        .args(["--store", store.to_str().unwrap()]);
    if bin != "extract" && bin != "transform" {
        cmd.args(["--target", &db]);
    }
    let out = util::run(&mut cmd);
    assert!(
        out.status.success(),
        "{bin} {args:?} failed:\n{}",
        util::stderr(&out)
    );
    util::summary(&out)
}

/// The stages one by one give the same table as `run`; re-running any one
/// stage alone changes nothing in the final table, timestamps included.
#[test]
fn stages_one_by_one_equal_run_and_reruns_change_nothing() {
    let sandbox = util::TestSandbox::frozen();
    let expected = sandbox.expected_line_items(SINCE, UNTIL);
    assert!(
        expected > 1000,
        "the window holds a realistic number of line items: {expected}"
    );
    let window = ["--since", SINCE, "--until", UNTIL];
    let dir = tempfile::tempdir().unwrap();
    let (whole, staged) = (dir.path().join("whole"), dir.path().join("staged"));

    let summary = stage(
        &sandbox,
        "tiktok-etl",
        &whole,
        &[&["run", "--run-id", "r1"][..], &window].concat(),
    );
    assert_eq!(summary["line_items"], expected);

    let extract = stage(
        &sandbox,
        "extract",
        &staged,
        &[&["--run-id", "r1"][..], &window].concat(),
    );
    let transform = stage(&sandbox, "transform", &staged, &["--run-id", "r1"]);
    let load = stage(&sandbox, "load", &staged, &["--run-id", "r1"]);
    assert_eq!(extract["rows_out"], summary["orders"]);
    assert_eq!(transform["rows_out"], expected);
    assert_eq!(load["load"]["inserted"], expected);

    let times = ["etl_created_at", "etl_updated_at"];
    let db = staged.join("staging.db");
    let table = util::dump_table(&db, "tiktok_shop_orders", &[]);
    assert_eq!(
        table.len() as u64,
        expected,
        "one table row per line item served"
    );
    assert_eq!(
        util::dump_table(&whole.join("staging.db"), "tiktok_shop_orders", &times),
        util::dump_table(&db, "tiktok_shop_orders", &times)
    );

    for rerun in ["extract", "transform", "load"] {
        let args: Vec<&str> = if rerun == "extract" {
            [&["--run-id", "r1"][..], &window].concat()
        } else {
            vec!["--run-id", "r1"]
        };
        stage(&sandbox, rerun, &staged, &args);
        let load = stage(&sandbox, "load", &staged, &["--run-id", "r1"]);
        assert_eq!(
            (
                load["load"]["inserted"].as_u64(),
                load["load"]["updated"].as_u64()
            ),
            (Some(0), Some(0)),
            "after re-running {rerun}"
        );
        assert_eq!(
            util::dump_table(&db, "tiktok_shop_orders", &[]),
            table,
            "re-running {rerun} changed the table"
        );
    }
}

/// The README's first command on the embedded defaults: the sandbox
/// in-process, `./data`, SQLite. The table holds exactly the line items the
/// sandbox served in the window (not the order extract asks about past it).
#[test]
fn run_with_the_sandbox_on_embedded_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = util::run(
        util::command("tiktok-etl")
            .args(["run", "--sandbox", "--days-back", "1"])
            .current_dir(dir.path()),
    );
    assert!(out.status.success());
    let text = util::stdout(&out);
    let served: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("sandbox:   served ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no 'served' line in:\n{text}"));
    let summary = util::summary(&out);
    assert_eq!(summary["line_items"], served);
    let rows = util::dump_table(
        &dir.path().join("data/staging.db"),
        "tiktok_shop_orders",
        &[],
    );
    assert_eq!(rows.len() as u64, served);
    let run_dir = dir
        .path()
        .join("data")
        .join(summary["run_dir"].as_str().unwrap());
    for manifest in ["extract", "transform", "load"] {
        assert!(
            run_dir.join(manifest).join("_manifest.json").is_file(),
            "{manifest} manifest"
        );
    }

    // inspect lists the run, then shows its manifests, schemas and rows.
    let run_id = summary["run_id"].as_str().unwrap();
    let listing = util::stdout(&util::run(
        util::command("tiktok-etl")
            .args(["inspect"])
            .current_dir(dir.path()),
    ));
    assert!(
        listing.contains(&format!("{run_id}\textract load transform")),
        "{listing}"
    );
    let report = util::run(
        util::command("tiktok-etl")
            .args(["inspect", "--run-id", run_id, "--rows", "1"])
            .current_dir(dir.path()),
    );
    let report = util::stdout(&report);
    assert!(report.contains(&format!("rows out: {served}")), "{report}");
    assert!(
        report.contains("total_amount: Decimal128(19, 4)"),
        "{report}"
    );
    assert!(report.contains("payload = {"), "{report}");
    assert!(report.contains("     item_quantity = 1"), "{report}");
    assert!(
        report.contains(&format!("mode merge: {served} inserted")),
        "{report}"
    );
}

/// Without --shop-cipher, extract reads every shop the token is authorized
/// for (GET /authorization/202309/shops), as the old tool's users expected.
#[test]
fn extract_without_shop_cipher_reads_every_authorized_shop() {
    let sandbox = util::TestSandbox::frozen();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = util::command("extract");
    sandbox.env(&mut cmd).env_remove("TIKTOK_SHOP_CIPHER");
    let out = util::run(cmd.args([
        "--run-id",
        "all-shops",
        "--since",
        SINCE,
        "--until",
        UNTIL,
        "--store",
        dir.path().to_str().unwrap(),
    ]));
    assert!(out.status.success());
    let summary = util::summary(&out);
    assert_eq!(
        summary["shops"],
        serde_json::json!(sandbox.sandbox.config().shops)
    );
}

/// `tiktok-etl check` lists the shops and their ciphers and checks the
/// database; a wrong secret fails it with exit 2 and no secret in the output.
#[test]
fn check_reports_shops_and_database() {
    let sandbox = util::TestSandbox::frozen();
    let dir = tempfile::tempdir().unwrap();
    let target = format!("sqlite://{}", dir.path().join("staging.db").display());
    let mut cmd = util::command("tiktok-etl");
    sandbox.env(&mut cmd).args(["check", "--target", &target]);
    let out = util::run(&mut cmd);
    assert!(out.status.success());
    let text = util::stdout(&out);
    assert!(
        text.contains("api:      ok, 2 authorized shop(s)"),
        "{text}"
    );
    assert!(
        text.contains("TIKTOK_SHOP_CIPHER=GCP_SANDBOX_SHOP_0001,ROW_SANDBOX_SHOP_0002"),
        "{text}"
    );
    assert!(text.contains("database: ok"), "{text}");

    let mut cmd = util::command("tiktok-etl");
    sandbox
        .env(&mut cmd)
        .env("TIKTOK_APP_SECRET", "wrong-secret-value")
        .args(["check", "--skip-database"]);
    let out = util::run(&mut cmd);
    assert_eq!(out.status.code(), Some(2));
    let all = util::stdout(&out) + &util::stderr(&out);
    assert!(
        all.contains("api:      FAILED") && all.contains("106001"),
        "{all}"
    );
    assert!(!all.contains("wrong-secret-value"), "{all}");
}

/// Orders whose amounts are not numbers become rejects, counted by reason,
/// and never stop the others: rejects equal what the sandbox corrupted.
#[test]
fn corrupt_orders_from_the_api_become_rejects() {
    let now = chrono::DateTime::parse_from_rfc3339(util::FROZEN_NOW)
        .unwrap()
        .to_utc();
    let sandbox = util::TestSandbox::start(tiktok_shop_sandbox::SandboxConfig {
        clock: tiktok_shop_sandbox::Clock::Frozen(now),
        corrupt_every: Some(40),
        ..Default::default()
    });
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
    let (corrupt, line_items) =
        sandbox
            .sandbox
            .config()
            .shops
            .iter()
            .fold((0, 0), |(c, l), shop| {
                let expected = sandbox.sandbox.expected(shop, parse(SINCE), parse(UNTIL));
                (c + expected.corrupt_orders, l + expected.line_items)
            });
    assert!(corrupt > 0);
    let dir = tempfile::tempdir().unwrap();
    stage(
        &sandbox,
        "extract",
        dir.path(),
        &["--run-id", "c", "--since", SINCE, "--until", UNTIL],
    );
    let transform = stage(&sandbox, "transform", dir.path(), &["--run-id", "c"]);
    assert_eq!(transform["rejected"], corrupt);
    assert!(transform["rows_out"].as_u64().unwrap() < line_items);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("runs/c/transform/_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["rejects_by_reason"],
        serde_json::json!({ "bad_amount": corrupt })
    );
    let load = stage(&sandbox, "load", dir.path(), &["--run-id", "c"]);
    assert_eq!(load["load"]["inserted"], transform["rows_out"]);
}

/// The image ships `tiktok-etl` once, with the stages as links to it:
/// called through a link named after a stage, it is that stage.
#[test]
fn tiktok_etl_called_through_a_stage_link_is_that_stage() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("transform");
    std::os::unix::fs::symlink(util::bin("tiktok-etl"), &link).unwrap();
    let out = util::run(std::process::Command::new(&link).args([
        "--run-id",
        "r",
        "--store",
        dir.path().to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        util::stderr(&out).contains("the extract stage has not finished"),
        "{}",
        util::stderr(&out)
    );
}
