//! The two plain exchanges every step of a SQL Server load uses: a batch
//! whose results are not read, and the table's columns. Their own file so
//! that `check.rs` and `mod.rs` share them without importing each other.

use super::super::error::LoadError;
use super::connect::Connection;
use super::errors::database_error;
use super::sql;

/// Runs a batch whose results the load does not read (a SQL batch, not
/// sp_executesql, so a #temp table it creates outlives it).
pub(super) async fn run_batch(
    client: &mut Connection,
    text: &str,
    what: &str,
    shown: &str,
) -> Result<(), LoadError> {
    let on = |e| database_error(what, shown, e);
    client
        .simple_query(text)
        .await
        .map_err(on)?
        .into_results()
        .await
        .map_err(on)?;
    Ok(())
}

pub(super) async fn columns(
    client: &mut Connection,
    quoted: &str,
    shown: &str,
) -> Result<Vec<crate::schema::diff::Column>, LoadError> {
    let on = |e| database_error("read the table's columns", shown, e);
    let rows = client
        .query(sql::COLUMNS_QUERY, &[&quoted])
        .await
        .map_err(on)?
        .into_first_result()
        .await
        .map_err(on)?;
    rows.iter()
        .map(|row| {
            let name: &str = row.try_get(0)?.unwrap_or_default();
            let type_name: &str = row.try_get(1)?.unwrap_or_default();
            let max_length: i16 = row.try_get(2)?.unwrap_or_default();
            let precision: u8 = row.try_get(3)?.unwrap_or_default();
            let scale: u8 = row.try_get(4)?.unwrap_or_default();
            let nullable: bool = row.try_get(5)?.unwrap_or_default();
            Ok(crate::schema::diff::Column {
                name: name.to_owned(),
                type_name: sql::declared_type(type_name, max_length, precision, scale),
                nullable,
            })
        })
        .collect::<Result<_, tiberius::error::Error>>()
        .map_err(on)
}
