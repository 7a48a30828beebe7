//! `tiktok-etl check` for SQL Server: can this login load, here, now?
//!
//! Logs in (the same TLS and CA checks as a load), compares the table with
//! the staged schema, and asks the server what the login may do
//! (`HAS_PERMS_BY_NAME`) and which keys the table has: a login that can
//! read but not write, or a table without its unique batch key, is a
//! failure here rather than at 2 a.m. in a load. Changes nothing.

use super::super::error::LoadError;
use super::super::table::{self, TableName};
use super::batch::columns;
use super::connect::{Connection, connect};
use super::errors::database_error;
use super::sql;
use super::target::SqlServerTarget;

/// What `check` asks: the login's rights on the table (`@P1`), the audit
/// table (`@P2`) and, for `--create-table`, its schema (`@P3`), as 1/0.
pub(super) const PERMISSIONS_QUERY: &str = "SELECT \
     HAS_PERMS_BY_NAME(@P1, N'OBJECT', N'SELECT') AS table_select, \
     HAS_PERMS_BY_NAME(@P1, N'OBJECT', N'INSERT') AS table_insert, \
     HAS_PERMS_BY_NAME(@P1, N'OBJECT', N'UPDATE') AS table_update, \
     HAS_PERMS_BY_NAME(@P1, N'OBJECT', N'DELETE') AS table_delete, \
     HAS_PERMS_BY_NAME(@P2, N'OBJECT', N'INSERT') AS audit_insert, \
     HAS_PERMS_BY_NAME(@P2, N'OBJECT', N'UPDATE') AS audit_update, \
     HAS_PERMS_BY_NAME(NULL, NULL, N'CREATE TABLE') AS create_table, \
     HAS_PERMS_BY_NAME(@P3, N'SCHEMA', N'ALTER') AS alter_schema";

/// The table's indexes (`@P1`): unique or not, key columns in order.
pub(super) const KEYS_QUERY: &str = "SELECT i.is_unique, \
     STRING_AGG(CAST(c.name AS NVARCHAR(MAX)), N',') WITHIN GROUP (ORDER BY ic.key_ordinal) AS key_columns \
     FROM sys.indexes AS i \
     JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id \
     JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id \
     WHERE i.object_id = OBJECT_ID(@P1, N'U') AND ic.key_ordinal > 0 \
     GROUP BY i.index_id, i.is_unique";

/// What the load needs of the table's indexes, given (unique, key columns)
/// of each: the batch key unique (append relies on it) and an index led by
/// (order_id, item_id) (every MERGE joins on it). Returns what is missing.
pub(super) fn missing_keys(indexes: &[(bool, String)]) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !indexes
        .iter()
        .any(|(unique, columns)| *unique && columns == "etl_batch_id,order_id,item_id")
    {
        missing.push("UNIQUE (etl_batch_id, order_id, item_id)");
    }
    if !indexes
        .iter()
        .any(|(_, columns)| columns.starts_with("order_id,item_id"))
    {
        missing.push("an index on (order_id, item_id)");
    }
    missing
}

/// The answers of [`PERMISSIONS_QUERY`] (1 yes, 0 no, none: no such
/// object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Rights {
    pub table: [Option<i32>; 4],
    pub audit: [Option<i32>; 2],
    pub create_table: Option<i32>,
    pub alter_schema: Option<i32>,
}

/// What the login lacks, in words (nothing: it may load).
pub(super) fn lacking(rights: &Rights, table_exists: bool, create_table: bool) -> Vec<String> {
    let yes = |v: Option<i32>| v == Some(1);
    let mut lacking = Vec::new();
    if table_exists {
        for (right, value) in ["SELECT", "INSERT", "UPDATE", "DELETE"]
            .iter()
            .zip(rights.table)
        {
            if !yes(value) {
                lacking.push(format!("{right} on the table"));
            }
        }
    }
    match rights.audit {
        [None, _] if !create_table => lacking.push(
            "the audit table etl_load_audit (apply sql/staging/create_etl_load_audit_table.sql, or pass \
             --create-table)"
                .to_owned(),
        ),
        [None, _] => {}
        [insert, update] => {
            if !yes(insert) || !yes(update) {
                lacking.push("INSERT and UPDATE on etl_load_audit".to_owned());
            }
        }
    }
    if create_table && (!yes(rights.create_table) || !yes(rights.alter_schema)) {
        lacking.push(
            "CREATE TABLE in the database and ALTER on the schema (for --create-table)".to_owned(),
        );
    }
    lacking
}

pub(crate) async fn check(
    target: &SqlServerTarget,
    table: &TableName,
    create_table: bool,
) -> Result<String, LoadError> {
    let shown = target.display();
    let mut client = connect(target).await?;
    let quoted = sql::quoted(table);
    let actual = columns(&mut client, &quoted, shown).await?;
    if actual.is_empty() && !create_table {
        return Err(table::missing(&table.to_string()));
    }
    if !actual.is_empty() {
        let differences = table::differences(&sql::expected_columns(), &actual);
        if !differences.is_empty() {
            return Err(table::mismatch(&table.to_string(), &differences));
        }
        let missing = missing_keys(&indexes(&mut client, &quoted, shown).await?);
        if !missing.is_empty() {
            return Err(LoadError::Table(format!(
                "table {table} lacks {}: apply the index section of \
                 sql/staging/create_tiktok_shop_orders_table.sql",
                missing.join(" and ")
            )));
        }
    }
    let rights = rights(&mut client, table, shown).await?;
    let _ = client.close().await;
    let lacking = lacking(&rights, !actual.is_empty(), create_table);
    if !lacking.is_empty() {
        return Err(LoadError::Table(format!(
            "SQL Server {shown}: the login cannot load into {table}; it lacks {}. See \
             sql/02_create_etl_login.sql",
            lacking.join(", ")
        )));
    }
    Ok(if actual.is_empty() {
        format!(
            "SQL Server {shown}: no table {table} yet; --create-table creates it (and the login may)"
        )
    } else {
        format!(
            "SQL Server {shown}: table {table} matches the staged schema, has its keys, and the login may load it"
        )
    })
}

async fn indexes(
    client: &mut Connection,
    quoted: &str,
    shown: &str,
) -> Result<Vec<(bool, String)>, LoadError> {
    let on = |e| database_error("read the table's indexes", shown, e);
    let rows = client
        .query(KEYS_QUERY, &[&quoted])
        .await
        .map_err(on)?
        .into_first_result()
        .await
        .map_err(on)?;
    rows.iter()
        .map(|row| {
            let unique: Option<bool> = row.try_get(0)?;
            let columns: Option<&str> = row.try_get(1)?;
            Ok((
                unique.unwrap_or(false),
                columns.unwrap_or_default().to_owned(),
            ))
        })
        .collect::<Result<_, tiberius::error::Error>>()
        .map_err(on)
}

async fn rights(
    client: &mut Connection,
    table: &TableName,
    shown: &str,
) -> Result<Rights, LoadError> {
    let on = |e| database_error("read the login's permissions", shown, e);
    let (quoted, audit) = (sql::quoted(table), super::audit::table(table));
    let schema = table.schema.clone().unwrap_or_else(|| "dbo".to_owned());
    let row = client
        .query(
            PERMISSIONS_QUERY,
            &[&quoted.as_str(), &audit.as_str(), &schema.as_str()],
        )
        .await
        .map_err(on)?
        .into_row()
        .await
        .map_err(on)?;
    let Some(row) = row else {
        return Ok(Rights::default());
    };
    let get = |i: usize| row.try_get::<i32, _>(i);
    Ok(Rights {
        table: [
            get(0).map_err(on)?,
            get(1).map_err(on)?,
            get(2).map_err(on)?,
            get(3).map_err(on)?,
        ],
        audit: [get(4).map_err(on)?, get(5).map_err(on)?],
        create_table: get(6).map_err(on)?,
        alter_schema: get(7).map_err(on)?,
    })
}
