//! The staged runs and the SQLite fixture the load tests share: each test
//! writes the transform output itself (two `order_lines` files and a
//! transform manifest), so the load is tested alone, on rows chosen to hit
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

pub(crate) const TABLE: &str = "tiktok_shop_orders";

/// One staged line item; every other column is null or fixed.
#[derive(Clone)]
pub(crate) struct Line {
    pub order: String,
    pub item: String,
    /// `update_time`, unix seconds.
    pub updated: i64,
    pub hash: String,
    /// `total_amount` in units of 10^-4.
    pub total: i128,
    pub sku: &'static str,
}

/// `n` staged lines, orders `<prefix>000000`… with item 1, all with `updated` and `hash`.
pub(crate) fn lines(prefix: &str, n: usize, updated: i64, hash: &str) -> Vec<Line> {
    (0..n)
        .map(|i| line(&format!("{prefix}{i:06}"), "1", updated, hash, i as i128))
        .collect()
}

pub(crate) fn line(order: &str, item: &str, updated: i64, hash: &str, total: i128) -> Line {
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

pub(crate) fn staged_batch(run: &str, lines: &[Line]) -> RecordBatch {
    let columns = COLUMNS
        .iter()
        .map(|c| column(c.name, c.kind, c.required, run, lines))
        .collect();
    RecordBatch::try_new(staged::schema(), columns).unwrap()
}

/// Writes `lines` of `run` as transform output (split over two files) with
/// its manifest, which also lists a rejects file the load must not read.
pub(crate) fn write_run(store: &Path, run: &str, lines: &[Line]) {
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

pub(crate) struct Fixture {
    pub _dir: tempfile::TempDir,
    pub store: PathBuf,
    pub db: PathBuf,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let db = dir.path().join("db").join("staging.db");
        Fixture {
            _dir: dir,
            store,
            db,
        }
    }

    pub fn target(&self) -> String {
        format!("sqlite://{}", self.db.display())
    }

    pub fn load_to(&self, run: &str, mode: &str, target: &str) -> Output {
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
    pub fn load_ok(&self, run: &str, mode: &str) -> Value {
        let out = self.load_to(run, mode, &self.target());
        assert!(
            out.status.success(),
            "load {run} ({mode}) failed:\n{}",
            util::stderr(&out)
        );
        util::summary(&out)["load"].clone()
    }

    pub fn db(&self) -> Connection {
        Connection::open(&self.db).unwrap()
    }

    /// Every row and column of the table, as text, in key order.
    pub fn dump(&self) -> Vec<Vec<String>> {
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
    pub fn rows(&self) -> Vec<(String, String, String, String, String)> {
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

    pub fn keys(&self) -> Vec<String> {
        self.rows().into_iter().map(|r| r.0).collect()
    }
}

pub(crate) fn counts(load: &Value) -> [u64; 4] {
    ["inserted", "updated", "unchanged", "deleted"]
        .map(|k| load[k].as_u64().unwrap_or_else(|| panic!("no {k}: {load}")))
}
