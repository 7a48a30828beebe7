//! Integration tests of transform: the real binary over raw runs written to
//! a local store.

use std::path::Path;

use crate::util::{self, RawOrder};
use tiktok_etl::schema::{rejects, staged};

const RUN: &str = "manual__transform-test";
const RUN_DIR: &str = "runs/manual__transform-test";

/// The first order of the official sample, exactly as the API sent it.
fn sample_order() -> String {
    let sample: serde_json::Value = serde_json::from_str(&util::official_search_sample()).unwrap();
    serde_json::to_string(&sample["data"]["orders"][0]).unwrap()
}

fn transform(store: &Path) -> std::process::Output {
    util::run(util::command("transform").args([
        "--store",
        store.to_str().unwrap(),
        "--run-id",
        RUN,
    ]))
}

fn order(id: &str, update_time: i64, sale_price: &str) -> RawOrder {
    let payload = sample_order()
        .replace("576461413038785752", id)
        .replace(
            "\"update_time\":1619621355",
            &format!("\"update_time\":{update_time}"),
        )
        .replace(
            "\"sale_price\":\"0.01\"",
            &format!("\"sale_price\":\"{sale_price}\""),
        );
    RawOrder {
        shop: "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3",
        order_id: id.into(),
        update_time,
        payload,
    }
}

#[test]
fn official_sample_flattens_to_the_golden_row() {
    let dir = tempfile::tempdir().unwrap();
    util::write_raw_run(
        dir.path(),
        RUN,
        &[order("576461413038785752", 1619621355, "0.01")],
    );
    let out = transform(dir.path());
    assert!(out.status.success());
    let batches = util::read_parquet(
        dir.path(),
        &format!("{RUN_DIR}/transform/order_lines/part-00000.parquet"),
        &staged::schema(),
    );
    let rows = util::rows_as_maps(&batches);
    assert_eq!(rows.len(), 1, "one line item in the sample order");
    let actual = serde_json::to_string_pretty(&rows[0]).unwrap() + "\n";
    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/sample_order_line.json"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        actual, expected,
        "staged row differs from tests/golden/sample_order_line.json"
    );
}

#[test]
fn duplicates_keep_the_newest_and_bad_orders_become_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad_json = order("900000000000000003", 1700000000, "1.00");
    bad_json.payload = "{\"id\": \"900000000000000003\", truncated".into();
    let orders = [
        order("900000000000000001", 1700000000, "1.00"),
        order("900000000000000001", 1700000500, "2.50"), // newer copy wins
        order("900000000000000001", 1699999999, "9.99"), // older copy after it loses
        order("900000000000000002", 1700000000, "12,50"), // not a number
        bad_json,
    ];
    util::write_raw_run(dir.path(), RUN, &orders);
    let out = transform(dir.path());
    assert!(out.status.success(), "bad records never fail the run");
    let summary = util::summary(&out);
    assert_eq!(summary["rows_in"], 5);
    assert_eq!(summary["rows_out"], 1);
    assert_eq!(summary["rejected"], 2);

    let lines = util::rows_as_maps(&util::read_parquet(
        dir.path(),
        &format!("{RUN_DIR}/transform/order_lines/part-00000.parquet"),
        &staged::schema(),
    ));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["order_id"], "900000000000000001");
    assert_eq!(lines[0]["item_sale_price"], "2.5000");

    let rejected = util::rows_as_maps(&util::read_parquet(
        dir.path(),
        &format!("{RUN_DIR}/transform/rejects/part-00000.parquet"),
        &rejects::schema(),
    ));
    let mut reasons: Vec<(&str, &str)> = rejected
        .iter()
        .map(|r| (r["order_id"].as_str(), r["reason"].as_str()))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("900000000000000002", "bad_amount"),
            ("900000000000000003", "bad_json")
        ]
    );
    assert!(
        rejected
            .iter()
            .any(|r| r["detail"].contains("item_sale_price") && r["detail"].contains("12,50"))
    );

    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join(format!("{RUN_DIR}/transform/_manifest.json")),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["rejects_by_reason"]["bad_amount"], 1);
    assert_eq!(manifest["rejects_by_reason"]["bad_json"], 1);
    assert_eq!(manifest["counters"]["duplicates_dropped"], 2);
}

#[test]
fn rerunning_replaces_the_output_with_identical_rows() {
    let dir = tempfile::tempdir().unwrap();
    util::write_raw_run(
        dir.path(),
        RUN,
        &[order("1", 1700000000, "3.3"), order("2", 1700000001, "4.4")],
    );
    let path = format!("{RUN_DIR}/transform/order_lines/part-00000.parquet");
    assert!(transform(dir.path()).status.success());
    let first = util::rows_as_maps(&util::read_parquet(dir.path(), &path, &staged::schema()));
    // A stray file of a crashed attempt must disappear on re-run.
    let stray = dir.path().join(format!(
        "{RUN_DIR}/transform/order_lines/part-00009.parquet"
    ));
    std::fs::write(&stray, b"half a file").unwrap();
    // And the file a writer killed mid-write leaves: object_store writes
    // `<name>#<n>` and renames it when complete; listing never shows it.
    let unfinished = dir.path().join(format!(
        "{RUN_DIR}/transform/order_lines/part-00000.parquet#1"
    ));
    std::fs::write(&unfinished, b"PAR1 and no footer").unwrap();
    assert!(transform(dir.path()).status.success());
    assert!(!stray.exists());
    assert!(!unfinished.exists(), "an unfinished upload is left behind");
    assert_eq!(
        util::rows_as_maps(&util::read_parquet(dir.path(), &path, &staged::schema())),
        first
    );
}

/// A transform killed while it writes (SIGKILL: no clean-up of its own
/// runs) leaves the file it was writing unfinished; the re-run removes it
/// and stages exactly what an uninterrupted run stages.
#[test]
fn a_transform_killed_while_writing_reruns_to_the_same_files_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // Enough rows, and text zstd cannot shrink, for the staged file to go
    // past the store writer's 10 MB buffer: from then on it is written to
    // disk as `part-00000.parquet#1` until complete.
    let mut rng = util::XorShift(0x2545_f491_4f6c_dd1d);
    let mut noise = || {
        (0..125)
            .map(|_| format!("{:016x}", rng.next_u64()))
            .collect::<String>()
    };
    let orders: Vec<RawOrder> = (0..40_000)
        .map(|n| RawOrder {
            shop: "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3",
            order_id: format!("{}", 5_000_000_000u64 + n),
            update_time: 1_700_000_000 + n as i64,
            payload: format!(
                r#"{{"id":"{}","update_time":{},"buyer_message":"{}","line_items":[{{"id":"{n}","sale_price":"1.5"}}]}}"#,
                5_000_000_000u64 + n,
                1_700_000_000 + n as i64,
                noise()
            ),
        })
        .collect();
    util::write_raw_run(dir.path(), RUN, &orders);
    drop(orders);
    let stage = dir.path().join(format!("{RUN_DIR}/transform"));
    let read_files = || -> Vec<(String, Vec<u8>)> {
        util::files_under(&stage)
            .into_iter()
            .filter(|f| f.ends_with(".parquet"))
            .map(|f| (f.clone(), std::fs::read(stage.join(&f)).unwrap()))
            .collect()
    };
    assert!(transform(dir.path()).status.success());
    let uninterrupted = read_files();
    assert!(
        uninterrupted[0].1.len() > 20 << 20,
        "the staged file should be well past 10 MB, it is {} bytes",
        uninterrupted[0].1.len()
    );

    let mut child = util::command("transform")
        .args(["--store", dir.path().to_str().unwrap(), "--run-id", RUN])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let unfinished = |files: &[String]| files.iter().any(|f| f.contains('#'));
    let clock = std::time::Instant::now();
    while !unfinished(&util::files_under(&stage)) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "transform finished before it could be caught writing"
        );
        assert!(clock.elapsed().as_secs() < 120, "transform never wrote");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = util::files_under(&stage);
    assert!(unfinished(&left), "the kill leaves a file behind: {left:?}");
    assert!(!left.iter().any(|f| f.ends_with("_manifest.json")));

    let rerun = transform(dir.path());
    assert!(rerun.status.success(), "{}", util::stderr(&rerun));
    let after = util::files_under(&stage);
    assert!(
        !unfinished(&after),
        "still there after the re-run: {after:?}"
    );
    assert!(
        read_files() == uninterrupted,
        "the re-run stages other files than an uninterrupted run"
    );
    assert_eq!(util::summary(&rerun)["rows_out"], 40_000);
}

#[test]
fn missing_extract_manifest_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = transform(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(err.contains("the extract stage has not finished"), "{err}");
    assert!(err.contains("run the extract stage"), "{err}");
    assert!(
        util::files_under(dir.path()).is_empty(),
        "{:?}",
        util::files_under(dir.path())
    );
}

#[test]
fn corrupted_raw_file_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    util::write_raw_run(dir.path(), RUN, &[order("1", 1700000000, "3.3")]);
    let raw = dir.path().join(format!(
        "{RUN_DIR}/extract/shop=GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3/part-00000.parquet"
    ));
    std::fs::write(&raw, b"PAR1 this is not parquet PAR1").unwrap();
    let out = transform(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(
        err.contains("part-00000.parquet") && err.contains("re-run the stage that wrote it"),
        "{err}"
    );
    assert!(
        !dir.path()
            .join(format!("{RUN_DIR}/transform/_manifest.json"))
            .exists()
    );
}

#[test]
fn transform_without_run_id_says_where_to_find_it() {
    let out = util::run(util::command("transform").args(["--store", "/nonexistent-never-created"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(util::stderr(&out).contains("needs --run-id"));
    assert!(!Path::new("/nonexistent-never-created").exists());
}
