//! The audit row of a SQLite load (`load/audit.rs` says what it holds).
//!
//! The `started` row is written in its own IMMEDIATE transaction before the
//! load's; the `succeeded` update rides in the load's transaction; the
//! `failed` update gets its own after the rollback.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use super::super::audit::Outcome;
use super::super::error::LoadError;
use super::super::job::{Counts, Job};
use super::errors::database_error;
use super::sql;
use super::values::write_time;

fn time_text(time: DateTime<Utc>) -> String {
    let mut text = String::new();
    write_time(&mut text, time.timestamp_millis());
    text
}

/// Writes the `started` row; returns its id.
pub(super) fn start(conn: &mut Connection, job: &Job, path: &Path) -> Result<i64, LoadError> {
    let on = |e| database_error("write the load audit row", path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(on)?;
    tx.execute_batch(&sql::create_audit()).map_err(on)?;
    tx.execute(
        &sql::insert_audit(),
        params![
            job.run_id,
            job.mode.to_string(),
            job.table.to_string(),
            time_text(job.load_time)
        ],
    )
    .map_err(on)?;
    let id = tx.last_insert_rowid();
    tx.commit().map_err(on)?;
    Ok(id)
}

/// Sets the outcome and counts of row `id` (in whatever transaction `conn`
/// is in).
pub(super) fn finish(
    conn: &Connection,
    id: i64,
    outcome: Outcome,
    counts: &Counts,
    error: Option<&str>,
) -> rusqlite::Result<()> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let counted = outcome == Outcome::Succeeded;
    let counts = [
        counts.staged,
        counts.inserted,
        counts.updated,
        counts.unchanged,
        counts.deleted,
    ]
    .map(|n| counted.then(|| count(n)));
    conn.execute(
        &sql::finish_audit(),
        params![
            id,
            outcome.as_str(),
            time_text(Utc::now()),
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            error
        ],
    )
    .map(drop)
}
