//! Every T-SQL text of the load, in one place.
//!
//! The DDL lives in `sql/` (applied by docker-compose too) and is included
//! here, so the load runs exactly what operators apply. The rest is built
//! from [`COLUMNS`], with the table name quoted as `[schema].[name]`.
//!
//! A load, in order: [`session`] once after the login; the audit row
//! (`audit.rs`); [`create_staged`] (money staged as exact text, cast in
//! the MERGE: tiberius's bulk encoding of DECIMAL is unproven against a
//! server); one `INSERT BULK` per batch (tiberius `bulk_insert`);
//! [`DUPLICATE_QUERY`]; [`INDEX_STAGED`]; then the one batch that changes
//! the table, [`apply`]: `BEGIN TRAN`, `sp_getapplock` (so loads of one
//! table take turns), one `MERGE ... WITH (HOLDLOCK)` whose `OUTPUT
//! $action` counts what it did, the audit row set to succeeded, `COMMIT`.
//! After a failure, [`ROLLBACK`]. The audit's statements are in
//! `audit.rs`, `check`'s queries in `check.rs`.

use super::super::table::{self, ColumnType, TableName};
use crate::manifest::LoadMode;
use crate::money;
use crate::schema::diff::Column as Declared;
use crate::schema::staged::{COLUMNS, Column, Kind, MERGE_KEY};

pub(super) const TABLE_DDL: &str =
    include_str!("../../../sql/staging/create_tiktok_shop_orders_table.sql");
pub(super) const VIEW_DDL: &str =
    include_str!("../../../sql/staging/views/v_tiktok_shop_order_sku_quantities.sql");

/// How long a statement waits for a row lock before failing with 1222
/// (retried): a reader holding locks must not stall a load for ever.
pub(super) const LOCK_TIMEOUT_MS: u32 = 30_000;
/// How long a load waits for another load of the same table.
pub(super) const APPLOCK_TIMEOUT_MS: u32 = 120_000;

/// Run once after the login: any error rolls the whole transaction back,
/// and no lock wait is unbounded.
pub(super) fn session() -> String {
    format!("SET XACT_ABORT ON;\nSET LOCK_TIMEOUT {LOCK_TIMEOUT_MS};")
}
/// The table the DDL files name.
pub(super) const DDL_TABLE: &str = "dbo.tiktok_shop_orders";
const DDL_TABLE_NAME: &str = "tiktok_shop_orders";

/// The session temp table the staged rows are bulk loaded into.
pub(super) const STAGED: &str = "#staged_rows";

pub(super) fn sql_type(column: ColumnType) -> String {
    match column {
        ColumnType::Staged(Kind::Text(n)) => format!("NVARCHAR({n})"),
        ColumnType::Staged(Kind::Money) => {
            format!("DECIMAL({},{})", money::PRECISION, money::SCALE)
        }
        ColumnType::Staged(Kind::Time) | ColumnType::LoadTime => "DATETIME2(3)".into(),
        ColumnType::Staged(Kind::Bool) => "BIT".into(),
        ColumnType::Staged(Kind::Int) => "INT".into(),
    }
}

pub(super) fn expected_columns() -> Vec<Declared> {
    table::expected(sql_type)
}

/// `[schema].[name]`, dbo when `--table` names no schema.
pub(super) fn quoted(table: &TableName) -> String {
    format!(
        "[{}].[{}]",
        table.schema.as_deref().unwrap_or("dbo"),
        table.name
    )
}

/// The table's columns (`@P1`: the quoted table name). No rows: no table,
/// or none this login may see.
pub(super) const COLUMNS_QUERY: &str = "SELECT c.name, t.name AS type_name, c.max_length, c.precision, c.scale, \
     c.is_nullable FROM sys.columns AS c JOIN sys.types AS t ON c.user_type_id = t.user_type_id \
     WHERE c.object_id = OBJECT_ID(@P1, N'U') ORDER BY c.column_id";

/// A column's type as the DDL writes it, from `sys.columns`/`sys.types`.
pub(super) fn declared_type(type_name: &str, max_length: i16, precision: u8, scale: u8) -> String {
    match type_name.to_ascii_lowercase().as_str() {
        "nvarchar" | "nchar" | "varchar" | "char" if max_length < 0 => {
            format!("{}(MAX)", type_name.to_uppercase())
        }
        "nvarchar" | "nchar" => format!("{}({})", type_name.to_uppercase(), max_length / 2),
        "varchar" | "char" => format!("{}({max_length})", type_name.to_uppercase()),
        "decimal" | "numeric" => format!("{}({precision},{scale})", type_name.to_uppercase()),
        "datetime2" | "datetimeoffset" | "time" => format!("{}({scale})", type_name.to_uppercase()),
        other => other.to_uppercase(),
    }
}

/// The table DDL of `sql/` for `table` (its name swapped in).
pub(super) fn create_table(table: &TableName) -> String {
    const MARK: &str = "\u{1}table\u{1}";
    TABLE_DDL
        .replace(DDL_TABLE, MARK)
        .replace(DDL_TABLE_NAME, &table.name)
        .replace(MARK, &quoted(table))
}

/// The view DDL of `sql/`, only for the table it is written for.
pub(super) fn create_view(table: &TableName) -> Option<&'static str> {
    (quoted(table) == "[dbo].[tiktok_shop_orders]").then_some(VIEW_DDL)
}

/// An empty copy of the staged columns of `table`: the table's types and
/// collations (so the MERGE compares text without collation conflicts
/// between tempdb and the staging database), except money, staged as exact
/// decimal text and cast back in the MERGE.
pub(super) fn create_staged(table: &TableName) -> String {
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|c| match c.kind {
            Kind::Money => format!("CAST({0} AS NVARCHAR({MONEY_TEXT})) AS {0}", c.name),
            _ => c.name.to_owned(),
        })
        .collect();
    format!(
        "SELECT TOP (0) {} INTO {STAGED} FROM {};",
        columns.join(", "),
        quoted(table)
    )
}

/// Characters of staged money text: sign, 15 digits, point, 4 decimals.
pub(super) const MONEY_TEXT: usize = 21;

/// A key staged twice, if any (checked before the unique index is built,
/// so the message names the key the same way on every target).
pub(super) const DUPLICATE_QUERY: &str = "SELECT TOP (1) order_id, item_id FROM #staged_rows \
     GROUP BY order_id, item_id HAVING COUNT_BIG(*) > 1;";

/// Built after the bulk load: one sort instead of index upkeep per row;
/// UNIQUE also tells the optimizer one staged row meets one table row.
pub(super) const INDEX_STAGED: &str =
    "CREATE UNIQUE CLUSTERED INDEX ix_staged_rows_key ON #staged_rows (order_id, item_id);";

pub(super) const ROLLBACK: &str = "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;";

/// The one batch that changes the table. `@P1` the load time, `@P2` the
/// run id, `@P3` the audit row's id. Returns one row: staged, inserted,
/// updated, unchanged, deleted (BIGINT).
pub(super) fn apply(mode: LoadMode, table: &TableName, allow_empty_replace: bool) -> String {
    let t = quoted(table);
    let (dedupe, merge) = match mode {
        LoadMode::Merge => (
            String::new(),
            merge(
                &format!("{t} WITH (HOLDLOCK)"),
                "s.update_time > t.update_time OR (s.update_time = t.update_time AND s.etl_row_hash <> t.etl_row_hash)",
                false,
            ),
        ),
        LoadMode::Append => (
            String::new(),
            format!(
                "WITH batch AS (SELECT * FROM {t} WITH (HOLDLOCK) WHERE etl_batch_id = @P2)\n{}",
                merge("batch", "s.etl_row_hash <> t.etl_row_hash", true)
            ),
        ),
        LoadMode::Replace => (
            format!(
                "WITH ranked AS (SELECT ROW_NUMBER() OVER (PARTITION BY order_id, item_id ORDER BY \
                 CASE WHEN etl_batch_id = @P2 THEN 0 ELSE 1 END, etl_updated_at DESC, etl_batch_id DESC) AS rn \
                 FROM {t} WITH (TABLOCKX))\nDELETE FROM ranked WHERE rn > 1;\nSET @deduplicated = @@ROWCOUNT;\n"
            ),
            merge(
                &format!("{t} WITH (HOLDLOCK)"),
                "s.etl_row_hash <> t.etl_row_hash",
                true,
            ),
        ),
    };
    let guard = if mode == LoadMode::Replace && !allow_empty_replace {
        format!(
            "IF @staged = 0 THROW {}, N'replace with no staged row would empty the table', 1;\n",
            super::errors::EMPTY_REPLACE
        )
    } else {
        String::new()
    };
    let resource = format!("tiktok-etl load {t}").replace('\'', "''");
    format!(
        "SET XACT_ABORT ON;\nSET NOCOUNT ON;\nBEGIN TRANSACTION;\n\
         DECLARE @lock INT;\n\
         EXEC @lock = sys.sp_getapplock @Resource = N'{resource}', @LockMode = N'Exclusive', \
         @LockOwner = N'Transaction', @LockTimeout = {APPLOCK_TIMEOUT_MS};\n\
         IF @lock < 0 THROW {}, N'another load of this table holds its application lock', 1;\n\
         DECLARE @staged BIGINT = (SELECT COUNT_BIG(*) FROM {STAGED});\n\
         {guard}\
         DECLARE @actions TABLE (action NVARCHAR(10) NOT NULL);\n\
         DECLARE @deduplicated BIGINT = 0;\n\
         {dedupe}{merge}\n\
         DECLARE @inserted BIGINT = (SELECT COUNT_BIG(*) FROM @actions WHERE action = N'INSERT');\n\
         DECLARE @updated BIGINT = (SELECT COUNT_BIG(*) FROM @actions WHERE action = N'UPDATE');\n\
         DECLARE @deleted BIGINT = (SELECT COUNT_BIG(*) FROM @actions WHERE action = N'DELETE') + @deduplicated;\n\
         UPDATE {audit} SET outcome = N'succeeded', finished_at = SYSUTCDATETIME(), rows_staged = @staged, \
         rows_inserted = @inserted, rows_updated = @updated, rows_unchanged = @staged - @inserted - @updated, \
         rows_deleted = @deleted WHERE load_id = @P3;\n\
         COMMIT TRANSACTION;\n\
         SELECT @staged AS staged, @inserted AS inserted, @updated AS updated, \
         @staged - @inserted - @updated AS unchanged, @deleted AS deleted;",
        super::errors::APPLOCK_TIMEOUT,
        audit = super::audit::table(table),
    )
}

/// `MERGE` of the staged rows into `target` on (order_id, item_id): update
/// matched rows `when`, insert new ones, and with `delete_missing` delete
/// target rows that are not staged.
fn merge(target: &str, when: &str, delete_missing: bool) -> String {
    let on: Vec<String> = MERGE_KEY.iter().map(|k| format!("t.{k} = s.{k}")).collect();
    let sets: Vec<String> = COLUMNS
        .iter()
        .filter(|c| !MERGE_KEY.contains(&c.name))
        .map(|c| format!("t.{} = {}", c.name, staged_value(c)))
        .chain([format!("t.{} = @P1", table::UPDATED_AT)])
        .collect();
    let names: Vec<&str> = COLUMNS
        .iter()
        .map(|c| c.name)
        .chain([table::CREATED_AT, table::UPDATED_AT])
        .collect();
    let values: Vec<String> = COLUMNS
        .iter()
        .map(staged_value)
        .chain(["@P1".into(), "@P1".into()])
        .collect();
    let delete = if delete_missing {
        "\nWHEN NOT MATCHED BY SOURCE THEN DELETE"
    } else {
        ""
    };
    format!(
        "MERGE INTO {target} AS t\nUSING {STAGED} AS s\nON {}\n\
         WHEN MATCHED AND ({when}) THEN UPDATE SET {}\n\
         WHEN NOT MATCHED BY TARGET THEN INSERT ({}) VALUES ({}){delete}\n\
         OUTPUT $action INTO @actions;",
        on.join(" AND "),
        sets.join(", "),
        names.join(", "),
        values.join(", ")
    )
}

/// A staged column as the table takes it: money cast back from its text.
fn staged_value(column: &Column) -> String {
    match column.kind {
        Kind::Money => format!(
            "CAST(s.{} AS DECIMAL({},{}))",
            column.name,
            money::PRECISION,
            money::SCALE
        ),
        _ => format!("s.{}", column.name),
    }
}
