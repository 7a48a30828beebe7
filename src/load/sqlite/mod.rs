//! The SQLite target: the embedded default for local runs, demos and tests.
//!
//! A load is one IMMEDIATE transaction (so a second load of the same file
//! waits for the first, up to `busy_timeout_ms`, then fails with exit 1): the
//! table check (and its creation when missing, which SQLite targets do
//! without `--create-table`), then one pass over the staged rows as they
//! stream in (`apply.rs`), then the deletes of the mode, then the audit row
//! (`audit.rs`), then COMMIT. All or nothing; memory does not grow with the
//! run. Runs on a blocking thread: rusqlite is synchronous.

mod apply;
mod audit;
mod errors;
mod sql;
pub(super) mod target;
#[cfg(test)]
mod tests;
mod values;

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

use super::audit::{Outcome, error_text};
use super::error::LoadError;
use super::input::StagedRows;
use super::job::{Counts, Job};
use super::table;
use crate::failure::Failure;
use crate::schema::diff::Column as Declared;
use errors::database_error;
use target::SqliteTarget;

pub(super) fn load(
    target: &SqliteTarget,
    job: Job,
    mut rows: StagedRows,
) -> Result<Counts, LoadError> {
    let path = target.path();
    let (mut conn, journal) = open(target)?;
    let audit_id = audit::start(&mut conn, &job, path)?;
    match load_in_transaction(&mut conn, &job, &mut rows, path, audit_id) {
        Ok(counts) => {
            if let Journal::RollbackUntilCommitted = journal {
                switch_to_wal(&conn, path);
            }
            Ok(counts)
        }
        Err(e) => {
            // The load's transaction has rolled back (dropped); the failure
            // is recorded on its own. Its own failure is logged, not raised:
            // the load's error is the one to report.
            let text = error_text(&e);
            if let Err(audit_error) = audit::finish(
                &conn,
                audit_id,
                Outcome::Failed,
                &Counts::default(),
                Some(&text),
            ) {
                tracing::warn!(error = %audit_error, "cannot record the failed load in the audit table");
            }
            Err(e)
        }
    }
}

fn load_in_transaction(
    conn: &mut Connection,
    job: &Job,
    rows: &mut StagedRows,
    path: &Path,
    audit_id: i64,
) -> Result<Counts, LoadError> {
    let on = |what: &'static str| move |e: rusqlite::Error| database_error(what, path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(on("start the load transaction"))?;
    prepare_table(&tx, job.table.name.as_str(), path)?;
    let mut load_time = String::new();
    values::write_time(&mut load_time, job.load_time.timestamp_millis());
    let counts = apply::apply(&tx, job, &load_time, rows, path)?;
    audit::finish(&tx, audit_id, Outcome::Succeeded, &counts, None)
        .map_err(on("write the load audit row"))?;
    tx.commit().map_err(on("commit the load"))?;
    Ok(counts)
}

/// The page size of a database file the load creates.
const PAGE_SIZE: i64 = 16_384;

/// Page cache sizes, negative: KiB (SQLite's convention).
const MAIN_CACHE_KIB: i64 = -32_768;
const TEMP_CACHE_KIB: i64 = -8_192;

/// How the load journals its transaction.
enum Journal {
    /// As the target says.
    AsConfigured,
    /// The load creates the file and WAL is wanted: a rollback journal
    /// until the load commits, then WAL. With WAL every page of the rows is
    /// written twice (to the WAL, then to the file); a rollback journal
    /// keeps only pages that existed before the load, which in a new file
    /// are next to none: the first load is about 20-30 % faster and needs
    /// no WAL as big as the rows. It is as atomic; and a file that did not
    /// exist has no readers that WAL would let read during the load.
    RollbackUntilCommitted,
}

/// Opens (creating when missing) the target's file for a load.
fn open(target: &SqliteTarget) -> Result<(Connection, Journal), LoadError> {
    let path = target.path();
    refuse_directory(path)?;
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
    // Exactly one of several loads starting at once creates the file: only
    // that one may journal by rollback (another one setting its own journal
    // mode on a file the first has switched to WAL would be refused).
    let created = create_new(path)?;
    let new_file = created || std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    let conn = Connection::open(path).map_err(on("open"))?;
    conn.busy_timeout(target.busy_timeout())
        .map_err(on("configure"))?;
    if new_file {
        // Rows of ~100 columns: 16 KiB pages hold several rows each, so
        // fewer pages, splits and WAL frames. Only a new file can choose.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(on("configure"))?;
    }
    // WAL (the default) lets readers read while a load writes; NORMAL is
    // durable enough with WAL (a crash loses at most the last commit, never
    // consistency). Both can be set in the target. With a rollback journal
    // NORMAL leaves a small chance of a power cut corrupting the file, so
    // the first load of a new file syncs fully.
    let rollback =
        created && target.journal_mode() == "WAL" && set_journal_mode(&conn, "DELETE").is_ok();
    let (journal, synchronous) = match (rollback, target.synchronous()) {
        (true, "NORMAL") => (Journal::RollbackUntilCommitted, "FULL"),
        (true, synchronous) => (Journal::RollbackUntilCommitted, synchronous),
        (false, synchronous) => (Journal::AsConfigured, synchronous),
    };
    if !rollback {
        set_journal_mode_waiting(&conn, target.journal_mode(), target.busy_timeout())
            .map_err(on("set the journal mode"))?;
    }
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(on("configure"))?;
    // A bounded page cache: the table's pages beyond it spill to the WAL
    // (to the file itself under a rollback journal), the staged keys' to a
    // temp file, so memory stays flat for any run.
    conn.pragma_update(Some("main"), "cache_size", MAIN_CACHE_KIB)
        .map_err(on("configure"))?;
    conn.pragma_update(Some("temp"), "cache_size", TEMP_CACHE_KIB)
        .map_err(on("configure"))?;
    conn.pragma_update(None, "temp_store", "FILE")
        .map_err(on("configure"))?;
    Ok((conn, journal))
}

/// Creates the file if it does not exist; whether this call created it.
fn create_new(path: &Path) -> Result<bool, LoadError> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(LoadError::database(
            format!(
                "SQLite {}: cannot create the file (check the path in --target and that this \
                 user may write it)",
                path.display()
            ),
            Failure::Fatal,
            e,
        )),
    }
}

fn set_journal_mode(conn: &Connection, mode: &str) -> rusqlite::Result<()> {
    conn.pragma_update_and_check(None, "journal_mode", mode, |row| row.get::<_, String>(0))
        .map(drop)
}

/// [`set_journal_mode`], retried while another connection holds the file
/// (SQLite does not wait on its busy handler for a change of journal mode,
/// e.g. while a load that created the file still journals by rollback).
fn set_journal_mode_waiting(conn: &Connection, mode: &str, wait: Duration) -> rusqlite::Result<()> {
    let started = Instant::now();
    loop {
        match set_journal_mode(conn, mode) {
            Err(e)
                if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && started.elapsed() < wait =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            done => return done,
        }
    }
}

/// After the first load of a new file: WAL from now on, so readers can read
/// while later loads write. The load has committed; should this fail, the
/// next load sets WAL when it opens the file.
fn switch_to_wal(conn: &Connection, path: &Path) {
    if let Err(e) = set_journal_mode(conn, "WAL") {
        tracing::warn!(
            file = %path.display(),
            error = %e,
            "the load committed, but the file could not be switched to WAL; the next load does it"
        );
    }
}

/// A directory as the database: SQLite reports a disk I/O error, which
/// reads as transient; it is the target that is wrong.
fn refuse_directory(path: &Path) -> Result<(), LoadError> {
    if path.is_dir() {
        return Err(LoadError::Target(format!(
            "SQLite {}: is a directory, not a database file; name a file in --target, e.g. \
             sqlite://{}",
            path.display(),
            path.join("staging.db").display()
        )));
    }
    Ok(())
}

/// [`super::check`] for SQLite: opens the file read-only (never creates it).
pub(super) fn check(target: &SqliteTarget, table: &str) -> Result<String, LoadError> {
    let path = target.path();
    refuse_directory(path)?;
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
        tx.execute_batch(&sql::create_indexes(table))
            .map_err(on("index the table"))?;
    }
    tx.execute_batch(&sql::view(table))
        .map_err(on("create the quantities view"))
}
