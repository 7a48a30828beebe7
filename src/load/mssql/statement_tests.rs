//! The texts of the statements a SQL Server load sends, asserted: the
//! session settings, the staging table, the empty-replace guard, the audit
//! table's place, and what `check` requires of the table's keys.

use super::{audit, check, sql};
use crate::load::table::TableName;
use crate::manifest::LoadMode;

#[test]
fn replace_refuses_an_empty_run_on_the_server_too_unless_allowed() {
    let table = TableName {
        schema: None,
        name: "tiktok_shop_orders".into(),
    };
    let guard = "IF @staged = 0 THROW 51001";
    let refused = sql::apply(LoadMode::Replace, &table, false);
    let guard_at = refused.find(guard).expect("replace has the guard");
    assert!(guard_at < refused.find("MERGE INTO").unwrap());
    assert!(!sql::apply(LoadMode::Replace, &table, true).contains(guard));
    for mode in [LoadMode::Merge, LoadMode::Append] {
        assert!(!sql::apply(mode, &table, false).contains(guard), "{mode:?}");
    }
}

#[test]
fn the_session_and_staging_statements_are_as_documented() {
    assert_eq!(
        sql::session(),
        "SET XACT_ABORT ON;\nSET LOCK_TIMEOUT 30000;"
    );
    let table = TableName {
        schema: Some("etl".into()),
        name: "orders".into(),
    };
    let staged = sql::create_staged(&table);
    assert!(staged.starts_with("SELECT TOP (0) etl_batch_id, shop_cipher, order_id, item_id,"));
    assert!(
        staged.contains("CAST(total_amount AS NVARCHAR(21)) AS total_amount"),
        "{staged}"
    );
    assert!(staged.ends_with("INTO #staged_rows FROM [etl].[orders];"));
    assert_eq!(audit::table(&table), "[etl].[etl_load_audit]");
    assert!(audit::create(&table).contains("CREATE TABLE [etl].[etl_load_audit] ("));
    assert!(!audit::create(&table).contains("dbo."));
    // The widest staged money, with sign and point, fits the staged text.
    let mut widest = String::new();
    crate::money::write(&mut widest, -crate::money::MAX_UNITS);
    assert_eq!(widest.len(), sql::MONEY_TEXT);
}

#[test]
fn check_names_missing_keys() {
    let good = [
        (true, "etl_batch_id,order_id,item_id".to_owned()),
        (false, "order_id,item_id".to_owned()),
    ];
    assert!(check::missing_keys(&good).is_empty());
    assert_eq!(
        check::missing_keys(&[(false, "etl_batch_id,order_id,item_id".to_owned())]),
        [
            "UNIQUE (etl_batch_id, order_id, item_id)",
            "an index on (order_id, item_id)"
        ]
    );
}

#[test]
fn sys_columns_types_read_back_as_the_ddl_writes_them() {
    assert_eq!(sql::declared_type("nvarchar", 510, 0, 0), "NVARCHAR(255)");
    assert_eq!(sql::declared_type("nvarchar", -1, 0, 0), "NVARCHAR(MAX)");
    assert_eq!(sql::declared_type("varchar", 40, 0, 0), "VARCHAR(40)");
    assert_eq!(sql::declared_type("decimal", 9, 19, 4), "DECIMAL(19,4)");
    assert_eq!(sql::declared_type("datetime2", 7, 27, 3), "DATETIME2(3)");
    assert_eq!(sql::declared_type("bit", 1, 1, 0), "BIT");
    assert_eq!(sql::declared_type("int", 4, 10, 0), "INT");
    assert_eq!(sql::declared_type("float", 8, 53, 0), "FLOAT");
}

#[test]
fn create_table_swaps_in_the_table_name() {
    let default = sql::create_table(&TableName {
        schema: None,
        name: "tiktok_shop_orders".into(),
    });
    assert!(
        default.contains("OBJECT_ID(N'[dbo].[tiktok_shop_orders]', N'U')"),
        "{default}"
    );
    assert!(default.contains("CREATE TABLE [dbo].[tiktok_shop_orders] ("));
    let other = sql::create_table(&TableName {
        schema: Some("etl".into()),
        name: "tiktok_shop_orders_it".into(),
    });
    assert!(
        other.contains("CREATE TABLE [etl].[tiktok_shop_orders_it] ("),
        "{other}"
    );
    assert!(
        other.contains("CONSTRAINT uq_tiktok_shop_orders_it_batch_order_item UNIQUE"),
        "{other}"
    );
    assert!(!other.contains("dbo."), "{other}");
    assert!(
        sql::create_view(&TableName {
            schema: None,
            name: "tiktok_shop_orders".into()
        })
        .is_some()
    );
    assert!(
        sql::create_view(&TableName {
            schema: Some("etl".into()),
            name: "x".into()
        })
        .is_none()
    );
}
