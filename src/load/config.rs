//! What to load and where, parsed and checked once at start-up, before any
//! data moves.

use super::error::LoadError;
use super::input::DEFAULT_BATCH_ROWS;
use super::table::TableName;
use super::target::Target;
use crate::manifest::LoadMode;

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub target: Target,
    pub table: TableName,
    pub mode: LoadMode,
    /// Create the table when it is missing (SQLite does so anyway).
    pub create_table: bool,
    /// Let `replace` empty the table when the run staged no rows.
    pub allow_empty_replace: bool,
    /// Rows per batch read from the staged files and sent on
    /// (`ETL_BATCH_SIZE`).
    pub batch_rows: usize,
}

impl LoadConfig {
    /// Checks that `table` can live in `target` (SQLite tables have no schema).
    pub fn new(
        target: Target,
        table: TableName,
        mode: LoadMode,
        create_table: bool,
    ) -> Result<LoadConfig, LoadError> {
        if let (Target::Sqlite(_), Some(_)) = (&target, &table.schema) {
            return Err(LoadError::Target(format!(
                "--table {table}: SQLite tables have no schema; use --table {}",
                table.name
            )));
        }
        Ok(LoadConfig {
            target,
            table,
            mode,
            create_table,
            allow_empty_replace: false,
            batch_rows: DEFAULT_BATCH_ROWS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_tables_have_no_schema() {
        let target = || Target::parse_with("sqlite://x.db", || Ok(None)).unwrap();
        let plain = TableName::parse("orders").unwrap();
        assert!(LoadConfig::new(target(), plain, LoadMode::Merge, false).is_ok());
        let qualified = TableName::parse("dbo.orders").unwrap();
        let err = LoadConfig::new(target(), qualified, LoadMode::Merge, false).unwrap_err();
        assert!(err.to_string().contains("use --table orders"), "{err}");
    }
}
