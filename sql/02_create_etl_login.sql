-- The ETL's own login, tiktok_etl: it may read and write rows of the staging
-- schema and nothing else (no DDL, no other schema, no server roles), so the
-- load never runs as sa. The load's MERGE goes through a #temp table, which
-- needs no grant.
--
-- Applied by the sqlserver-init service of docker-compose.yml after
-- 01_create_database.sql, on every start (idempotent: a changed password is
-- applied). sqlcmd fills $(ETL_DB_PASSWORD) from the environment:
--   ETL_DB_PASSWORD='...' sqlcmd -C -S localhost -U sa -i sql/02_create_etl_login.sql
--
-- The staging schema is `staging` when 01_create_database.sql made one,
-- otherwise `dbo` (the old system's Facolos_Staging.dbo.tiktok_shop_orders).

USE master;
GO

IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'tiktok_etl')
    CREATE LOGIN tiktok_etl
        WITH PASSWORD = N'$(ETL_DB_PASSWORD)',
             DEFAULT_DATABASE = Facolos_Staging,
             CHECK_POLICY = ON,
             CHECK_EXPIRATION = OFF;
ELSE
    ALTER LOGIN tiktok_etl WITH PASSWORD = N'$(ETL_DB_PASSWORD)';
GO

USE Facolos_Staging;
GO

DECLARE @schema sysname = CASE WHEN SCHEMA_ID(N'staging') IS NOT NULL THEN N'staging' ELSE N'dbo' END;
DECLARE @sql nvarchar(max);

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'tiktok_etl')
    SET @sql = N'CREATE USER tiktok_etl FOR LOGIN tiktok_etl WITH DEFAULT_SCHEMA = ' + QUOTENAME(@schema) + N';';
ELSE
    SET @sql = N'ALTER USER tiktok_etl WITH DEFAULT_SCHEMA = ' + QUOTENAME(@schema) + N';';
EXEC sys.sp_executesql @sql;

SET @sql = N'GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA::' + QUOTENAME(@schema) + N' TO tiktok_etl;';
EXEC sys.sp_executesql @sql;

PRINT N'tiktok_etl may SELECT, INSERT, UPDATE, DELETE in schema ' + @schema + N' of Facolos_Staging';
GO
