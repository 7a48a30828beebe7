//! Integration tests of load: the real binary over staged runs written to a
//! temporary store (`load_fixture.rs`), into SQLite (and SQL Server when
//! `MSSQL_URL` is set, `load_conformance.rs`).

use serde_json::Value;

use super::load_fixture::{Fixture, Line, TABLE, counts, line, lines, write_run};
use super::load_targets::{Db, table};
use crate::util;

#[test]
fn merge_twice_leaves_the_table_unchanged_to_the_byte() {
    let f = Fixture::new();
    let mut lines = vec![
        line("1001", "1", 1_700_000_000, "h1", 123_400),
        line("1001", "2", 1_700_000_000, "h2", 1),
    ];
    lines.push(Line {
        sku: "SKU-2",
        ..line("1002", "1", 1_700_000_100, "h3", -123_456_789_012_345_678)
    });
    write_run(&f.store, "r1", &lines);

    let first = f.load_ok("r1", "merge");
    assert_eq!(counts(&first), [3, 0, 0, 0]);
    assert_eq!(first["mode"], "merge");
    assert_eq!(first["table"], TABLE);
    assert_eq!(first["target"], f.target());
    let before = f.dump();

    let again = f.load_ok("r1", "merge");
    assert_eq!(counts(&again), [0, 0, 3, 0]);
    assert_eq!(
        f.dump(),
        before,
        "a second load of the same run changed the table"
    );

    let rows = f.rows();
    assert_eq!(
        rows.iter().map(|r| r.2.as_str()).collect::<Vec<_>>(),
        ["12.3400", "0.0001", "-12345678901234.5678"]
    );
    assert!(
        rows.iter()
            .all(|r| r.1 == "r1" && r.3 == r.4 && r.3.ends_with('Z')),
        "{rows:?}"
    );
    let conn = f.db();
    let (update_time, sub_total, is_cod, is_gift, quantity, name): (String, String, i64, i64, i64, String) = conn
        .query_row(
            &format!("SELECT update_time, sub_total, is_cod, is_gift, item_quantity, item_name FROM {TABLE} WHERE order_id = '1002'"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(
        (update_time.as_str(), sub_total.as_str()),
        ("2023-11-14T22:15:00.007Z", "-0.5000")
    );
    assert_eq!(
        (is_cod, is_gift, quantity, name.as_str()),
        (1, 0, 1, "Áo thun 😀")
    );
    let quantities: Vec<(String, String, i64)> = conn
        .prepare("SELECT order_id, sku_id, quantity FROM v_tiktok_shop_order_sku_quantities ORDER BY order_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        quantities,
        [
            ("1001".into(), "SKU-1".into(), 2),
            ("1002".into(), "SKU-2".into(), 1)
        ]
    );

    let manifest: Value = serde_json::from_slice(
        &std::fs::read(f.store.join("runs/r1/load/_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (manifest["rows_in"].as_u64(), manifest["rows_out"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(manifest["load"]["unchanged"], 3);
}

#[test]
fn merge_takes_newer_rows_and_keeps_newer_table_rows() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "h1", 10_000)]);
    f.load_ok("r1", "merge");
    let created = f.rows()[0].3.clone();

    write_run(&f.store, "r2", &[line("1", "1", 2_000, "h2", 20_000)]);
    assert_eq!(counts(&f.load_ok("r2", "merge")), [0, 1, 0, 0]);
    let rows = f.rows();
    assert_eq!((rows[0].1.as_str(), rows[0].2.as_str()), ("r2", "2.0000"));
    assert_eq!(rows[0].3, created, "an update keeps etl_created_at");
    assert!(
        rows[0].4 > created,
        "an update moves etl_updated_at: {rows:?}"
    );

    write_run(&f.store, "r3", &[line("1", "1", 1_500, "h3", 30_000)]);
    assert_eq!(counts(&f.load_ok("r3", "merge")), [0, 0, 1, 0]);
    assert_eq!(f.rows(), rows, "an older staged row overwrote a newer one");
}

#[test]
fn merge_replaces_an_equally_new_row_only_when_its_hash_differs() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "h1", 10_000),
            line("1", "2", 1_000, "h2", 10_000),
        ],
    );
    f.load_ok("r1", "merge");
    let before = f.rows();

    // A fixed transform replayed: same update_time, other content.
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 1_000, "h1-fixed", 11_000),
            line("1", "2", 1_000, "h2", 10_000),
        ],
    );
    assert_eq!(counts(&f.load_ok("r2", "merge")), [0, 1, 1, 0]);
    let after = f.rows();
    assert_eq!((after[0].1.as_str(), after[0].2.as_str()), ("r2", "1.1000"));
    assert_eq!(
        after[1], before[1],
        "an identical row from another run must be left alone, batch id included"
    );
}

#[test]
fn append_rerun_replaces_its_batch_and_never_doubles_it() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "a", 1),
            line("2", "1", 1_000, "b", 1),
            line("3", "1", 1_000, "c", 1),
        ],
    );
    assert_eq!(counts(&f.load_ok("r1", "append")), [3, 0, 0, 0]);
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2", 2),
            line("4", "1", 2_000, "d", 2),
        ],
    );
    assert_eq!(counts(&f.load_ok("r2", "append")), [2, 0, 0, 0]);
    assert_eq!(
        f.keys(),
        ["1:1", "1:1", "2:1", "3:1", "4:1"],
        "append keeps a copy per batch"
    );
    let r1_rows: Vec<_> = f.rows().into_iter().filter(|r| r.1 == "r1").collect();
    let before = f.dump();

    assert_eq!(counts(&f.load_ok("r2", "append")), [0, 0, 2, 0]);
    assert_eq!(f.dump(), before, "re-running a batch changed the table");

    // The run re-transformed: one line changed, one gone, one new.
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2-fixed", 3),
            line("5", "1", 2_000, "e", 2),
        ],
    );
    assert_eq!(counts(&f.load_ok("r2", "append")), [1, 1, 0, 1]);
    let rows = f.rows();
    let r2: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r.1 == "r2")
        .map(|r| (r.0.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(r2, [("1:1", "0.0003"), ("5:1", "0.0002")]);
    assert_eq!(
        rows.into_iter().filter(|r| r.1 == "r1").collect::<Vec<_>>(),
        r1_rows,
        "another batch was touched"
    );
}

#[test]
fn replace_leaves_exactly_the_runs_rows() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "a", 1),
            line("2", "1", 1_000, "b", 1),
            line("3", "1", 1_000, "c", 1),
        ],
    );
    f.load_ok("r1", "merge");
    let b_before = f.rows()[1].clone();
    write_run(
        &f.store,
        "r2",
        &[line("2", "1", 1_000, "b", 1), line("4", "1", 2_000, "d", 4)],
    );
    assert_eq!(counts(&f.load_ok("r2", "replace")), [1, 0, 1, 2]);
    let rows = f.rows();
    assert_eq!(f.keys(), ["2:1", "4:1"]);
    assert_eq!(rows[0], b_before, "an identical row is left alone");
    assert_eq!((rows[1].1.as_str(), rows[1].2.as_str()), ("r2", "0.0004"));
    let before = f.dump();
    assert_eq!(counts(&f.load_ok("r2", "replace")), [0, 0, 2, 0]);
    assert_eq!(f.dump(), before);
}

#[test]
fn replace_after_append_keeps_one_row_per_key() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[line("1", "1", 1_000, "a", 1), line("2", "1", 1_000, "b", 1)],
    );
    f.load_ok("r1", "append");
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2", 2),
            line("2", "1", 2_000, "b2", 2),
        ],
    );
    f.load_ok("r2", "append");
    write_run(&f.store, "r3", &[line("1", "1", 3_000, "a3", 3)]);
    assert_eq!(counts(&f.load_ok("r3", "replace")), [0, 1, 0, 3]);
    let rows = f.rows();
    assert_eq!(
        rows.iter()
            .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
            .collect::<Vec<_>>(),
        [("1:1", "r3", "0.0003")]
    );
}

#[test]
fn duplicate_keys_in_the_staged_rows_exit_2_and_change_nothing() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    f.load_ok("r1", "merge");
    let before = f.dump();
    // The two halves of the run land in two files: the duplicate spans them.
    write_run(
        &f.store,
        "r2",
        &[
            line("7", "1", 2_000, "x", 1),
            line("1", "1", 2_000, "b", 2),
            line("7", "1", 2_000, "y", 3),
        ],
    );
    let out = f.load_to("r2", "merge", &f.target());
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(
        err.contains("order_id=7, item_id=1 more than once"),
        "{err}"
    );
    assert_eq!(f.dump(), before, "a refused load changed the table");
    assert!(!f.store.join("runs/r2/load/_manifest.json").exists());
}

#[test]
fn duplicate_keys_into_an_empty_table_exit_2_too() {
    // An empty table is written without lookups: the staged keys alone
    // must catch the duplicate.
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[line("7", "1", 2_000, "x", 1), line("7", "1", 2_000, "x", 1)],
    );
    let out = f.load_to("r1", "merge", &f.target());
    assert_eq!(out.status.code(), Some(2), "{}", util::stderr(&out));
    assert!(
        util::stderr(&out).contains("order_id=7, item_id=1 more than once"),
        "{}",
        util::stderr(&out)
    );
}

/// The journal mode the file is in.
fn journal_mode(f: &Fixture) -> String {
    f.db()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_first_load_of_a_new_file_journals_by_rollback_and_leaves_it_in_wal() {
    let f = Fixture::new();
    write_run(&f.store, "first", &lines("o", 50, 1_000, "h"));
    let first = f.load_ok("first", "merge");
    assert_eq!(counts(&first), [50, 0, 0, 0]);
    assert_eq!(journal_mode(&f), "wal", "readers read beside later loads");
    assert!(
        !f.db.with_extension("db-journal").exists(),
        "the rollback journal is gone once the load committed"
    );
    // The next load opens an existing file: WAL as configured, and it works.
    write_run(&f.store, "second", &[line("o000000", "1", 2_000, "h2", 0)]);
    let second = f.load_ok("second", "merge");
    assert_eq!(counts(&second), [0, 1, 0, 0]);
    assert_eq!(journal_mode(&f), "wal");
}

#[test]
fn a_first_load_of_a_new_file_killed_half_way_is_rolled_back_and_the_retry_loads_everything() {
    let f = Fixture::new();
    write_run(&f.store, "big", &lines("k", 150_000, 1_000, "h"));
    let db = Db::Sqlite(f.target());
    let mut child = db.spawn(&f, "big", "merge");
    let journal = f.db.with_extension("db-journal");
    let started = std::time::Instant::now();
    // Killed once the rows spill from the page cache into the file, which
    // a rollback journal allows: in the middle of the data.
    loop {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the load never got going"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the load ended ({status}) before it could be killed; make the run larger");
        }
        let size = std::fs::metadata(&f.db).map(|m| m.len()).unwrap_or(0);
        if journal.exists() && size > 8 * 1024 * 1024 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        journal.exists(),
        "a killed first load leaves its rollback journal"
    );
    // Opening the file rolls the half-written load back.
    assert!(table(&db).is_empty(), "a killed load left rows behind");
    let retried = f.load_ok("big", "merge");
    assert_eq!(counts(&retried), [150_000, 0, 0, 0]);
    assert_eq!(f.rows().len(), 150_000);
    assert_eq!(journal_mode(&f), "wal");
}

#[test]
fn two_first_loads_racing_to_create_the_file_load_once_and_leave_it_in_wal() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &lines("r", 3_000, 1_000, "h"));
    let db = Db::Sqlite(f.target());
    let (a, b) = (db.spawn(&f, "r1", "merge"), db.spawn(&f, "r1", "merge"));
    let mut total = [0u64; 4];
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", util::stderr(&out));
        for (t, c) in total.iter_mut().zip(counts(&util::summary(&out)["load"])) {
            *t += c;
        }
    }
    assert_eq!(
        total,
        [3_000, 0, 3_000, 0],
        "one inserts, the other finds every row unchanged"
    );
    assert_eq!(f.rows().len(), 3_000);
    assert_eq!(journal_mode(&f), "wal");
}
