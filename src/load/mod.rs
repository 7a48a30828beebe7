//! The load stage: a run's staged rows into the staging table.
//!
//! Reads the `order_lines` files the transform manifest lists ([`input`]),
//! checks them on the way (run, unique keys, lengths), and hands them to a
//! backend: SQL Server ([`mssql`], production) or SQLite ([`sqlite`], the
//! embedded default), chosen by `--target` ([`target`]). Both check the
//! table against the staged schema first ([`table`]), stage the rows in a
//! session temp table, then change the table in one transaction with the
//! same rules:
//!
//! * `merge` (default): upsert on (order_id, item_id). A row is replaced
//!   only by a staged row with a newer `update_time`, or an equally new one
//!   whose `etl_row_hash` differs; an identical or older staged row leaves
//!   the row alone, `etl_updated_at` included.
//! * `append`: the run's rows are a batch (`etl_batch_id` = run id). Within
//!   the batch: insert new keys, update rows whose hash differs, delete rows
//!   no longer staged, leave identical rows alone. Other batches are never
//!   touched, so a re-run replaces its batch and never doubles it.
//! * `replace`: the table becomes exactly this run's rows: rows of keys not
//!   staged go, one row per key is kept, then update/insert as in append.
//!
//! Inserted rows get `etl_created_at` = `etl_updated_at` = the load time
//! (UTC, one per load); updated rows keep `etl_created_at`. Loading the same
//! run twice changes nothing.

mod batch;
mod error;
mod input;
mod mssql;
mod sqlite;
mod table;
mod target;

use chrono::{DateTime, Utc};

pub use error::LoadError;

use crate::error::Error;
use crate::manifest::{LoadReport, Manifest};
use crate::run_id::RunId;
use crate::store::{RunLayout, StageName, Store};
use table::TableName;
use target::Target;

/// How staged rows meet the table (DESIGN.md, "Loading").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LoadMode {
    Merge,
    Append,
    Replace,
}

impl LoadMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadMode::Merge => "merge",
            LoadMode::Append => "append",
            LoadMode::Replace => "replace",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The target as given; may hold a password, so never print it whole.
    pub target: String,
    pub mode: LoadMode,
    pub table: String,
    pub create_table: bool,
}

/// What one load must do, for a backend.
struct Job {
    table: TableName,
    mode: LoadMode,
    create_table: bool,
    run_id: String,
    /// Millisecond precision, like the DATETIME2(3) columns it goes into.
    load_time: DateTime<Utc>,
}

/// What a backend did.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    staged: u64,
    inserted: u64,
    updated: u64,
    deleted: u64,
}

/// Loads the staged rows of `run_id` into the target; writes the load
/// manifest last. `rows_out` of the manifest is the rows the load wrote
/// (inserted + updated); staged rows that changed nothing are `unchanged`.
pub async fn run(store: &Store, run_id: &RunId, config: &LoadConfig) -> Result<Manifest, Error> {
    let started_at = Utc::now();
    let target = Target::parse(&config.target)?;
    let table = TableName::parse(&config.table)?;
    if matches!(target, Target::Sqlite(_)) {
        sqlite::table_name(&table)?;
    }
    let layout = RunLayout::new(run_id);
    let upstream = store
        .require_manifest(&layout, StageName::Transform)
        .await?;
    store.begin_stage(&layout, StageName::Load).await?;

    let files: Vec<String> = upstream
        .files
        .iter()
        .filter(|f| f.path.contains("/order_lines/"))
        .map(|f| f.path.clone())
        .collect();
    let job = Job {
        table,
        mode: config.mode,
        create_table: config.create_table,
        run_id: run_id.to_string(),
        load_time: DateTime::from_timestamp_millis(started_at.timestamp_millis())
            .unwrap_or(started_at),
    };
    tracing::info!(
        run_id = %run_id, target = target.display(), table = %job.table, mode = config.mode.as_str(),
        files = files.len(), "load starting"
    );
    let rows = input::read(store.clone(), files, job.run_id.clone());
    let report = LoadReport {
        target: target.display().to_owned(),
        table: job.table.to_string(),
        mode: config.mode.as_str().to_owned(),
        ..LoadReport::default()
    };
    let counts = match target {
        Target::Sqlite(sqlite) => {
            tokio::task::spawn_blocking(move || sqlite::load(sqlite, job, rows))
                .await
                .map_err(|e| LoadError::Task(e.to_string()))??
        }
        Target::SqlServer(server) => mssql::load(&server, &job, rows).await?,
    };
    let manifest = manifest(run_id, started_at, report, counts);
    store.put_manifest(&layout, &manifest).await?;
    Ok(manifest)
}

/// Checks the target for `tiktok-etl check`: connects, compares the table
/// with the staged schema, and changes nothing. Returns a line saying what
/// it found; a missing or different table is an error, as in a load (a
/// missing SQLite table is fine: the first load creates it).
pub async fn check(config: &LoadConfig) -> Result<String, Error> {
    let target = Target::parse(&config.target)?;
    let table = TableName::parse(&config.table)?;
    let found = match target {
        Target::Sqlite(sqlite) => {
            let name = sqlite::table_name(&table)?;
            tokio::task::spawn_blocking(move || sqlite::check(&sqlite, &name))
                .await
                .map_err(|e| LoadError::Task(e.to_string()))??
        }
        Target::SqlServer(server) => mssql::check(&server, &table, config.create_table).await?,
    };
    Ok(found)
}

/// The load manifest: `report` (target, table, mode) with the counts.
fn manifest(
    run_id: &RunId,
    started_at: DateTime<Utc>,
    report: LoadReport,
    counts: Counts,
) -> Manifest {
    let unchanged = counts
        .staged
        .saturating_sub(counts.inserted + counts.updated);
    let mut manifest = Manifest::new(StageName::Load, run_id, started_at);
    manifest.rows_in = counts.staged;
    manifest.rows_out = counts.inserted + counts.updated;
    manifest.load = Some(LoadReport {
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged,
        deleted: counts.deleted,
        ..report
    });
    let seconds = (manifest.finished_at - started_at).num_milliseconds() as f64 / 1000.0;
    tracing::info!(
        staged = counts.staged,
        inserted = counts.inserted,
        updated = counts.updated,
        unchanged,
        deleted = counts.deleted,
        seconds,
        "load done"
    );
    manifest
}
