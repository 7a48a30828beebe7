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
