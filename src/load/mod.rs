//! The load stage: a run's staged rows into the staging table.
//!
//! Reads the `order_lines` files the transform manifest lists ([`input`]),
//! in batches of `ETL_BATCH_SIZE` rows, checks them on the way (run,
//! lengths, times, money), and hands them to a backend: SQL Server
//! ([`mssql`], production) or SQLite ([`sqlite`], the embedded default),
//! chosen by `--target` ([`Target`]). Both backends have the same files:
//! `target.rs` (their target type), `sql.rs` (every statement), `values.rs`
//! (staged values as the database takes them), `errors.rs` (database
//! errors, retryable or not), `audit.rs` (the `etl_load_audit` row, see
//! [`audit`]) and `tests.rs`. Neither holds the run in memory: SQLite
//! writes each row as it arrives, SQL Server bulk loads each batch into a
//! session temp table. Both check the table against the staged schema first
//! ([`table`]), refuse a duplicate key, serialize loads into one table, and
//! change the table in one transaction with the same rules:
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
//!   staged go, one row per key is kept, then update/insert as in append. A
//!   run that staged no rows is refused (exit 2) unless
//!   `--allow-empty-replace`: emptying a table is never an accident.
//!
//! Inserted rows get `etl_created_at` = `etl_updated_at` = the load time
//! (UTC, one per load); updated rows keep `etl_created_at`. Loading the same
//! run twice changes nothing.

mod audit;
mod columns;
mod config;
mod error;
mod input;
#[cfg(test)]
mod input_tests;
mod job;
mod mssql;
mod retry;
mod sqlite;
mod table;
mod target;

use chrono::{DateTime, Utc};

pub use config::LoadConfig;
pub use error::LoadError;
pub use table::TableName;
pub use target::Target;

use crate::manifest::{Dataset, FileEntry, LoadMode, LoadReport, Manifest, StageName};
use crate::run_id::RunId;
use crate::store::{RunLayout, Store};
use job::{Counts, Job};

/// Loads the staged rows of `run_id` into the target; writes the load
/// manifest last. `rows_out` of the manifest is the rows the load wrote
/// (inserted + updated); staged rows that changed nothing are `unchanged`.
pub async fn run(
    store: &Store,
    run_id: &RunId,
    config: &LoadConfig,
) -> Result<Manifest, LoadError> {
    let started_at = Utc::now();
    let layout = RunLayout::new(run_id);
    let upstream = store
        .require_manifest(&layout, StageName::Transform)
        .await?;
    let files: Vec<&FileEntry> = upstream.files_of(Dataset::OrderLines).collect();
    let job = Job {
        table: config.table.clone(),
        mode: config.mode,
        create_table: config.create_table,
        allow_empty_replace: config.allow_empty_replace,
        run_id: run_id.to_string(),
        load_time: DateTime::from_timestamp_millis(started_at.timestamp_millis())
            .unwrap_or(started_at),
    };
    // Refused before the database is touched; each backend checks again
    // with the rows it actually read.
    if job.mode == LoadMode::Replace
        && !job.allow_empty_replace
        && files.iter().all(|f| f.rows == 0)
    {
        return Err(LoadError::Input(Counts::empty_replace_refused(&job.table)));
    }
    store.begin_stage(&layout, StageName::Load).await?;
    let files: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    tracing::info!(
        run_id = %run_id, target = config.target.display(), table = %job.table,
        mode = %config.mode, files = files.len(), batch_rows = config.batch_rows, "load starting"
    );
    let read = || {
        input::read(
            store.clone(),
            files.clone(),
            job.run_id.clone(),
            config.batch_rows,
        )
    };
    let counts = match &config.target {
        Target::Sqlite(sqlite) => {
            let (sqlite, job, rows) = (sqlite.clone(), job.clone(), read());
            tokio::task::spawn_blocking(move || sqlite::load(&sqlite, job, rows))
                .await
                .map_err(|e| LoadError::Task(Box::new(e)))??
        }
        Target::SqlServer(server) => {
            retry::with_backoff(|| mssql::load(server, &job, read())).await?
        }
    };
    let report = LoadReport {
        target: config.target.display().to_owned(),
        table: config.table.to_string(),
        mode: config.mode,
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
        deleted: counts.deleted,
    };
    let manifest = manifest(run_id, started_at, report, counts);
    store.put_manifest(&layout, &manifest).await?;
    Ok(manifest)
}

/// Checks the target for `tiktok-etl check`: connects, compares the table
/// with the staged schema, and changes nothing. Returns a line saying what
/// it found; a missing or different table is an error, as in a load (a
/// missing SQLite table is fine: the first load creates it).
pub async fn check(config: &LoadConfig) -> Result<String, LoadError> {
    match &config.target {
        Target::Sqlite(sqlite) => {
            let sqlite = sqlite.clone();
            let table = config.table.name.clone();
            tokio::task::spawn_blocking(move || sqlite::check(&sqlite, &table))
                .await
                .map_err(|e| LoadError::Task(Box::new(e)))?
        }
        Target::SqlServer(server) => mssql::check(server, &config.table, config.create_table).await,
    }
}

/// The load manifest of `report`, logged.
fn manifest(
    run_id: &RunId,
    started_at: DateTime<Utc>,
    report: LoadReport,
    counts: Counts,
) -> Manifest {
    let mut manifest = Manifest::new(StageName::Load, run_id, started_at);
    manifest.rows_in = counts.staged;
    manifest.rows_out = counts.inserted + counts.updated;
    let seconds = (manifest.finished_at - started_at).num_milliseconds() as f64 / 1000.0;
    tracing::info!(
        staged = counts.staged,
        inserted = report.inserted,
        updated = report.updated,
        unchanged = report.unchanged,
        deleted = report.deleted,
        seconds,
        "load done"
    );
    manifest.load = Some(report);
    manifest
}
