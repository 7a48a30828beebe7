//! The load's row in `etl_load_audit` on SQL Server (`load/audit.rs` says
//! what it holds): the statements, the `started` insert before the load,
//! and the `failed` update after a rollback (on a new connection when the
//! load's broke). The `succeeded` update is part of `sql::apply`, inside the
//! load's transaction.

use super::super::audit::{self, error_text};
use super::super::error::LoadError;
use super::super::job::Job;
use super::super::table::TableName;
use super::connect::{Connection, connect};
use super::errors::database_error;
use super::target::SqlServerTarget;

pub(super) const DDL: &str = include_str!("../../../sql/staging/create_etl_load_audit_table.sql");
const DDL_TABLE: &str = "dbo.etl_load_audit";

/// `[schema].[etl_load_audit]`, beside the staging table.
pub(super) fn table(table: &TableName) -> String {
    format!(
        "[{}].[{}]",
        table.schema.as_deref().unwrap_or("dbo"),
        audit::TABLE
    )
}

/// The audit DDL of `sql/` for the staging table's schema.
pub(super) fn create(table: &TableName) -> String {
    DDL.replace(DDL_TABLE, &self::table(table))
}

/// Writes the `started` row (`@P1` run id, `@P2` mode, `@P3` table, `@P4`
/// started at) and returns its id.
pub(super) fn insert_started(table: &TableName) -> String {
    format!(
        "INSERT INTO {} (run_id, load_mode, target_table, started_at, outcome) OUTPUT inserted.load_id \
         VALUES (@P1, @P2, @P3, @P4, N'started');",
        self::table(table)
    )
}

/// Marks row `@P1` failed with the error text `@P2`.
pub(super) fn set_failed(table: &TableName) -> String {
    format!(
        "UPDATE {} SET outcome = N'failed', finished_at = SYSUTCDATETIME(), error_text = @P2 WHERE load_id = @P1;",
        self::table(table)
    )
}

pub(super) async fn start(
    client: &mut Connection,
    job: &Job,
    shown: &str,
) -> Result<i64, LoadError> {
    let on = |e| {
        database_error(
            "write the load audit row (apply sql/staging/create_etl_load_audit_table.sql, or pass --create-table)",
            shown,
            e,
        )
    };
    let (mode, table) = (job.mode.to_string(), job.table.to_string());
    let row = client
        .query(
            insert_started(&job.table),
            &[
                &job.run_id.as_str(),
                &mode.as_str(),
                &table.as_str(),
                &job.load_time,
            ],
        )
        .await
        .map_err(on)?
        .into_row()
        .await
        .map_err(on)?;
    let id: Option<i64> = row
        .as_ref()
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(on)?
        .flatten();
    id.ok_or_else(|| {
        LoadError::task(&format!(
            "SQL Server {shown}: the audit insert returned no id"
        ))
    })
}

/// Records the failure in the audit row: on the load's connection, or on a
/// new one when that broke. Never raises: the load's error is the one to
/// report.
pub(super) async fn record_failure(
    mut client: Connection,
    target: &SqlServerTarget,
    job: &Job,
    audit_id: i64,
    error: &LoadError,
) {
    let text = error_text(error);
    let statement = set_failed(&job.table);
    let shown = target.display();
    let first = client
        .execute(statement.as_str(), &[&audit_id, &text.as_str()])
        .await;
    if first.is_ok() {
        let _ = client.close().await;
        return;
    }
    let second = match connect(target).await {
        Ok(mut fresh) => fresh
            .execute(statement.as_str(), &[&audit_id, &text.as_str()])
            .await
            .map(drop)
            .map_err(|e| database_error("record the failed load", shown, e)),
        Err(e) => Err(e),
    };
    if let Err(e) = second {
        tracing::warn!(error = %error_text(&e), audit_id, "cannot record the failed load in etl_load_audit");
    }
}
