-- The staging database of the TikTok Shop orders ETL, in SQL Server, set up
-- as a DBA would for a staging database.
--
-- Applied first, as sa, by docker-compose at start (sqlcmd -C -S localhost
-- -U sa -i sql/01_create_database.sql); safe to re-run: each step does
-- nothing when it is done already. The tables live in dbo, as in the old
-- system (Facolos_Staging.dbo.tiktok_shop_orders): sql/staging/ creates them
-- and must run in this database (sqlcmd -d Facolos_Staging).
--
-- * READ_COMMITTED_SNAPSHOT ON: readers (reports, the quantities view) read
--   the last committed version of a row instead of waiting behind the load's
--   MERGE, and never block it; the load itself takes its locks as before
--   (MERGE ... WITH (HOLDLOCK), an application lock per table).
-- * RECOVERY SIMPLE: staging is rebuilt from the store's Parquet files (any
--   run can be loaded again), so point-in-time restore is not worth the log
--   backups FULL recovery would need to keep the log from growing. Use FULL
--   only with log backups in place.
-- * Files: left to the server's defaults (model); size them for the data
--   (about 1.5 KiB per line item with indexes) on a real server.
IF DB_ID(N'Facolos_Staging') IS NULL
    CREATE DATABASE Facolos_Staging;
GO

IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'Facolos_Staging' AND is_read_committed_snapshot_on = 0)
    -- Needs the database to itself for a moment: open transactions are rolled back.
    ALTER DATABASE Facolos_Staging SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;
GO

IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'Facolos_Staging' AND recovery_model_desc <> N'SIMPLE')
    ALTER DATABASE Facolos_Staging SET RECOVERY SIMPLE;
GO
