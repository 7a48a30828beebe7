//! The SQLite statements and table checks, run against in-memory and
//! temporary databases.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::check;
use super::sql::{self, DEFAULT_TABLE, create_indexes, create_table, view};
use super::target::SqliteTarget;
use crate::failure::Failure;
use crate::manifest::LoadMode;

fn target(path: &Path) -> SqliteTarget {
    SqliteTarget::parse(
        &path.display().to_string(),
        &format!("sqlite://{}", path.display()),
    )
    .unwrap()
}

#[test]
fn every_statement_is_valid_sqlite() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(&create_table("orders")).unwrap();
    conn.execute_batch(&create_indexes("orders")).unwrap();
    conn.execute_batch(&view("orders")).unwrap();
    conn.execute_batch(sql::CREATE_STAGED_KEYS).unwrap();
    conn.prepare(sql::INSERT_STAGED_KEY).unwrap();
    conn.execute_batch(&sql::create_audit()).unwrap();
    conn.execute_batch(&sql::create_audit()).unwrap();
    conn.prepare(&sql::insert_audit()).unwrap();
    conn.prepare(&sql::finish_audit()).unwrap();
    conn.prepare(&sql::insert("orders")).unwrap();
    conn.prepare(&sql::delete_duplicates("orders")).unwrap();
    let empty: bool = conn
        .query_row(&sql::is_empty("orders"), [], |r| r.get(0))
        .unwrap();
    assert!(empty);
    for mode in [LoadMode::Merge, LoadMode::Append, LoadMode::Replace] {
        let mut statements = vec![sql::lookup(mode, "orders"), sql::update(mode, "orders")];
        statements.extend(sql::delete_unstaged(mode, "orders"));
        for statement in statements {
            conn.prepare(&statement)
                .unwrap_or_else(|e| panic!("{mode:?}: {e}\n{statement}"));
        }
    }
    assert!(
        sql::delete_unstaged(LoadMode::Merge, "orders").is_none(),
        "merge never deletes"
    );
}

/// The query plan of `statement`, one step a line.
fn plan(conn: &Connection, statement: &str) -> Vec<String> {
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
    steps
}

#[test]
fn each_row_is_one_index_lookup_and_deletes_scan_only_what_they_must() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(&create_table("orders")).unwrap();
    conn.execute_batch(sql::CREATE_STAGED_KEYS).unwrap();
    for mode in [LoadMode::Merge, LoadMode::Replace] {
        let steps = plan(&conn, &sql::lookup(mode, "orders"));
        assert!(
            steps.iter().any(|s| s.contains(
                "USING COVERING INDEX ix_orders_order_item_version (order_id=? AND item_id=?)"
            )),
            "{mode:?}: the newer-wins lookup is not answered by the covering index: {steps:?}"
        );
    }
    let steps = plan(&conn, &sql::lookup(LoadMode::Append, "orders"));
    assert!(
        steps
            .iter()
            .any(|s| s.contains("USING INDEX ux_orders_batch_order_item")),
        "{steps:?}"
    );
    for mode in [LoadMode::Merge, LoadMode::Append, LoadMode::Replace] {
        let steps = plan(&conn, &sql::update(mode, "orders"));
        assert!(
            !steps.iter().any(|s| s.starts_with("SCAN")),
            "{mode:?} update scans: {steps:?}"
        );
    }
    let steps = plan(
        &conn,
        &sql::delete_unstaged(LoadMode::Append, "orders").unwrap(),
    );
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("SEARCH t USING") && s.contains("(etl_batch_id=?)")),
        "append deletes scan more than the batch: {steps:?}"
    );
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

#[test]
fn a_directory_as_the_database_is_a_target_error_not_a_disk_failure() {
    let dir = tempfile::tempdir().unwrap();
    let err = check(&target(dir.path()), "orders").unwrap_err();
    assert_eq!(err.failure(), Failure::Fatal);
    let message = err.to_string();
    assert!(
        message.contains("is a directory, not a database file"),
        "{message}"
    );
    assert!(message.contains("staging.db"), "{message}");
}

#[test]
fn target_options_choose_journal_and_sync_modes() {
    let parse = |raw: &str| SqliteTarget::parse(raw, raw);
    let t = parse("a.db").unwrap();
    assert_eq!((t.journal_mode(), t.synchronous()), ("WAL", "NORMAL"));
    let t = parse("a.db?journal_mode=delete&synchronous=full&busy_timeout_ms=7").unwrap();
    assert_eq!((t.journal_mode(), t.synchronous()), ("DELETE", "FULL"));
    assert_eq!(t.busy_timeout(), Duration::from_millis(7));
    let err = parse("a.db?synchronous=sometimes").unwrap_err().to_string();
    assert!(err.contains("normal, full, extra, off"), "{err}");
    assert!(parse("a.db?cache=big").is_err());
}
