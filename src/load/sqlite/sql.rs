//! Every SQLite statement of the load, in one place.
//!
//! SQLite has no MERGE and a load must not hold a run in memory, so a load
//! walks the staged rows once: for each row it looks the key up (one index
//! probe), then inserts, updates or leaves the row alone by the same rules
//! as the SQL Server MERGE (`../mssql/sql.rs`). Parameters of the row
//! statements: `?1…?N` are the staged columns in [`COLUMNS`] order,
//! `?N+1` the load time (ISO text), `?N+2` the run id.
//!
//! Storage: money is TEXT holding the exact decimal with four places
//! (`12.3400`, `-0.5000`), so nothing is rounded and `CAST(x AS REAL)` or a
//! decimal parser reads it; times are TEXT `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC,
//! fixed width, so text order is time order); flags are INTEGER 0/1.

use super::super::audit;
use super::super::table::{self, ColumnType};
use crate::manifest::LoadMode;
use crate::schema::diff::Column as Declared;
use crate::schema::staged::{COLUMNS, Kind, MERGE_KEY};

/// The T-SQL view; SQLite reuses its SELECT (see [`view`]).
const VIEW_SQL: &str =
    include_str!("../../../sql/staging/views/v_tiktok_shop_order_sku_quantities.sql");
pub(super) const DEFAULT_TABLE: &str = "tiktok_shop_orders";

pub(super) fn sql_type(column: ColumnType) -> String {
    match column {
        ColumnType::Staged(Kind::Bool | Kind::Int) => "INTEGER",
        ColumnType::Staged(Kind::Text(_) | Kind::Money | Kind::Time) | ColumnType::LoadTime => {
            "TEXT"
        }
    }
    .to_owned()
}

pub(super) fn expected_columns() -> Vec<Declared> {
    table::expected(sql_type)
}

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// The parameter number of the load time and of the run id.
pub(super) fn load_time_param() -> usize {
    COLUMNS.len() + 1
}
pub(super) fn run_id_param() -> usize {
    COLUMNS.len() + 2
}

/// The parameter number of a staged column.
fn param(name: &str) -> usize {
    COLUMNS
        .iter()
        .position(|c| c.name == name)
        .map_or(0, |i| i + 1)
}

/// The table's columns as SQLite declares them (none: no such table).
pub(super) const TABLE_INFO: &str =
    "SELECT name, type, \"notnull\" FROM main.pragma_table_info(?1) ORDER BY cid";

/// The table and its indexes. The covering index on (order_id, item_id,
/// update_time, etl_row_hash) answers the newer-wins lookup of every staged
/// row from the index alone.
pub(super) fn create_table(table: &str) -> String {
    let columns: Vec<String> = expected_columns()
        .iter()
        .map(|c| {
            format!(
                "    {} {}{}",
                quote(&c.name),
                c.type_name,
                if c.nullable { "" } else { " NOT NULL" }
            )
        })
        .collect();
    format!(
        "CREATE TABLE main.{t} (\n{}\n);\n\
         CREATE UNIQUE INDEX main.{ux} ON {t} (etl_batch_id, order_id, item_id);\n{}",
        columns.join(",\n"),
        create_indexes(table),
        t = quote(table),
        ux = quote(&format!("ux_{table}_batch_order_item")),
    )
}

/// The lookup index, also added to tables made by earlier versions (which
/// had an index on (order_id, item_id) only); idempotent.
pub(super) fn create_indexes(table: &str) -> String {
    format!(
        "CREATE INDEX IF NOT EXISTS main.{ix} ON {t} (order_id, item_id, update_time, etl_row_hash);\n",
        t = quote(table),
        ix = quote(&format!("ix_{table}_order_item_version")),
    )
}

/// The quantities view over `table`, made from the SQL Server view's SELECT:
/// `v_tiktok_shop_order_sku_quantities` for the default table, else
/// `v_<table>_sku_quantities`.
pub(super) fn view(table: &str) -> String {
    let name = if table == DEFAULT_TABLE {
        "v_tiktok_shop_order_sku_quantities".to_owned()
    } else {
        format!("v_{table}_sku_quantities")
    };
    let select = VIEW_SQL
        .split_once("\nSELECT")
        .map(|(_, rest)| format!("SELECT{rest}"))
        .unwrap_or_default()
        .replace("dbo.tiktok_shop_orders", &format!("main.{}", quote(table)));
    format!(
        "CREATE VIEW IF NOT EXISTS main.{} AS\n{}",
        quote(&name),
        select.trim_end().trim_end_matches(';')
    )
}

/// The keys staged so far: a duplicate is refused, and append and replace
/// delete the rows whose key is not here. On disk (temp store), so memory
/// stays flat however many rows a run has.
pub(super) const CREATE_STAGED_KEYS: &str = "DROP TABLE IF EXISTS temp.staged_keys;\n\
     CREATE TEMP TABLE staged_keys (order_id TEXT NOT NULL, item_id TEXT NOT NULL, \
     PRIMARY KEY (order_id, item_id)) WITHOUT ROWID;";
pub(super) const INSERT_STAGED_KEY: &str = "INSERT INTO temp.staged_keys VALUES (?1, ?2)";
pub(super) const DROP_STAGED_KEYS: &str = "DROP TABLE temp.staged_keys;";

/// The rows a staged row meets: (update_time, etl_row_hash) of the table
/// rows with its key (merge and replace), or of its batch's row (append).
/// `?1` order_id, `?2` item_id, `?3` the run id (append).
pub(super) fn lookup(mode: LoadMode, table: &str) -> String {
    let t = format!("main.{}", quote(table));
    match mode {
        LoadMode::Merge | LoadMode::Replace => format!(
            "SELECT update_time, etl_row_hash FROM {t} WHERE order_id = ?1 AND item_id = ?2 LIMIT 2"
        ),
        LoadMode::Append => format!(
            "SELECT update_time, etl_row_hash FROM {t} WHERE etl_batch_id = ?3 AND order_id = ?1 \
             AND item_id = ?2"
        ),
    }
}

/// 1 when the table has no row (the load then inserts without lookups).
pub(super) fn is_empty(table: &str) -> String {
    format!("SELECT NOT EXISTS (SELECT 1 FROM main.{})", quote(table))
}

/// Replaces the row of the staged row's key (its batch's, in append) with
/// the staged row; `etl_created_at` stays.
pub(super) fn update(mode: LoadMode, table: &str) -> String {
    let sets: Vec<String> = COLUMNS
        .iter()
        .filter(|c| !MERGE_KEY.contains(&c.name))
        .map(|c| format!("{} = ?{}", quote(c.name), param(c.name)))
        .chain([format!("{} = ?{}", table::UPDATED_AT, load_time_param())])
        .collect();
    let batch = match mode {
        LoadMode::Append => format!(" AND etl_batch_id = ?{}", run_id_param()),
        LoadMode::Merge | LoadMode::Replace => String::new(),
    };
    format!(
        "UPDATE main.{} SET {} WHERE order_id = ?{} AND item_id = ?{}{batch}",
        quote(table),
        sets.join(", "),
        param("order_id"),
        param("item_id"),
    )
}

pub(super) fn insert(table: &str) -> String {
    let names: Vec<String> = COLUMNS.iter().map(|c| quote(c.name)).collect();
    let places: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
    let now = load_time_param();
    format!(
        "INSERT INTO main.{} ({}, {}, {}) VALUES ({}, ?{now}, ?{now})",
        quote(table),
        names.join(", "),
        table::CREATED_AT,
        table::UPDATED_AT,
        places.join(", "),
    )
}

/// Run before the rows of a `replace`: keeps one row per key (this run's,
/// else the most recently updated, else the latest batch), as append loads
/// leave several. `?1` is the run id.
pub(super) fn delete_duplicates(table: &str) -> String {
    let t = format!("main.{}", quote(table));
    format!(
        "DELETE FROM {t} WHERE rowid IN (SELECT rid FROM (SELECT rowid AS rid, ROW_NUMBER() OVER (\
         PARTITION BY order_id, item_id ORDER BY CASE WHEN etl_batch_id = ?1 THEN 0 ELSE 1 END, \
         etl_updated_at DESC, etl_batch_id DESC) AS rn FROM {t}) WHERE rn > 1)"
    )
}

/// Run after the rows: deletes the rows whose key was not staged, of this
/// batch (append) or of the whole table (replace); merge deletes nothing.
/// `?1` is the run id.
pub(super) fn delete_unstaged(mode: LoadMode, table: &str) -> Option<String> {
    let t = format!("main.{}", quote(table));
    let unstaged = "NOT EXISTS (SELECT 1 FROM temp.staged_keys AS k \
                    WHERE k.order_id = t.order_id AND k.item_id = t.item_id)";
    match mode {
        LoadMode::Merge => None,
        LoadMode::Append => Some(format!(
            "DELETE FROM {t} AS t WHERE t.etl_batch_id = ?1 AND {unstaged}"
        )),
        LoadMode::Replace => Some(format!("DELETE FROM {t} AS t WHERE {unstaged}")),
    }
}

/// The audit table (`load/audit.rs`); created when missing.
pub(super) fn create_audit() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS main.{} (\n\
         load_id INTEGER PRIMARY KEY,\n\
         run_id TEXT NOT NULL,\n\
         load_mode TEXT NOT NULL,\n\
         target_table TEXT NOT NULL,\n\
         rows_staged INTEGER,\n\
         rows_inserted INTEGER,\n\
         rows_updated INTEGER,\n\
         rows_unchanged INTEGER,\n\
         rows_deleted INTEGER,\n\
         started_at TEXT NOT NULL,\n\
         finished_at TEXT,\n\
         outcome TEXT NOT NULL,\n\
         error_text TEXT\n);",
        quote(audit::TABLE)
    )
}

/// `?1` run id, `?2` mode, `?3` table, `?4` started at.
pub(super) fn insert_audit() -> String {
    format!(
        "INSERT INTO main.{} (run_id, load_mode, target_table, started_at, outcome) \
         VALUES (?1, ?2, ?3, ?4, 'started')",
        quote(audit::TABLE)
    )
}

/// `?1` load id, `?2` outcome, `?3` finished at, `?4`…`?8` staged,
/// inserted, updated, unchanged, deleted, `?9` error text.
pub(super) fn finish_audit() -> String {
    format!(
        "UPDATE main.{} SET outcome = ?2, finished_at = ?3, rows_staged = ?4, rows_inserted = ?5, \
         rows_updated = ?6, rows_unchanged = ?7, rows_deleted = ?8, error_text = ?9 WHERE load_id = ?1",
        quote(audit::TABLE)
    )
}
