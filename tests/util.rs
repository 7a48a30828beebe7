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
        if key.starts_with("ETL_")
            || key.starts_with("TIKTOK_")
            || key.starts_with("AWS_")
            || key.starts_with("DB_")
        {
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
        eprintln!(
            "--- stderr of {cmd:?}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
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
    let line = text
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no stdout; stderr:\n{}", stderr(output)));
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("last stdout line is not JSON ({e}): {line}"))
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
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
    fixture("order_202309_orders_search.response.json")
}

/// An official response sample of the API reference, kept with the API
/// crate (`crates/tiktok-shop-api/tests/fixtures/`).
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/crates/tiktok-shop-api/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
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
    use tiktok_etl::manifest::{Dataset, Manifest, StageName};
    use tiktok_etl::run_id::RunId;
    use tiktok_etl::shop::ShopCipher;
    use tiktok_etl::store::parquet_io::ParquetSink;
    use tiktok_etl::store::{RunLayout, Store};
    use tiktok_shop_api::Window;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(store_dir.to_str().unwrap()).unwrap();
        let run = RunId::parse(run_id).unwrap();
        let layout = RunLayout::new(&run);
        store
            .begin_stage(&layout, StageName::Extract)
            .await
            .unwrap();
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
                    Arc::new(StringArray::from(
                        mine.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(),
                    )),
                    Arc::new(StringArray::from(vec![
                        Some("AWAITING_SHIPMENT");
                        mine.len()
                    ])),
                    Arc::new(
                        TimestampMillisecondArray::from(mine.iter().map(ms).collect::<Vec<_>>())
                            .with_timezone("UTC"),
                    ),
                    Arc::new(
                        TimestampMillisecondArray::from(mine.iter().map(ms).collect::<Vec<_>>())
                            .with_timezone("UTC"),
                    ),
                    Arc::new(
                        TimestampMillisecondArray::from(vec![Some(0); mine.len()])
                            .with_timezone("UTC"),
                    ),
                    Arc::new(StringArray::from(vec![Some("REQ"); mine.len()])),
                    Arc::new(LargeStringArray::from(
                        mine.iter().map(|o| o.payload.as_str()).collect::<Vec<_>>(),
                    )),
                ],
            )
            .unwrap();
            let mut sink = ParquetSink::create(
                &store,
                &layout.extract_part(&ShopCipher::parse(shop).unwrap(), 0),
                Dataset::Raw,
                tiktok_etl::schema::raw::schema(),
            )
            .unwrap();
            sink.write(&batch).await.unwrap();
            manifest.files.push(sink.finish().await.unwrap());
        }
        manifest.shops = ShopCipher::parse_list(shops.iter().copied()).unwrap();
        manifest.rows_out = orders.len() as u64;
        manifest.window = Some(Window {
            since: chrono::Utc::now() - chrono::Duration::days(1),
            until: chrono::Utc::now(),
        });
        store.put_manifest(&layout, &manifest).await.unwrap();
    });
}

/// Reads every batch of a Parquet file in a local store, checked against `schema`.
pub fn read_parquet(
    store_dir: &Path,
    relative: &str,
    schema: &arrow::datatypes::Schema,
) -> Vec<arrow::array::RecordBatch> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = tiktok_etl::store::Store::open(store_dir.to_str().unwrap()).unwrap();
        tiktok_etl::store::parquet_io::read_all(&store, relative, schema)
            .await
            .unwrap()
    })
}

/// The staged rows of run `run_dir` (`runs/<segment>`) in a local store, as
/// [`rows_as_maps`], from the files its transform manifest lists.
pub fn staged_rows(
    store_dir: &Path,
    run_dir: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    let path = store_dir.join(format!("{run_dir}/transform/_manifest.json"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut rows = Vec::new();
    for file in manifest["files"].as_array().unwrap() {
        if file["dataset"] == "order_lines" {
            let relative = file["path"].as_str().unwrap();
            let schema = tiktok_etl::schema::staged::schema();
            rows.extend(rows_as_maps(&read_parquet(store_dir, relative, &schema)));
        }
    }
    rows
}

/// Rows of batches as `column -> displayed value` maps (NULL for nulls).
pub fn rows_as_maps(
    batches: &[arrow::array::RecordBatch],
) -> Vec<std::collections::BTreeMap<String, String>> {
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

/// The sandbox API running in-process on loopback for a test, with its own
/// runtime (the test thread is free to run the binaries meanwhile).
pub struct TestSandbox {
    pub sandbox: tiktok_shop_sandbox::Sandbox,
    _runtime: tokio::runtime::Runtime,
}

/// The instant the tests' sandbox clock is frozen at.
pub const FROZEN_NOW: &str = "2026-11-25T06:00:00Z";

impl TestSandbox {
    /// A sandbox with a frozen clock (every response reproducible).
    pub fn frozen() -> Self {
        let now = chrono::DateTime::parse_from_rfc3339(FROZEN_NOW)
            .unwrap()
            .to_utc();
        Self::start(tiktok_shop_sandbox::SandboxConfig {
            clock: tiktok_shop_sandbox::Clock::Frozen(now),
            ..Default::default()
        })
    }

    pub fn start(config: tiktok_shop_sandbox::SandboxConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime
            .block_on(tiktok_shop_sandbox::Sandbox::start(
                config,
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        TestSandbox {
            sandbox,
            _runtime: runtime,
        }
    }

    /// Points a stage command at this sandbox with its credentials and shops.
    pub fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        point_at_sandbox(cmd, &self.sandbox)
    }

    /// Line items of the orders updated in `[since, until)`, over all shops.
    pub fn expected_line_items(&self, since: &str, until: &str) -> u64 {
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        self.sandbox
            .config()
            .shops
            .iter()
            .map(|shop| {
                self.sandbox
                    .expected_line_items(shop, parse(since), parse(until))
            })
            .sum()
    }
}

/// Every row of a SQLite table as text, sorted, optionally without some columns.
pub fn dump_table(db: &Path, table: &str, skip: &[&str]) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let keep: Vec<usize> = (0..names.len())
        .filter(|i| !skip.contains(&names[*i].as_str()))
        .collect();
    let mut rows: Vec<Vec<String>> = stmt
        .query_map([], |row| {
            Ok(keep
                .iter()
                .map(|i| {
                    let v: rusqlite::types::Value = row.get(*i).unwrap();
                    format!("{v:?}")
                })
                .collect())
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Points a stage command at `sandbox` with its credentials and shops.
pub fn point_at_sandbox<'c>(
    cmd: &'c mut Command,
    sandbox: &tiktok_shop_sandbox::Sandbox,
) -> &'c mut Command {
    let config = sandbox.config();
    cmd.env("TIKTOK_API_BASE_URL", sandbox.base_url())
        .env("TIKTOK_AUTH_BASE_URL", sandbox.base_url())
        .env("TIKTOK_APP_KEY", &config.app_key)
        .env("TIKTOK_APP_SECRET", &config.app_secret)
        .env("TIKTOK_ACCESS_TOKEN", &config.access_token)
        .env("TIKTOK_REFRESH_TOKEN", &config.refresh_token)
        .env("TIKTOK_SHOP_CIPHER", config.shops.join(","))
}

/// A small deterministic generator: the same seed, the same data.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
