//! Every SQLite statement of the load, in one place.
//!
//! SQLite has no MERGE, so each mode is a few set-based statements over the
//! session's `temp.staged_rows`, with the same conditions as the SQL Server
//! MERGE (`../mssql/sql.rs`). Parameters: `?1` is the load time (ISO text),
//! `?2` the run id.
//!
//! Storage: money is TEXT holding the exact decimal with four places
//! (`12.3400`, `-0.5000`), so nothing is rounded and `CAST(x AS REAL)` or a
//! decimal parser reads it; times are TEXT `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC,
//! fixed width, so text order is time order); flags are INTEGER 0/1.

use super::super::table::{self, ColumnType};
use crate::manifest::LoadMode;
use crate::schema::diff::Column as Declared;
use crate::schema::staged::{COLUMNS, Kind, MERGE_KEY};

/// The T-SQL view; SQLite reuses its SELECT (see [`view`]).
const VIEW_SQL: &str =
    include_str!("../../../sql/staging/views/v_tiktok_shop_order_sku_quantities.sql");
pub(super) const DEFAULT_TABLE: &str = "tiktok_shop_orders";

/// Which count a statement's changed rows add to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    Inserted,
    Updated,
    Deleted,
}

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

/// The table's columns as SQLite declares them (none: no such table).
pub(super) const TABLE_INFO: &str =
    "SELECT name, type, \"notnull\" FROM main.pragma_table_info(?1) ORDER BY cid";

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
         CREATE UNIQUE INDEX main.{ux} ON {t} (etl_batch_id, order_id, item_id);\n\
         CREATE INDEX main.{ix} ON {t} (order_id, item_id);\n",
        columns.join(",\n"),
        t = quote(table),
        ux = quote(&format!("ux_{table}_batch_order_item")),
        ix = quote(&format!("ix_{table}_order_item")),
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

pub(super) fn create_staged() -> String {
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            format!(
                "    {} {}",
                quote(c.name),
                sql_type(ColumnType::Staged(c.kind))
            )
        })
        .collect();
    format!(
        "DROP TABLE IF EXISTS temp.staged_rows;\nCREATE TEMP TABLE staged_rows (\n{}\n);",
        columns.join(",\n")
    )
}

pub(super) fn insert_staged() -> String {
    let places: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO temp.staged_rows VALUES ({})",
        places.join(", ")
    )
}

/// Built after the rows are in: one sort instead of a b-tree insert per row.
/// UNIQUE guards the checks done on read.
pub(super) const INDEX_STAGED: &str =
    "CREATE UNIQUE INDEX temp.staged_rows_key ON staged_rows (order_id, item_id);";

pub(super) const DROP_STAGED: &str = "DROP TABLE temp.staged_rows;";

/// The statements of `mode`, in order, each with the count its changes add to.
pub(super) fn statements(mode: LoadMode, table: &str) -> Vec<(Effect, String)> {
    let t = format!("main.{}", quote(table));
    let hash_differs = "s.etl_row_hash <> t.etl_row_hash";
    match mode {
        LoadMode::Merge => vec![
            (
                Effect::Updated,
                update(
                    &t,
                    "(s.update_time > t.update_time OR (s.update_time = t.update_time AND s.etl_row_hash <> t.etl_row_hash))",
                ),
            ),
            (Effect::Inserted, insert_new(&t, "")),
        ],
        LoadMode::Append => vec![
            (
                Effect::Deleted,
                format!(
                    "DELETE FROM {t} AS t WHERE t.etl_batch_id = ?2 AND NOT EXISTS \
                     (SELECT 1 FROM temp.staged_rows AS s WHERE {})",
                    same_key()
                ),
            ),
            (
                Effect::Updated,
                update(&t, &format!("t.etl_batch_id = ?2 AND {hash_differs}")),
            ),
            (Effect::Inserted, insert_new(&t, " AND t.etl_batch_id = ?2")),
        ],
        LoadMode::Replace => vec![
            (Effect::Deleted, delete_duplicates(&t)),
            (
                Effect::Deleted,
                format!(
                    "DELETE FROM {t} AS t WHERE NOT EXISTS (SELECT 1 FROM temp.staged_rows AS s WHERE {})",
                    same_key()
                ),
            ),
            (Effect::Updated, update(&t, hash_differs)),
            (Effect::Inserted, insert_new(&t, "")),
        ],
    }
}

fn same_key() -> String {
    MERGE_KEY.map(|k| format!("t.{k} = s.{k}")).join(" AND ")
}

/// [`same_key`] for UPDATE … FROM: the unary `+` keeps SQLite from using the
/// staged rows' index, so it walks the staged rows and looks each up in the
/// table's index, instead of scanning the whole table on every load.
fn same_key_from_staged() -> String {
    MERGE_KEY.map(|k| format!("t.{k} = +s.{k}")).join(" AND ")
}

/// Sets every staged column but the key, and `etl_updated_at`, where `when`.
fn update(t: &str, when: &str) -> String {
    let sets: Vec<String> = COLUMNS
        .iter()
        .filter(|c| !MERGE_KEY.contains(&c.name))
        .map(|c| format!("{0} = s.{0}", quote(c.name)))
        .chain([format!("{} = ?1", table::UPDATED_AT)])
        .collect();
    format!(
        "UPDATE {t} AS t SET {} FROM temp.staged_rows AS s WHERE {} AND {when}",
        sets.join(", "),
        same_key_from_staged()
    )
}

/// Inserts the staged rows whose key is not in the table (`scope` narrows
/// the rows that count, e.g. to this batch).
fn insert_new(t: &str, scope: &str) -> String {
    let names: Vec<String> = COLUMNS.iter().map(|c| quote(c.name)).collect();
    let values: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("s.{}", quote(c.name)))
        .collect();
    format!(
        "INSERT INTO {t} ({}, {}, {}) SELECT {}, ?1, ?1 FROM temp.staged_rows AS s \
         WHERE NOT EXISTS (SELECT 1 FROM {t} AS t WHERE {}{scope}) ORDER BY s.rowid",
        names.join(", "),
        table::CREATED_AT,
        table::UPDATED_AT,
        values.join(", "),
        same_key()
    )
}

/// Keeps one row per key: this run's, else the most recently updated, else
/// the latest batch; the rest go (replace after append loads).
fn delete_duplicates(t: &str) -> String {
    format!(
        "DELETE FROM {t} WHERE rowid IN (SELECT rid FROM (SELECT rowid AS rid, ROW_NUMBER() OVER (\
         PARTITION BY order_id, item_id ORDER BY CASE WHEN etl_batch_id = ?2 THEN 0 ELSE 1 END, \
         etl_updated_at DESC, etl_batch_id DESC) AS rn FROM {t}) WHERE rn > 1)"
    )
}
