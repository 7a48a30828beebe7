//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The path of one of the crate's binaries, built by cargo for the tests.
pub fn bin(name: &str) -> PathBuf {
    match name {
        "extract" => PathBuf::from(env!("CARGO_BIN_EXE_extract")),
        "transform" => PathBuf::from(env!("CARGO_BIN_EXE_transform")),
        "load" => PathBuf::from(env!("CARGO_BIN_EXE_load")),
        "tiktok-etl" => PathBuf::from(env!("CARGO_BIN_EXE_tiktok-etl")),
        other => panic!("no binary {other}"),
    }
}

/// A command for a binary with a clean environment: no ETL_*/TIKTOK_*/AWS_*
/// variable of the developer's shell leaks into a test.
pub fn command(name: &str) -> Command {
    let mut cmd = Command::new(bin(name));
    for (key, _) in std::env::vars() {
        if key.starts_with("ETL_") || key.starts_with("TIKTOK_") || key.starts_with("AWS_") || key.starts_with("DB_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "info");
    cmd
}

/// Runs the command and returns its output, printing stderr on failure.
pub fn run(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("the binary runs");
    if !output.status.success() {
        eprintln!("--- stderr of {cmd:?}:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON summary line a stage prints last on stdout.
pub fn summary(output: &Output) -> serde_json::Value {
    let text = stdout(output);
    let line = text.lines().last().unwrap_or_else(|| panic!("no stdout; stderr:\n{}", stderr(output)));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("last stdout line is not JSON ({e}): {line}"))
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The official "Get Order List" response sample of the API reference.
pub fn official_search_sample() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/samples/order_202309_orders_search.response.json");
    std::fs::read_to_string(path).expect("the shared reference samples are beside the repository")
}

/// One raw order for [`write_raw_run`].
pub struct RawOrder {
    pub shop: &'static str,
    pub order_id: String,
    pub update_time: i64,
    pub payload: String,
}

/// Writes an extract output (raw Parquet and manifest) for `run_id` into the
/// local store at `store_dir`, as if extract had read `orders`.
pub fn write_raw_run(store_dir: &Path, run_id: &str, orders: &[RawOrder]) {
    use std::sync::Arc;

    use arrow::array::{LargeStringArray, RecordBatch, StringArray, TimestampMillisecondArray};
    use tiktok_etl::manifest::{Manifest, Window};
    use tiktok_etl::run_id::RunId;
    use tiktok_etl::store::parquet_io::ParquetSink;
    use tiktok_etl::store::{RunLayout, StageName, Store};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(store_dir.to_str().unwrap()).unwrap();
        let run = RunId::parse(run_id).unwrap();
        let layout = RunLayout::new(&run);
        store.begin_stage(&layout, StageName::Extract).await.unwrap();
        let mut shops: Vec<&str> = orders.iter().map(|o| o.shop).collect();
        shops.dedup();
        let mut manifest = Manifest::new(StageName::Extract, &run, chrono::Utc::now());
        for shop in &shops {
            let mine: Vec<&RawOrder> = orders.iter().filter(|o| o.shop == *shop).collect();
            let ms = |o: &&RawOrder| Some(o.update_time * 1000);
            let batch = RecordBatch::try_new(
                tiktok_etl::schema::raw::schema(),
                vec![
                    Arc::new(StringArray::from(vec![*shop; mine.len()])),
                    Arc::new(StringArray::from(mine.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>())),
                    Arc::new(StringArray::from(vec![Some("AWAITING_SHIPMENT"); mine.len()])),
                    Arc::new(TimestampMillisecondArray::from(mine.iter().map(ms).collect::<Vec<_>>()).with_timezone("UTC")),
                    Arc::new(TimestampMillisecondArray::from(mine.iter().map(ms).collect::<Vec<_>>()).with_timezone("UTC")),
                    Arc::new(TimestampMillisecondArray::from(vec![Some(0); mine.len()]).with_timezone("UTC")),
                    Arc::new(StringArray::from(vec![Some("REQ"); mine.len()])),
                    Arc::new(LargeStringArray::from(mine.iter().map(|o| o.payload.as_str()).collect::<Vec<_>>())),
                ],
            )
            .unwrap();
            let mut sink = ParquetSink::create(&store, &layout.extract_part(shop, 0), tiktok_etl::schema::raw::schema()).unwrap();
            sink.write(&batch).await.unwrap();
            manifest.files.push(sink.finish().await.unwrap());
        }
        manifest.shops = shops.iter().map(|s| s.to_string()).collect();
        manifest.rows_out = orders.len() as u64;
        manifest.window = Some(Window { since: chrono::Utc::now() - chrono::Duration::days(1), until: chrono::Utc::now() });
        store.put_manifest(&layout, &manifest).await.unwrap();
    });
}

/// Reads every batch of a Parquet file in a local store, checked against `schema`.
pub fn read_parquet(store_dir: &Path, relative: &str, schema: &arrow::datatypes::Schema) -> Vec<arrow::array::RecordBatch> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = tiktok_etl::store::Store::open(store_dir.to_str().unwrap()).unwrap();
        tiktok_etl::store::parquet_io::read_all(&store, relative, schema).await.unwrap()
    })
}

/// Rows of batches as `column -> displayed value` maps (NULL for nulls).
pub fn rows_as_maps(batches: &[arrow::array::RecordBatch]) -> Vec<std::collections::BTreeMap<String, String>> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let mut map = std::collections::BTreeMap::new();
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                let f = ArrayFormatter::try_new(column.as_ref(), &options).unwrap();
                map.insert(field.name().clone(), f.value(row).to_string());
            }
            rows.push(map);
        }
    }
    rows
}
