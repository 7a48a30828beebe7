//! The SQLite statements and table checks, run against in-memory and
//! temporary databases.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::check;
use super::sql::{
    self, DEFAULT_TABLE, INDEX_STAGED, create_staged, create_table, insert_staged, statements, view,
};
use super::target::SqliteTarget;
use crate::manifest::LoadMode;

fn target(path: &Path) -> SqliteTarget {
    SqliteTarget::parse(
        &path.display().to_string(),
        &format!("sqlite://{}", path.display()),
    )
    .unwrap()
}

#[test]
fn every_mode_is_valid_sqlite() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(&create_table("orders")).unwrap();
    conn.execute_batch(&view("orders")).unwrap();
    conn.execute_batch(&create_staged()).unwrap();
    conn.execute_batch(INDEX_STAGED).unwrap();
    conn.prepare(&insert_staged()).unwrap();
    for mode in [LoadMode::Merge, LoadMode::Append, LoadMode::Replace] {
        for (_, statement) in statements(mode, "orders") {
            conn.prepare(&statement)
                .unwrap_or_else(|e| panic!("{mode:?}: {e}\n{statement}"));
        }
    }
}

#[test]
fn merge_and_append_never_scan_the_whole_table() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(&create_table("orders")).unwrap();
    conn.execute_batch(&create_staged()).unwrap();
    conn.execute_batch(INDEX_STAGED).unwrap();
    for mode in [LoadMode::Merge, LoadMode::Append] {
        for (_, statement) in statements(mode, "orders") {
            let mut plan = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
                .unwrap();
            for i in 1..=plan.parameter_count() {
                plan.raw_bind_parameter(i, "x").unwrap();
            }
            let mut rows = plan.raw_query();
            let mut steps: Vec<String> = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                steps.push(row.get(3).unwrap());
            }
            assert!(
                !steps.iter().any(|s| s == "SCAN t"),
                "{mode:?} scans the table: {steps:?}\n{statement}"
            );
        }
    }
}

#[test]
fn view_is_the_sql_server_select_over_the_sqlite_table() {
    assert_eq!(
        view(DEFAULT_TABLE).lines().next().unwrap(),
        "CREATE VIEW IF NOT EXISTS main.\"v_tiktok_shop_order_sku_quantities\" AS"
    );
    assert!(view("other").contains("FROM main.\"other\""));
    assert!(view("other").starts_with("CREATE VIEW IF NOT EXISTS main.\"v_other_sku_quantities\""));
    assert!(view(DEFAULT_TABLE).contains("COUNT(DISTINCT item_id) AS quantity"));
}

#[test]
fn check_reads_without_creating_and_names_differences() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let t = target(&path);
    assert_eq!(t.busy_timeout(), Duration::from_millis(5000));
    assert!(check(&t, "orders").unwrap().contains("no database yet"));
    assert!(!path.exists(), "check created the database");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE other (a TEXT)").unwrap();
    assert!(check(&t, "orders").unwrap().contains("no table orders yet"));
    conn.execute_batch(&sql::create_table("orders")).unwrap();
    assert!(
        check(&t, "orders")
            .unwrap()
            .contains("matches the staged schema")
    );
    conn.execute_batch("ALTER TABLE orders DROP COLUMN is_gift")
        .unwrap();
    let err = check(&t, "orders").unwrap_err().to_string();
    assert!(err.contains("missing columns: is_gift"), "{err}");
}
