//! Integration tests of load: the real binary over staged runs written to a
//! temporary store, into SQLite (and SQL Server when `MSSQL_URL` is set).
//!
//! Each test writes the transform output itself (two `order_lines` files and
//! a transform manifest), so the load is tested alone, on rows chosen to hit
//! each rule.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Int32Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use chrono::Utc;
use rusqlite::Connection;
use serde_json::Value;
use tiktok_etl::manifest::{Dataset, FileEntry, Manifest, StageName};
use tiktok_etl::run_id::RunId;
use tiktok_etl::schema::staged::{self, COLUMNS, Kind};
use tiktok_etl::store::parquet_io::ParquetSink;
use tiktok_etl::store::{RunLayout, Store};

use crate::util;

const TABLE: &str = "tiktok_shop_orders";

/// One staged line item; every other column is null or fixed.
#[derive(Clone)]
struct Line {
    order: String,
    item: String,
    /// `update_time`, unix seconds.
    updated: i64,
    hash: String,
    /// `total_amount` in units of 10^-4.
    total: i128,
    sku: &'static str,
}

fn line(order: &str, item: &str, updated: i64, hash: &str, total: i128) -> Line {
    Line {
        order: order.into(),
        item: item.into(),
        updated,
        hash: hash.into(),
        total,
        sku: "SKU-1",
    }
}

fn column(name: &str, kind: Kind, required: bool, run: &str, lines: &[Line]) -> ArrayRef {
    let texts = |f: &dyn Fn(&Line) -> String| {
        Arc::new(StringArray::from_iter_values(lines.iter().map(f))) as ArrayRef
    };
    let times = |f: &dyn Fn(&Line) -> Option<i64>| {
        Arc::new(TimestampMillisecondArray::from_iter(lines.iter().map(f)).with_timezone("UTC"))
            as ArrayRef
    };
    let money = |f: &dyn Fn(&Line) -> Option<i128>| {
        Arc::new(
            Decimal128Array::from_iter(lines.iter().map(f))
                .with_precision_and_scale(19, 4)
                .unwrap(),
        ) as ArrayRef
    };
    match (name, kind) {
        ("etl_batch_id", _) => texts(&|_| run.to_owned()),
        ("shop_cipher", _) => texts(&|_| "SHOP_A".to_owned()),
        ("order_id", _) => texts(&|l| l.order.clone()),
        ("item_id", _) => texts(&|l| l.item.clone()),
        ("etl_row_hash", _) => texts(&|l| l.hash.clone()),
        ("sku_id", _) => texts(&|l| l.sku.to_owned()),
        ("item_name", _) => texts(&|_| "Áo thun 😀".to_owned()),
        ("create_time", _) => times(&|l| Some((l.updated - 3600) * 1000)),
        ("update_time", _) => times(&|l| Some(l.updated * 1000 + 7)),
        ("total_amount", _) => money(&|l| Some(l.total)),
        ("sub_total", _) => money(&|_| Some(-5_000)),
        ("is_cod", _) => Arc::new(BooleanArray::from(vec![Some(true); lines.len()])),
        ("is_gift", _) => Arc::new(BooleanArray::from(vec![Some(false); lines.len()])),
        (_, Kind::Int) => Arc::new(Int32Array::from(vec![1; lines.len()])),
        (_, Kind::Text(_)) if required => panic!("no value for required column {name}"),
        (_, Kind::Text(_)) => Arc::new(StringArray::from(vec![None::<&str>; lines.len()])),
        (_, Kind::Time) => times(&|_| None),
        (_, Kind::Money) => money(&|_| None),
        (_, Kind::Bool) => Arc::new(BooleanArray::from(vec![None; lines.len()])),
    }
}

fn staged_batch(run: &str, lines: &[Line]) -> RecordBatch {
    let columns = COLUMNS
        .iter()
        .map(|c| column(c.name, c.kind, c.required, run, lines))
        .collect();
    RecordBatch::try_new(staged::schema(), columns).unwrap()
}

/// Writes `lines` of `run` as transform output (split over two files) with
/// its manifest, which also lists a rejects file the load must not read.
fn write_run(store: &Path, run: &str, lines: &[Line]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::open(store.to_str().unwrap()).unwrap();
        let run_id = RunId::parse(run).unwrap();
        let layout = RunLayout::new(&run_id);
        store
            .begin_stage(&layout, StageName::Transform)
            .await
            .unwrap();
        let mut manifest = Manifest::new(StageName::Transform, &run_id, Utc::now());
        let half = lines.len().div_ceil(2);
        for (part, chunk) in [&lines[..half], &lines[half..]].into_iter().enumerate() {
            let mut sink = ParquetSink::create(
                &store,
                &layout.order_lines_part(part),
                Dataset::OrderLines,
                staged::schema(),
            )
            .unwrap();
            sink.write(&staged_batch(run, chunk)).await.unwrap();
            manifest.files.push(sink.finish().await.unwrap());
        }
        manifest.files.push(FileEntry {
            path: layout.rejects_part(0),
            dataset: Dataset::Rejects,
            rows: 0,
            bytes: 0,
        });
        manifest.rows_out = lines.len() as u64;
        store.put_manifest(&layout, &manifest).await.unwrap();
    });
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: PathBuf,
    db: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let db = dir.path().join("db").join("staging.db");
        Fixture {
            _dir: dir,
            store,
            db,
        }
    }

    fn target(&self) -> String {
        format!("sqlite://{}", self.db.display())
    }

    fn load_to(&self, run: &str, mode: &str, target: &str) -> Output {
        util::run(util::command("load").args([
            "--store",
            self.store.to_str().unwrap(),
            "--run-id",
            run,
            "--target",
            target,
            "--load-mode",
            mode,
        ]))
    }

    /// Loads `run` and returns the load section of the summary line.
    fn load_ok(&self, run: &str, mode: &str) -> Value {
        let out = self.load_to(run, mode, &self.target());
        assert!(
            out.status.success(),
            "load {run} ({mode}) failed:\n{}",
            util::stderr(&out)
        );
        util::summary(&out)["load"].clone()
    }

    fn db(&self) -> Connection {
        Connection::open(&self.db).unwrap()
    }

    /// Every row and column of the table, as text, in key order.
    fn dump(&self) -> Vec<Vec<String>> {
        let conn = self.db();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM {TABLE} ORDER BY order_id, item_id, etl_batch_id"
            ))
            .unwrap();
        let width = stmt.column_count();
        stmt.query_map([], |row| {
            (0..width)
                .map(|i| row.get_ref(i).map(|v| format!("{v:?}")))
                .collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    /// (order:item, batch, total_amount, etl_created_at, etl_updated_at) in key order.
    fn rows(&self) -> Vec<(String, String, String, String, String)> {
        let conn = self.db();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT order_id || ':' || item_id, etl_batch_id, total_amount, etl_created_at, etl_updated_at \
                 FROM {TABLE} ORDER BY order_id, item_id, etl_batch_id"
            ))
            .unwrap();
        stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    fn keys(&self) -> Vec<String> {
        self.rows().into_iter().map(|r| r.0).collect()
    }
}

fn counts(load: &Value) -> [u64; 4] {
    ["inserted", "updated", "unchanged", "deleted"]
        .map(|k| load[k].as_u64().unwrap_or_else(|| panic!("no {k}: {load}")))
}

#[test]
fn merge_twice_leaves_the_table_unchanged_to_the_byte() {
    let f = Fixture::new();
    let mut lines = vec![
        line("1001", "1", 1_700_000_000, "h1", 123_400),
        line("1001", "2", 1_700_000_000, "h2", 1),
    ];
    lines.push(Line {
        sku: "SKU-2",
        ..line("1002", "1", 1_700_000_100, "h3", -123_456_789_012_345_678)
    });
    write_run(&f.store, "r1", &lines);

    let first = f.load_ok("r1", "merge");
    assert_eq!(counts(&first), [3, 0, 0, 0]);
    assert_eq!(first["mode"], "merge");
    assert_eq!(first["table"], TABLE);
    assert_eq!(first["target"], f.target());
    let before = f.dump();

    let again = f.load_ok("r1", "merge");
    assert_eq!(counts(&again), [0, 0, 3, 0]);
    assert_eq!(
        f.dump(),
        before,
        "a second load of the same run changed the table"
    );

    let rows = f.rows();
    assert_eq!(
        rows.iter().map(|r| r.2.as_str()).collect::<Vec<_>>(),
        ["12.3400", "0.0001", "-12345678901234.5678"]
    );
    assert!(
        rows.iter()
            .all(|r| r.1 == "r1" && r.3 == r.4 && r.3.ends_with('Z')),
        "{rows:?}"
    );
    let conn = f.db();
    let (update_time, sub_total, is_cod, is_gift, quantity, name): (String, String, i64, i64, i64, String) = conn
        .query_row(
            &format!("SELECT update_time, sub_total, is_cod, is_gift, item_quantity, item_name FROM {TABLE} WHERE order_id = '1002'"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(
        (update_time.as_str(), sub_total.as_str()),
        ("2023-11-14T22:15:00.007Z", "-0.5000")
    );
    assert_eq!(
        (is_cod, is_gift, quantity, name.as_str()),
        (1, 0, 1, "Áo thun 😀")
    );
    let quantities: Vec<(String, String, i64)> = conn
        .prepare("SELECT order_id, sku_id, quantity FROM v_tiktok_shop_order_sku_quantities ORDER BY order_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        quantities,
        [
            ("1001".into(), "SKU-1".into(), 2),
            ("1002".into(), "SKU-2".into(), 1)
        ]
    );

    let manifest: Value = serde_json::from_slice(
        &std::fs::read(f.store.join("runs/r1/load/_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (manifest["rows_in"].as_u64(), manifest["rows_out"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(manifest["load"]["unchanged"], 3);
}

#[test]
fn merge_takes_newer_rows_and_keeps_newer_table_rows() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "h1", 10_000)]);
    f.load_ok("r1", "merge");
    let created = f.rows()[0].3.clone();

    write_run(&f.store, "r2", &[line("1", "1", 2_000, "h2", 20_000)]);
    assert_eq!(counts(&f.load_ok("r2", "merge")), [0, 1, 0, 0]);
    let rows = f.rows();
    assert_eq!((rows[0].1.as_str(), rows[0].2.as_str()), ("r2", "2.0000"));
    assert_eq!(rows[0].3, created, "an update keeps etl_created_at");
    assert!(
        rows[0].4 > created,
        "an update moves etl_updated_at: {rows:?}"
    );

    write_run(&f.store, "r3", &[line("1", "1", 1_500, "h3", 30_000)]);
    assert_eq!(counts(&f.load_ok("r3", "merge")), [0, 0, 1, 0]);
    assert_eq!(f.rows(), rows, "an older staged row overwrote a newer one");
}

#[test]
fn merge_replaces_an_equally_new_row_only_when_its_hash_differs() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "h1", 10_000),
            line("1", "2", 1_000, "h2", 10_000),
        ],
    );
    f.load_ok("r1", "merge");
    let before = f.rows();

    // A fixed transform replayed: same update_time, other content.
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 1_000, "h1-fixed", 11_000),
            line("1", "2", 1_000, "h2", 10_000),
        ],
    );
    assert_eq!(counts(&f.load_ok("r2", "merge")), [0, 1, 1, 0]);
    let after = f.rows();
    assert_eq!((after[0].1.as_str(), after[0].2.as_str()), ("r2", "1.1000"));
    assert_eq!(
        after[1], before[1],
        "an identical row from another run must be left alone, batch id included"
    );
}

#[test]
fn append_rerun_replaces_its_batch_and_never_doubles_it() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "a", 1),
            line("2", "1", 1_000, "b", 1),
            line("3", "1", 1_000, "c", 1),
        ],
    );
    assert_eq!(counts(&f.load_ok("r1", "append")), [3, 0, 0, 0]);
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2", 2),
            line("4", "1", 2_000, "d", 2),
        ],
    );
    assert_eq!(counts(&f.load_ok("r2", "append")), [2, 0, 0, 0]);
    assert_eq!(
        f.keys(),
        ["1:1", "1:1", "2:1", "3:1", "4:1"],
        "append keeps a copy per batch"
    );
    let r1_rows: Vec<_> = f.rows().into_iter().filter(|r| r.1 == "r1").collect();
    let before = f.dump();

    assert_eq!(counts(&f.load_ok("r2", "append")), [0, 0, 2, 0]);
    assert_eq!(f.dump(), before, "re-running a batch changed the table");

    // The run re-transformed: one line changed, one gone, one new.
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2-fixed", 3),
            line("5", "1", 2_000, "e", 2),
        ],
    );
    assert_eq!(counts(&f.load_ok("r2", "append")), [1, 1, 0, 1]);
    let rows = f.rows();
    let r2: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r.1 == "r2")
        .map(|r| (r.0.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(r2, [("1:1", "0.0003"), ("5:1", "0.0002")]);
    assert_eq!(
        rows.into_iter().filter(|r| r.1 == "r1").collect::<Vec<_>>(),
        r1_rows,
        "another batch was touched"
    );
}

#[test]
fn replace_leaves_exactly_the_runs_rows() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "a", 1),
            line("2", "1", 1_000, "b", 1),
            line("3", "1", 1_000, "c", 1),
        ],
    );
    f.load_ok("r1", "merge");
    let b_before = f.rows()[1].clone();
    write_run(
        &f.store,
        "r2",
        &[line("2", "1", 1_000, "b", 1), line("4", "1", 2_000, "d", 4)],
    );
    assert_eq!(counts(&f.load_ok("r2", "replace")), [1, 0, 1, 2]);
    let rows = f.rows();
    assert_eq!(f.keys(), ["2:1", "4:1"]);
    assert_eq!(rows[0], b_before, "an identical row is left alone");
    assert_eq!((rows[1].1.as_str(), rows[1].2.as_str()), ("r2", "0.0004"));
    let before = f.dump();
    assert_eq!(counts(&f.load_ok("r2", "replace")), [0, 0, 2, 0]);
    assert_eq!(f.dump(), before);
}

#[test]
fn replace_after_append_keeps_one_row_per_key() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[line("1", "1", 1_000, "a", 1), line("2", "1", 1_000, "b", 1)],
    );
    f.load_ok("r1", "append");
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2", 2),
            line("2", "1", 2_000, "b2", 2),
        ],
    );
    f.load_ok("r2", "append");
    write_run(&f.store, "r3", &[line("1", "1", 3_000, "a3", 3)]);
    assert_eq!(counts(&f.load_ok("r3", "replace")), [0, 1, 0, 3]);
    let rows = f.rows();
    assert_eq!(
        rows.iter()
            .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
            .collect::<Vec<_>>(),
        [("1:1", "r3", "0.0003")]
    );
}

#[test]
fn missing_transform_manifest_exits_2_and_says_to_run_transform() {
    let f = Fixture::new();
    let out = f.load_to("never-transformed", "merge", &f.target());
    assert_eq!(out.status.code(), Some(2), "{}", util::stderr(&out));
    let err = util::stderr(&out);
    assert!(
        err.contains("transform") && err.contains("never-transformed"),
        "{err}"
    );
    assert!(!f.db.exists(), "the load touched the database");
}

#[test]
fn a_table_that_differs_exits_2_naming_every_difference() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    f.load_ok("r1", "merge");
    let conn = f.db();
    let ddl: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = ?1",
            [TABLE],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch(&format!(
        "DROP VIEW v_tiktok_shop_order_sku_quantities; DROP TABLE {TABLE}; {};\
         ALTER TABLE {TABLE} RENAME COLUMN seller_sku TO seller_sku_old; ALTER TABLE {TABLE} ADD COLUMN note TEXT;",
        ddl.replace("\"sub_total\" TEXT", "\"sub_total\" REAL")
    ))
    .unwrap();
    drop(conn);
    let out = f.load_to("r1", "merge", &f.target());
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(err.contains("missing columns: seller_sku"), "{err}");
    assert!(
        err.contains("unexpected columns: seller_sku_old, note"),
        "{err}"
    );
    assert!(err.contains("sub_total is REAL, expected TEXT"), "{err}");
    assert!(err.contains("never alters a table"), "{err}");
}

#[test]
fn unknown_target_scheme_exits_2_listing_the_accepted_forms() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    let out = f.load_to("r1", "merge", "postgres://etl:hunter2-secret@db/staging");
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(
        err.contains("postgres:// is not supported")
            && err.contains("sqlite://")
            && err.contains("server=tcp:"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
}

#[test]
fn duplicate_keys_in_the_staged_rows_exit_2_and_change_nothing() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    f.load_ok("r1", "merge");
    let before = f.dump();
    // The two halves of the run land in two files: the duplicate spans them.
    write_run(
        &f.store,
        "r2",
        &[
            line("7", "1", 2_000, "x", 1),
            line("1", "1", 2_000, "b", 2),
            line("7", "1", 2_000, "y", 3),
        ],
    );
    let out = f.load_to("r2", "merge", &f.target());
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(
        err.contains("order_id=7, item_id=1 more than once"),
        "{err}"
    );
    assert_eq!(f.dump(), before, "a refused load changed the table");
    assert!(!f.store.join("runs/r2/load/_manifest.json").exists());
}

#[test]
fn a_locked_database_exits_1_and_the_retry_succeeds() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    f.load_ok("r1", "merge");
    let holder = f.db();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let out = f.load_to(
        "r1",
        "merge",
        &format!("{}?busy_timeout_ms=100", f.target()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", util::stderr(&out));
    assert!(
        util::stderr(&out).contains("another process holds the database"),
        "{}",
        util::stderr(&out)
    );
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(counts(&f.load_ok("r1", "merge")), [0, 0, 1, 0]);
}

#[test]
fn sql_server_without_a_password_exits_2_and_an_unreachable_one_exits_1() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    let target = "server=tcp:127.0.0.1,1;database=Facolos_Staging;user id=tiktok_etl;TrustServerCertificate=true";
    let out = f.load_to("r1", "merge", target);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        util::stderr(&out).contains("DB_PASSWORD"),
        "{}",
        util::stderr(&out)
    );

    let out = util::run(
        util::command("load")
            .args([
                "--store",
                f.store.to_str().unwrap(),
                "--run-id",
                "r1",
                "--target",
                target,
            ])
            .env("DB_PASSWORD", "Sup3r-Secret-Pw"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", util::stderr(&out));
    let err = util::stderr(&out);
    assert!(
        err.contains("cannot connect to 127.0.0.1:1") && err.contains("user id=tiktok_etl"),
        "{err}"
    );
    assert!(
        !err.contains("Sup3r-Secret-Pw"),
        "the password leaked: {err}"
    );
}

/// Runs only against a real SQL Server: set `MSSQL_URL` to an ADO.NET string
/// (with `password=`, or DB_PASSWORD set) of a login that may create tables.
#[test]
fn mssql_round_trip() {
    let Some(url) = std::env::var("MSSQL_URL").ok().filter(|u| !u.is_empty()) else {
        println!("skipped: MSSQL_URL not set");
        return;
    };
    let f = Fixture::new();
    let table = format!("dbo.tiktok_shop_orders_it_{}", std::process::id());
    let load = |run: &str| {
        let mut cmd = util::command("load");
        cmd.args([
            "--store",
            f.store.to_str().unwrap(),
            "--run-id",
            run,
            "--target",
            &url,
            "--table",
            &table,
        ]);
        cmd.arg("--create-table");
        if let Ok(password) = std::env::var("DB_PASSWORD") {
            cmd.env("DB_PASSWORD", password);
        }
        let out = util::run(&mut cmd);
        assert!(
            out.status.success(),
            "load {run} failed:\n{}",
            util::stderr(&out)
        );
        util::summary(&out)["load"].clone()
    };
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "a", 123_400),
            line("1", "2", 1_000, "b", -1),
            line("2", "1", 1_000, "c", 1),
        ],
    );
    assert_eq!(counts(&load("r1")), [3, 0, 0, 0]);
    assert_eq!(counts(&load("r1")), [0, 0, 3, 0]);
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2", 999_999_999_999_999_999),
            line("2", "1", 500, "old", 5),
        ],
    );
    assert_eq!(counts(&load("r2")), [0, 1, 1, 0]);

    let rows = mssql_rows(&url, &table);
    assert_eq!(
        rows,
        [
            (
                "1:1".to_owned(),
                "r2".to_owned(),
                "99999999999999.9999".to_owned()
            ),
            ("1:2".into(), "r1".into(), "-0.0001".into()),
            ("2:1".into(), "r1".into(), "0.0001".into()),
        ]
    );
}

fn mssql_rows(url: &str, table: &str) -> Vec<(String, String, String)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use tokio_util::compat::TokioAsyncWriteCompatExt;
        let mut text = url.to_owned();
        if !url.to_ascii_lowercase().contains("password=") {
            text.push_str(&format!(";password={}", std::env::var("DB_PASSWORD").unwrap()));
        }
        let config = tiberius::Config::from_ado_string(&text).unwrap();
        let tcp = tokio::net::TcpStream::connect(config.get_addr()).await.unwrap();
        let mut client = tiberius::Client::connect(config, tcp.compat_write()).await.unwrap();
        let query = format!(
            "SELECT order_id + ':' + item_id, etl_batch_id, CAST(total_amount AS NVARCHAR(40)) FROM {table} \
             ORDER BY order_id, item_id"
        );
        let rows = client.simple_query(query).await.unwrap().into_first_result().await.unwrap();
        let out = rows
            .iter()
            .map(|r| {
                let get = |i: usize| r.get::<&str, _>(i).unwrap_or_default().to_owned();
                (get(0), get(1), get(2))
            })
            .collect();
        let _ = client.simple_query(format!("DROP TABLE {table}")).await;
        out
    })
}
