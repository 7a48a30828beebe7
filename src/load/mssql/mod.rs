//! The SQL Server target (production), through tiberius.
//!
//! One connection: check the table (or create it with `--create-table`),
//! bulk load the staged rows over TDS into a session temp table (no
//! row-by-row INSERTs, no 2,100-parameter cap), then one batch changes the
//! table in a transaction (`sql::apply`). The temp table is private to the
//! session, so loading it outside the transaction keeps the transaction
//! short without giving up all-or-nothing for the table.

mod errors;
mod sql;
pub(super) mod target;
#[cfg(test)]
mod tests;
mod values;

use std::time::Duration;

use tiberius::Client;
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use super::columns::StagedColumns;
use super::error::LoadError;
use super::input::{Progress, StagedRows};
use super::job::{Counts, Job};
use super::table::{self, TableName};
use crate::schema::diff::Column as Declared;
use errors::database_error;
use target::SqlServerTarget;

type Connection = Client<Compat<TcpStream>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) async fn load(
    target: &SqlServerTarget,
    job: &Job,
    mut rows: StagedRows,
) -> Result<Counts, LoadError> {
    let shown = target.display();
    let mut client = connect(target).await?;
    prepare_table(&mut client, job, shown).await?;
    let create_staged = sql::create_staged(&job.table);
    run_batch(
        &mut client,
        &create_staged,
        "create the staging area",
        shown,
    )
    .await?;
    let staged = bulk_load(&mut client, &mut rows, shown).await?;
    run_batch(
        &mut client,
        sql::INDEX_STAGED,
        "index the staged rows",
        shown,
    )
    .await?;
    let counts = match apply(&mut client, job, shown).await {
        Ok(counts) => counts,
        Err(e) => {
            // XACT_ABORT has rolled back already unless the connection broke;
            // this is for the cases in between.
            let _ = run_batch(&mut client, sql::ROLLBACK, "roll back", shown).await;
            return Err(e);
        }
    };
    let _ = client.close().await;
    Ok(Counts { staged, ..counts })
}

/// [`super::check`] for SQL Server: logs in and reads the table's columns.
pub(super) async fn check(
    target: &SqlServerTarget,
    table: &TableName,
    create_table: bool,
) -> Result<String, LoadError> {
    let shown = target.display();
    let mut client = connect(target).await?;
    let actual = columns(&mut client, &sql::quoted(table), shown).await?;
    let _ = client.close().await;
    if actual.is_empty() {
        if create_table {
            return Ok(format!(
                "SQL Server {shown}: no table {table} yet; --create-table creates it"
            ));
        }
        return Err(table::missing(&table.to_string()));
    }
    let differences = table::differences(&sql::expected_columns(), &actual);
    if !differences.is_empty() {
        return Err(table::mismatch(&table.to_string(), &differences));
    }
    Ok(format!(
        "SQL Server {shown}: table {table} matches the staged schema"
    ))
}

async fn connect(target: &SqlServerTarget) -> Result<Connection, LoadError> {
    let shown = target.display();
    let mut config = target.config().clone();
    // Azure SQL may redirect the login to another node, once.
    for _ in 0..2 {
        let address = config.get_addr();
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&address))
            .await
            .map_err(|_| {
                LoadError::Unavailable(format!(
                    "SQL Server {shown}: no answer from {address} in {CONNECT_TIMEOUT:?}"
                ))
            })?
            .map_err(|e| {
                LoadError::Unavailable(format!(
                    "SQL Server {shown}: cannot connect to {address}: {e}"
                ))
            })?;
        let _ = tcp.set_nodelay(true);
        let login = tokio::time::timeout(
            CONNECT_TIMEOUT,
            Client::connect(config.clone(), tcp.compat_write()),
        )
        .await
        .map_err(|_| {
            LoadError::Unavailable(format!(
                "SQL Server {shown}: the login did not finish in {CONNECT_TIMEOUT:?}"
            ))
        })?;
        match login {
            Ok(client) => return Ok(client),
            Err(tiberius::error::Error::Routing { host, port }) => {
                config.host(&host);
                config.port(port);
            }
            Err(e) => return Err(database_error("log in", shown, e)),
        }
    }
    Err(LoadError::Unavailable(format!(
        "SQL Server {shown}: the login was redirected more than once"
    )))
}

/// Checks the table against the staged schema; creates it when missing only
/// with `--create-table`.
async fn prepare_table(client: &mut Connection, job: &Job, shown: &str) -> Result<(), LoadError> {
    let quoted = sql::quoted(&job.table);
    let actual = columns(client, &quoted, shown).await?;
    if actual.is_empty() {
        if !job.create_table {
            return Err(table::missing(&job.table.to_string()));
        }
        tracing::info!(table = %job.table, "creating the table (--create-table)");
        let create = sql::create_table(&job.table);
        run_batch(client, &create, "create the table", shown).await?;
        if let Some(view) = sql::create_view(&job.table) {
            run_batch(client, view, "create the quantities view", shown).await?;
        }
        return Ok(());
    }
    let differences = table::differences(&sql::expected_columns(), &actual);
    if differences.is_empty() {
        Ok(())
    } else {
        Err(table::mismatch(&job.table.to_string(), &differences))
    }
}

/// Runs a batch whose results the load does not read (a SQL batch, not
/// sp_executesql, so a #temp table it creates outlives it).
async fn run_batch(
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

async fn columns(
    client: &mut Connection,
    quoted: &str,
    shown: &str,
) -> Result<Vec<Declared>, LoadError> {
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
            let sql_type = sql::declared_type(type_name, max_length, precision, scale);
            Ok(Declared {
                name: name.to_owned(),
                type_name: sql_type,
                nullable,
            })
        })
        .collect::<Result<_, tiberius::error::Error>>()
        .map_err(on)
}

/// Sends every staged row through one TDS bulk load; returns how many.
async fn bulk_load(
    client: &mut Connection,
    rows: &mut StagedRows,
    shown: &str,
) -> Result<u64, LoadError> {
    let on = |e| database_error("bulk load the staged rows", shown, e);
    let mut request = client.bulk_insert(sql::STAGED).await.map_err(on)?;
    let mut progress = Progress::new();
    while let Some(batch) = rows.next().await? {
        let staged = StagedColumns::new(&batch)?;
        for row in 0..staged.rows {
            request.send(values::row(&staged, row)?).await.map_err(on)?;
        }
        progress.add(staged.rows);
    }
    request.finalize().await.map_err(on)?;
    progress.log("rows staged");
    Ok(progress.rows)
}

async fn apply(client: &mut Connection, job: &Job, shown: &str) -> Result<Counts, LoadError> {
    let on = |e| database_error("apply the staged rows", shown, e);
    let statement = sql::apply(job.mode, &job.table);
    let results = client
        .query(statement, &[&job.load_time, &job.run_id.as_str()])
        .await
        .map_err(on)?
        .into_results()
        .await
        .map_err(on)?;
    let row = results.iter().flatten().next().ok_or_else(|| {
        LoadError::task(&format!(
            "SQL Server {shown}: the load batch returned no counts"
        ))
    })?;
    let count = |name: &str| -> Result<u64, LoadError> {
        let value: Option<i64> = row.try_get(name).map_err(on)?;
        Ok(value.unwrap_or_default().max(0) as u64)
    };
    Ok(Counts {
        staged: 0,
        inserted: count("inserted")?,
        updated: count("updated")?,
        deleted: count("deleted")?,
    })
}
