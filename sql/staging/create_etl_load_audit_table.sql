-- The load audit of the TikTok Shop orders ETL: one row per load attempt.
--
-- Written by the load (src/load/audit.rs): a row with outcome 'started' in
-- its own short transaction when a load starts; set to 'succeeded', with the
-- counts, in the load's own transaction (so the row and the data commit
-- together); set to 'failed', with the error, after a rollback. A row still
-- 'started' with no finished_at is a load that is running or died (killed,
-- machine lost): its data transaction never committed, the table is as it
-- was. error_text never holds a password or a row value.
--
-- Lives beside the staging table (same schema). Applied by docker-compose's
-- sqlserver-init with the rest of sql/staging/ (sqlcmd -d Facolos_Staging -i
-- <this file>); `load --create-table` runs this same text. Safe to re-run.
IF OBJECT_ID(N'dbo.etl_load_audit', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.etl_load_audit (
        load_id        BIGINT IDENTITY(1,1) NOT NULL,
        run_id         NVARCHAR(255)  NOT NULL,
        load_mode      NVARCHAR(16)   NOT NULL,
        target_table   NVARCHAR(300)  NOT NULL,
        rows_staged    BIGINT         NULL,
        rows_inserted  BIGINT         NULL,
        rows_updated   BIGINT         NULL,
        rows_unchanged BIGINT         NULL,
        rows_deleted   BIGINT         NULL,
        started_at     DATETIME2(3)   NOT NULL,
        finished_at    DATETIME2(3)   NULL,
        outcome        NVARCHAR(16)   NOT NULL,
        error_text     NVARCHAR(4000) NULL,
        CONSTRAINT pk_etl_load_audit PRIMARY KEY CLUSTERED (load_id)
    );
    CREATE INDEX ix_etl_load_audit_run ON dbo.etl_load_audit (run_id, started_at);
END;
