//! The staging table: its name, the columns it must have, and what differs
//! when it has others.
//!
//! The columns are the staged ones ([`COLUMNS`], same names, same order) plus
//! the two the load sets, [`CREATED_AT`] and [`UPDATED_AT`]. Each backend
//! names the SQL type of a column its own way; the comparison is the one
//! every schema check uses ([`diff`]), so both report a mismatch the same
//! way.

use super::error::LoadError;
use crate::schema::diff::{self, Column as Declared};
use crate::schema::staged::{COLUMNS, Kind};

/// When the row was first inserted (UTC, set by the load).
pub(crate) const CREATED_AT: &str = "etl_created_at";
/// When the row last changed (UTC, set by the load).
pub(crate) const UPDATED_AT: &str = "etl_updated_at";

/// `--table`: `name` or, for SQL Server, `schema.name`. Both parts are plain
/// identifiers (letters, digits, `_`), so they can be quoted safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
}

impl TableName {
    pub fn parse(raw: &str) -> Result<TableName, LoadError> {
        let bad = || {
            LoadError::Target(format!(
                "--table {raw:?} is not a table name: use name or schema.name made of letters, digits and _"
            ))
        };
        let parts: Vec<&str> = raw.split('.').collect();
        if parts.len() > 2 || !parts.iter().all(|p| is_identifier(p)) {
            return Err(bad());
        }
        let (schema, name) = match parts[..] {
            [schema, name] => (Some(schema.to_owned()), name.to_owned()),
            [name] => (None, name.to_owned()),
            _ => return Err(bad()),
        };
        Ok(TableName { schema, name })
    }
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

fn is_identifier(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What a table column holds, as far as the load cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    Staged(Kind),
    /// `etl_created_at` / `etl_updated_at`: a UTC time, never null.
    LoadTime,
}

/// Every column of the table, in order, typed by `sql_type`.
pub(crate) fn expected(sql_type: impl Fn(ColumnType) -> String) -> Vec<Declared> {
    let staged = COLUMNS.iter().map(|c| Declared {
        name: c.name.to_owned(),
        type_name: sql_type(ColumnType::Staged(c.kind)),
        nullable: !c.required,
    });
    let load_times = [CREATED_AT, UPDATED_AT].map(|name| Declared {
        name: name.to_owned(),
        type_name: sql_type(ColumnType::LoadTime),
        nullable: false,
    });
    staged.chain(load_times).collect()
}

/// What differs between the table's columns and the ones a load needs.
pub(crate) fn differences(expected: &[Declared], actual: &[Declared]) -> Vec<String> {
    diff::differences(expected, actual, diff::Rules::SQL)
}

/// The error for a table that exists but differs.
pub(crate) fn mismatch(table: &str, differences: &[String]) -> LoadError {
    LoadError::Table(format!(
        "table {table} does not match the staged schema: {}. The load never alters a table: fix it to match \
         sql/staging/create_tiktok_shop_orders_table.sql (or drop it and let the load create it)",
        differences.join("; ")
    ))
}

/// The error for a missing table the load may not create.
pub(crate) fn missing(table: &str) -> LoadError {
    LoadError::Table(format!(
        "table {table} does not exist (or this login cannot see it); apply \
         sql/staging/create_tiktok_shop_orders_table.sql or pass --create-table"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        assert_eq!(
            TableName::parse("tiktok_shop_orders").unwrap().to_string(),
            "tiktok_shop_orders"
        );
        let qualified = TableName::parse("dbo.orders_2").unwrap();
        assert_eq!(
            (qualified.schema.as_deref(), qualified.name.as_str()),
            (Some("dbo"), "orders_2")
        );
        for bad in [
            "",
            "a.b.c",
            "x;drop table y",
            "[dbo].[t]",
            "1abc",
            "a b",
            "a.",
        ] {
            assert!(TableName::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn expected_columns_are_the_staged_ones_then_the_load_times() {
        let cols = expected(|t| format!("{t:?}"));
        assert_eq!(cols.len(), COLUMNS.len() + 2);
        assert_eq!(cols[0].name, "etl_batch_id");
        assert!(!cols[0].nullable);
        assert_eq!(cols[cols.len() - 2].name, CREATED_AT);
        assert_eq!(cols[cols.len() - 1].type_name, "LoadTime");
    }
}
