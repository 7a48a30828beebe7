-- The ETL's own login, tiktok_etl: it may read and write rows of the staging
-- tables (schema dbo of Facolos_Staging, as in the old system) and nothing
-- else: no DDL, no other database, no server role. The load never runs as sa.
-- What a load does needs no more than this: it checks the table through
-- sys.columns and sys.indexes (visible to a user with SELECT on it), writes
-- its row in dbo.etl_load_audit (INSERT, UPDATE), bulk loads into a #temp
-- table made with SELECT TOP (0) … INTO (temp tables need no grant), takes
-- an application lock (sp_getapplock: public), and MERGEs or DELETEs in the
-- table. `tiktok-etl check` asks the server (HAS_PERMS_BY_NAME) whether the
-- login has each of these and says which is missing.
--
-- `load --create-table` needs more: CREATE TABLE in the database, ALTER on
-- the schema (to create the table, its indexes and etl_load_audit in dbo)
-- and CREATE VIEW (the quantities view). In this stack sql/staging/ creates
-- the tables instead, so those are not granted; to let the ETL create its
-- own tables, a DBA would add:
--   GRANT CREATE TABLE, CREATE VIEW TO tiktok_etl;
--   GRANT ALTER ON SCHEMA::dbo TO tiktok_etl;
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
