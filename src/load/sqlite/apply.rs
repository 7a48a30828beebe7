//! The staged rows into the table, one pass, in bounded memory.
//!
//! Each staged row is looked up by key through the covering index (one
//! probe), then inserted, updated or left alone, each through a statement
//! prepared once for the whole load; its key goes into `temp.staged_keys`,
//! which refuses a duplicate and tells append and replace which rows were
//! not staged. The counts come from these decisions, so inserted + updated +
//! unchanged is exactly the number of rows staged.

use std::path::Path;

use rusqlite::{ErrorCode, Statement, Transaction};

use super::super::columns::StagedColumns;
use super::super::error::LoadError;
use super::super::input::{Progress, StagedRows};
use super::super::job::{Counts, Job};
use super::errors::database_error;
use super::sql;
use super::values::Row;
use crate::manifest::LoadMode;
use crate::schema::staged::index_of;

/// What the table holds for one staged row's key.
enum Found {
    Nothing,
    /// (update_time, etl_row_hash) of the one row.
    One(String, String),
    Several,
}

/// The load's prepared statements.
struct Statements<'t> {
    key: Statement<'t>,
    lookup: Statement<'t>,
    update: Statement<'t>,
    insert: Statement<'t>,
    /// The table had no row when the load began: every key is new, so no
    /// row is looked up and no key kept; a key staged twice is refused by
    /// the table's unique (etl_batch_id, order_id, item_id), as every row
    /// it then holds has this run's batch id; nothing is left to delete.
    empty_at_start: bool,
}

/// Streams every staged row into the table; returns the counts (deleted
/// rows included). Fails on the first row that cannot be written; the
/// caller rolls back.
pub(super) fn apply(
    tx: &Transaction<'_>,
    job: &Job,
    load_time: &str,
    rows: &mut StagedRows,
    path: &Path,
) -> Result<Counts, LoadError> {
    let table = job.table.name.as_str();
    let on = |what: &'static str| move |e: rusqlite::Error| database_error(what, path, e);
    tx.execute_batch(sql::CREATE_STAGED_KEYS)
        .map_err(on("create the staged keys"))?;
    let mut counts = Counts::default();
    if job.mode == LoadMode::Replace {
        counts.deleted += execute_with_run_id(tx, &sql::delete_duplicates(table), &job.run_id)
            .map_err(on("delete duplicate keys"))?;
    }
    let empty_at_start: bool = tx
        .query_row(&sql::is_empty(table), [], |row| row.get(0))
        .map_err(on("look at the table"))?;
    let mut statements = Statements {
        key: tx.prepare(sql::INSERT_STAGED_KEY).map_err(on("prepare"))?,
        lookup: tx
            .prepare(&sql::lookup(job.mode, table))
            .map_err(on("prepare"))?,
        update: tx
            .prepare(&sql::update(job.mode, table))
            .map_err(on("prepare"))?,
        insert: tx.prepare(&sql::insert(table)).map_err(on("prepare"))?,
        empty_at_start,
    };
    if job.mode == LoadMode::Append {
        statements
            .lookup
            .raw_bind_parameter(3, job.run_id.as_str())
            .map_err(on("prepare"))?;
    }
    for statement in [&mut statements.update, &mut statements.insert] {
        bind_load_params(statement, job, load_time).map_err(on("prepare"))?;
    }
    let columns = Columns::new()?;
    let mut row_values = Row::default();
    let mut progress = Progress::new();
    while let Some(batch) = rows.blocking_next()? {
        let staged = StagedColumns::new(&batch)?;
        for row in 0..staged.rows {
            row_values.fill(&staged, row);
            let current = Current {
                values: &row_values,
                staged: &staged,
                row,
            };
            write_row(&mut statements, job, &columns, &current, &mut counts)
                .map_err(|e| e.into_load_error(path))?;
        }
        progress.add(staged.rows);
    }
    progress.log("rows written");
    counts.staged = progress.rows;
    drop(statements);
    if job.mode == LoadMode::Replace && counts.staged == 0 && !job.allow_empty_replace {
        return Err(LoadError::Input(Counts::empty_replace_refused(&job.table)));
    }
    if let Some(delete) = sql::delete_unstaged(job.mode, table).filter(|_| !empty_at_start) {
        counts.deleted += execute_with_run_id(tx, &delete, &job.run_id)
            .map_err(on("delete the rows no longer staged"))?;
    }
    tx.execute_batch(sql::DROP_STAGED_KEYS)
        .map_err(on("drop the staged keys"))?;
    Ok(counts)
}

/// Runs `statement`, binding the run id to `?1` when it has one; returns
/// the rows it changed.
fn execute_with_run_id(
    tx: &Transaction<'_>,
    statement: &str,
    run_id: &str,
) -> rusqlite::Result<u64> {
    let mut prepared = tx.prepare(statement)?;
    if prepared.parameter_count() >= 1 {
        prepared.raw_bind_parameter(1, run_id)?;
    }
    prepared.raw_execute().map(|n| n as u64)
}

/// Binds the load time and run id (those the statement has) once: they
/// are the same for every row.
fn bind_load_params(
    statement: &mut Statement<'_>,
    job: &Job,
    load_time: &str,
) -> rusqlite::Result<()> {
    let have = statement.parameter_count();
    if have >= sql::load_time_param() {
        statement.raw_bind_parameter(sql::load_time_param(), load_time)?;
    }
    if have >= sql::run_id_param() {
        statement.raw_bind_parameter(sql::run_id_param(), job.run_id.as_str())?;
    }
    Ok(())
}

/// Positions of the columns the decisions read.
struct Columns {
    order_id: usize,
    item_id: usize,
    update_time: usize,
    hash: usize,
}

impl Columns {
    fn new() -> Result<Self, LoadError> {
        let at = |name: &str| {
            index_of(name)
                .ok_or_else(|| LoadError::task(&format!("the staged schema has no column {name}")))
        };
        Ok(Columns {
            order_id: at("order_id")?,
            item_id: at("item_id")?,
            update_time: at("update_time")?,
            hash: at("etl_row_hash")?,
        })
    }
}

/// The row being written.
struct Current<'a> {
    values: &'a Row,
    staged: &'a StagedColumns<'a>,
    row: usize,
}

/// Why a row could not be written: the database's error, or the load's.
enum RowError {
    Database(&'static str, rusqlite::Error),
    Load(LoadError),
}

impl RowError {
    fn into_load_error(self, path: &Path) -> LoadError {
        match self {
            RowError::Database(what, e) => database_error(what, path, e),
            RowError::Load(e) => e,
        }
    }
}

fn write_row(
    statements: &mut Statements<'_>,
    job: &Job,
    columns: &Columns,
    current: &Current<'_>,
    counts: &mut Counts,
) -> Result<(), RowError> {
    let on = |what: &'static str| move |e: rusqlite::Error| RowError::Database(what, e);
    let Current {
        values,
        staged,
        row,
    } = *current;
    let text = |column| values.text(staged, row, column).unwrap_or_default();
    let key = (text(columns.order_id), text(columns.item_id));
    let duplicate = |e: rusqlite::Error, what| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => RowError::Load(LoadError::Input(format!(
            "the staged rows hold {} more than once; (order_id, item_id) must be unique: \
             re-run transform for this run id",
            staged.key(row)
        ))),
        _ => RowError::Database(what, e),
    };
    if statements.empty_at_start {
        values
            .bind(&mut statements.insert, staged, row)
            .map_err(on("insert a row"))?;
        statements
            .insert
            .raw_execute()
            .map_err(|e| duplicate(e, "insert a row"))?;
        counts.inserted += 1;
        return Ok(());
    }
    stage_key(&mut statements.key, key).map_err(|e| duplicate(e, "stage a key"))?;
    let found = find(&mut statements.lookup, key).map_err(on("look a row up"))?;
    let (update_time, hash) = (text(columns.update_time), text(columns.hash));
    let replace = match (&found, job.mode) {
        (Found::Nothing, _) => {
            values
                .bind(&mut statements.insert, staged, row)
                .map_err(on("insert a row"))?;
            statements
                .insert
                .raw_execute()
                .map_err(on("insert a row"))?;
            counts.inserted += 1;
            return Ok(());
        }
        (Found::Several, _) => {
            return Err(RowError::Load(LoadError::Table(format!(
                "table {} holds several rows of {}, as append loads leave them; merge needs one per \
                 key: load once with --load-mode replace",
                job.table,
                staged.key(row)
            ))));
        }
        (Found::One(time, old), LoadMode::Merge) => {
            update_time > time.as_str() || (update_time == time.as_str() && hash != old.as_str())
        }
        (Found::One(_, old), LoadMode::Append | LoadMode::Replace) => hash != old.as_str(),
    };
    if replace {
        values
            .bind(&mut statements.update, staged, row)
            .map_err(on("update a row"))?;
        statements
            .update
            .raw_execute()
            .map_err(on("update a row"))?;
        counts.updated += 1;
    } else {
        counts.unchanged += 1;
    }
    Ok(())
}

fn stage_key(key_statement: &mut Statement<'_>, key: (&str, &str)) -> rusqlite::Result<()> {
    key_statement.raw_bind_parameter(1, key.0)?;
    key_statement.raw_bind_parameter(2, key.1)?;
    key_statement.raw_execute().map(drop)
}

/// (`?1`, `?2`) = the key; an append lookup has its run id bound already.
fn find(lookup: &mut Statement<'_>, key: (&str, &str)) -> rusqlite::Result<Found> {
    lookup.raw_bind_parameter(1, key.0)?;
    lookup.raw_bind_parameter(2, key.1)?;
    let mut rows = lookup.raw_query();
    let Some(first) = rows.next()? else {
        return Ok(Found::Nothing);
    };
    let one = Found::One(first.get(0)?, first.get(1)?);
    Ok(if rows.next()?.is_some() {
        Found::Several
    } else {
        one
    })
}
