//! The SQL Server target (production), through tiberius.
//!
//! One connection, set up by [`sql::session`] (XACT_ABORT, LOCK_TIMEOUT):
//! check the table (or create it and the audit table with `--create-table`),
//! write the audit row, bulk load each staged batch over TDS into a session
//! temp table as it arrives (no row-by-row INSERTs, no 2,100-parameter cap,
//! nothing held in this process), refuse a duplicate key, then one batch
//! changes the table in a transaction under an application lock
//! (`sql::apply`). The temp table is private to the session, so loading it
//! outside the transaction keeps the transaction short without giving up
//! all-or-nothing for the table.

mod ado;
mod audit;
mod batch;
mod browser;
mod check;
mod connect;
mod errors;
mod options;
mod sql;
#[cfg(test)]
mod statement_tests;
pub(super) mod target;
#[cfg(test)]
mod target_tests;
#[cfg(test)]
mod tests;
mod values;
#[cfg(test)]
mod wire_tests;

use super::columns::StagedColumns;
use super::error::LoadError;
use super::input::{Progress, StagedRows};
use super::job::{Counts, Job};
use super::table;
use crate::manifest::LoadMode;
use batch::{columns, run_batch};
use connect::{Connection, connect};
use errors::database_error;
use target::SqlServerTarget;

pub(super) use check::check;

pub(super) async fn load(
    target: &SqlServerTarget,
    job: &Job,
    mut rows: StagedRows,
) -> Result<Counts, LoadError> {
    let shown = target.display();
    let mut client = connect(target).await?;
    run_batch(&mut client, &sql::session(), "set up the session", shown).await?;
    prepare_tables(&mut client, job, shown).await?;
    let audit_id = audit::start(&mut client, job, shown).await?;
    match stage_and_apply(&mut client, job, &mut rows, audit_id, shown).await {
        Ok(counts) => {
            let _ = client.close().await;
            Ok(counts)
        }
        Err(e) => {
            // XACT_ABORT has rolled back already unless the connection broke;
            // this is for the cases in between.
            let _ = run_batch(&mut client, sql::ROLLBACK, "roll back", shown).await;
            audit::record_failure(client, target, job, audit_id, &e).await;
            Err(e)
        }
    }
}

async fn stage_and_apply(
    client: &mut Connection,
    job: &Job,
    rows: &mut StagedRows,
    audit_id: i64,
    shown: &str,
) -> Result<Counts, LoadError> {
    let create_staged = sql::create_staged(&job.table);
    run_batch(client, &create_staged, "create the staging area", shown).await?;
    let staged = bulk_load(client, rows, shown).await?;
    refuse_duplicates(client, shown).await?;
    run_batch(client, sql::INDEX_STAGED, "index the staged rows", shown).await?;
    if job.mode == LoadMode::Replace && staged == 0 && !job.allow_empty_replace {
        return Err(LoadError::Input(Counts::empty_replace_refused(&job.table)));
    }
    let counts = apply(client, job, audit_id, shown).await?;
    if counts.staged != staged {
        return Err(LoadError::task(&format!(
            "SQL Server {shown}: {staged} rows were bulk loaded but the temp table holds {}",
            counts.staged
        )));
    }
    Ok(counts)
}

/// Checks the table against the staged schema; creates it (and the audit
/// table) when missing only with `--create-table`.
async fn prepare_tables(client: &mut Connection, job: &Job, shown: &str) -> Result<(), LoadError> {
    let quoted = sql::quoted(&job.table);
    let actual = columns(client, &quoted, shown).await?;
    if job.create_table {
        let audit = audit::create(&job.table);
        run_batch(client, &audit, "create the audit table", shown).await?;
    }
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

/// Sends each staged batch through its own TDS bulk load as it arrives;
/// returns how many rows the server took.
async fn bulk_load(
    client: &mut Connection,
    rows: &mut StagedRows,
    shown: &str,
) -> Result<u64, LoadError> {
    let on = |e| database_error("bulk load the staged rows", shown, e);
    let mut progress = Progress::new();
    while let Some(batch) = rows.next().await? {
        let staged = StagedColumns::new(&batch)?;
        let mut request = client.bulk_insert(sql::STAGED).await.map_err(on)?;
        for row in 0..staged.rows {
            request.send(values::row(&staged, row)?).await.map_err(on)?;
        }
        let taken = request.finalize().await.map_err(on)?.total();
        if taken != staged.rows as u64 {
            return Err(LoadError::task(&format!(
                "SQL Server {shown}: a bulk load of {} rows reported {taken} rows written",
                staged.rows
            )));
        }
        progress.add(staged.rows);
    }
    progress.log("rows staged");
    Ok(progress.rows)
}

/// Fails with the same message as the other targets when a key was staged
/// twice.
async fn refuse_duplicates(client: &mut Connection, shown: &str) -> Result<(), LoadError> {
    let on = |e| database_error("check the staged keys", shown, e);
    let row = client
        .simple_query(sql::DUPLICATE_QUERY)
        .await
        .map_err(on)?
        .into_row()
        .await
        .map_err(on)?;
    let Some(row) = row else { return Ok(()) };
    let order: Option<&str> = row.try_get(0).map_err(on)?;
    let item: Option<&str> = row.try_get(1).map_err(on)?;
    Err(LoadError::Input(format!(
        "the staged rows hold order_id={}, item_id={} more than once; (order_id, item_id) must be unique: \
         re-run transform for this run id",
        order.unwrap_or("NULL"),
        item.unwrap_or("NULL")
    )))
}

async fn apply(
    client: &mut Connection,
    job: &Job,
    audit_id: i64,
    shown: &str,
) -> Result<Counts, LoadError> {
    let on = |e| database_error("apply the staged rows", shown, e);
    let statement = sql::apply(job.mode, &job.table, job.allow_empty_replace);
    let results = client
        .query(
            statement,
            &[&job.load_time, &job.run_id.as_str(), &audit_id],
        )
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
        staged: count("staged")?,
        inserted: count("inserted")?,
        updated: count("updated")?,
        unchanged: count("unchanged")?,
        deleted: count("deleted")?,
    })
}
