-- The staging database of the TikTok Shop orders ETL, in SQL Server.
--
-- Applied first, as sa, by docker-compose at start (sqlcmd -C -S localhost
-- -U sa -i sql/01_create_database.sql); safe to re-run: it does nothing when
-- the database exists. The tables live in dbo, as in the old system
-- (Facolos_Staging.dbo.tiktok_shop_orders): sql/staging/ creates them and
-- must run in this database (sqlcmd -d Facolos_Staging).
IF DB_ID(N'Facolos_Staging') IS NULL
    CREATE DATABASE Facolos_Staging;
