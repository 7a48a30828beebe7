//! The SQLite target: the embedded default for local runs, demos and tests.
//!
//! One IMMEDIATE transaction holds everything: the table check (and its
//! creation when missing, which SQLite targets do without `--create-table`),
//! the staged rows into `temp.staged_rows` through one prepared statement,
//! then the set-based statements of the mode (`sql.rs`). All or nothing;
//! another writer makes the load wait `busy_timeout_ms`, then fail with
//! exit 1. Runs on a blocking thread: rusqlite is synchronous.

mod errors;
mod sql;
pub(super) mod target;
#[cfg(test)]
mod tests;
mod values;

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::columns::StagedColumns;
use super::error::LoadError;
use super::input::{Progress, StagedRows};
use super::job::{Counts, Job};
use super::table;
use crate::failure::Failure;
use crate::schema::diff::Column as Declared;
use errors::database_error;
use sql::Effect;
use target::SqliteTarget;

pub(super) fn load(
    target: &SqliteTarget,
    job: Job,
    mut rows: StagedRows,
) -> Result<Counts, LoadError> {
    let table = job.table.name.as_str();
    let path = target.path();
    let on = |what: &'static str| move |e: rusqlite::Error| database_error(what, path, e);
    let mut conn = open(target)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(on("start the load transaction"))?;
    prepare_table(&tx, table, path)?;
    tx.execute_batch(&sql::create_staged())
        .map_err(on("create the staging area"))?;
    let staged = stage(&tx, &mut rows, path)?;
    tx.execute_batch(sql::INDEX_STAGED)
        .map_err(on("index the staged rows"))?;

    let load_time = {
        let mut text = String::new();
        values::write_time(&mut text, job.load_time.timestamp_millis());
        text
    };
    let mut counts = Counts {
        staged,
        ..Counts::default()
    };
    for (effect, statement) in sql::statements(job.mode, table) {
        let changed = execute(&tx, &statement, &[&load_time, &job.run_id])
            .map_err(on("apply the staged rows"))?;
        match effect {
            Effect::Inserted => counts.inserted += changed,
            Effect::Updated => counts.updated += changed,
            Effect::Deleted => counts.deleted += changed,
        }
    }
    tx.execute_batch(sql::DROP_STAGED)
        .map_err(on("drop the staging area"))?;
    tx.commit().map_err(on("commit the load"))?;
    Ok(counts)
}

fn open(target: &SqliteTarget) -> Result<Connection, LoadError> {
    let path = target.path();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            LoadError::database(
                format!("cannot create the directory of {}", path.display()),
                Failure::Fatal,
                e,
            )
        })?;
    }
    let on = |what: &'static str| move |e: rusqlite::Error| database_error(what, path, e);
    let conn = Connection::open(path).map_err(on("open"))?;
    conn.busy_timeout(target.busy_timeout())
        .map_err(on("configure"))?;
    // WAL lets readers read while a load writes; NORMAL is durable enough
    // with WAL (a crash loses at most the last commit, never consistency).
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .map_err(on("switch to WAL mode"))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(on("configure"))?;
    // 128 MiB of page cache each for the table and the staged rows.
    for schema in ["main", "temp"] {
        conn.pragma_update(Some(schema), "cache_size", -131_072)
            .map_err(on("configure"))?;
    }
    Ok(conn)
}

/// [`super::check`] for SQLite: opens the file read-only (never creates it).
pub(super) fn check(target: &SqliteTarget, table: &str) -> Result<String, LoadError> {
    let path = target.path();
    if !path.exists() {
        return Ok(format!(
            "SQLite {}: no database yet; the first load creates it",
            path.display()
        ));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| database_error("open", path, e))?;
    let actual = declared_columns(&conn, table, path)?;
    if actual.is_empty() {
        return Ok(format!(
            "SQLite {}: no table {table} yet; the first load creates it",
            path.display()
        ));
    }
    let differences = table::differences(&sql::expected_columns(), &actual);
    if !differences.is_empty() {
        return Err(table::mismatch(table, &differences));
    }
    Ok(format!(
        "SQLite {}: table {table} matches the staged schema",
        path.display()
    ))
}

/// The table's columns as SQLite declares them; none when there is no table.
fn declared_columns(
    conn: &Connection,
    table: &str,
    path: &Path,
) -> Result<Vec<Declared>, LoadError> {
    let on = |e| database_error("read the table's columns", path, e);
    let mut statement = conn.prepare(sql::TABLE_INFO).map_err(on)?;
    let columns = statement
        .query_map([table], |row| {
            Ok(Declared {
                name: row.get(0)?,
                type_name: row.get(1)?,
                nullable: row.get::<_, i64>(2)? == 0,
            })
        })
        .map_err(on)?;
    columns.collect::<Result<_, _>>().map_err(on)
}

/// Checks the table against the staged schema, creating it when missing.
fn prepare_table(tx: &Transaction<'_>, table: &str, path: &Path) -> Result<(), LoadError> {
    let on = |what: &'static str| move |e: rusqlite::Error| database_error(what, path, e);
    let actual = declared_columns(tx, table, path)?;
    if actual.is_empty() {
        tracing::info!(
            table,
            "creating the table (SQLite targets create a missing table)"
        );
        tx.execute_batch(&sql::create_table(table))
            .map_err(on("create the table"))?;
    } else {
        let differences = table::differences(&sql::expected_columns(), &actual);
        if !differences.is_empty() {
            return Err(table::mismatch(table, &differences));
        }
    }
    tx.execute_batch(&sql::view(table))
        .map_err(on("create the quantities view"))
}

/// Inserts every staged row into `temp.staged_rows`; returns how many.
fn stage(tx: &Transaction<'_>, rows: &mut StagedRows, path: &Path) -> Result<u64, LoadError> {
    let on = |e: rusqlite::Error| database_error("stage the rows", path, e);
    let mut insert = tx.prepare(&sql::insert_staged()).map_err(on)?;
    let mut scratch = String::new();
    let mut progress = Progress::new();
    while let Some(batch) = rows.blocking_next()? {
        let staged = StagedColumns::new(&batch)?;
        for row in 0..staged.rows {
            values::bind_row(&mut insert, &staged, row, &mut scratch).map_err(on)?;
            insert.raw_execute().map_err(on)?;
        }
        progress.add(staged.rows);
    }
    progress.log("rows staged");
    Ok(progress.rows)
}

/// Runs one statement, binding as many of `params` as it uses; returns the
/// rows it changed.
fn execute(tx: &Transaction<'_>, statement: &str, params: &[&str]) -> rusqlite::Result<u64> {
    let mut prepared = tx.prepare(statement)?;
    for (i, value) in params.iter().enumerate().take(prepared.parameter_count()) {
        prepared.raw_bind_parameter(i + 1, value)?;
    }
    prepared.raw_execute().map(|n| n as u64)
}
