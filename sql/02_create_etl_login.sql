-- The ETL's own login, tiktok_etl: it may read and write rows of the staging
-- tables (schema dbo of Facolos_Staging, as in the old system) and nothing
-- else: no DDL, no other database, no server role. The load never runs as sa.
-- What the load does needs no more than this: it checks the table through
-- sys.columns (visible to a user with SELECT on it), bulk loads into a #temp
-- table made with SELECT TOP (0) … INTO (temp tables need no grant), and
-- MERGEs or DELETEs in the table. Only `load --create-table` would need
-- CREATE TABLE, and in this stack sql/staging/ creates the table instead.
--
-- Applied as sa by the sqlserver-init service of docker-compose.yml after
-- 01_create_database.sql, at every start; safe to re-run (a changed password
-- is applied). sqlcmd fills $(ETL_DB_PASSWORD) from the environment:
--   ETL_DB_PASSWORD='…' sqlcmd -C -S localhost -U sa -i sql/02_create_etl_login.sql
-- The password must not contain a single quote.

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

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'tiktok_etl')
    CREATE USER tiktok_etl FOR LOGIN tiktok_etl WITH DEFAULT_SCHEMA = dbo;
GO

GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA::dbo TO tiktok_etl;
GO
