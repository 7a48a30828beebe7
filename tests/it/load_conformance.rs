//! The load conformance suite: the same cases on every target
//! (`load_targets.rs`: SQLite here, SQL Server too when `MSSQL_URL` is set).
//!
//! Every mode and a re-load that counts every row unchanged, a zero-row
//! load, the empty-replace guard, the audit row of each load against its
//! manifest, two concurrent loads of one run and of overlapping runs, and a
//! load killed half-way.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::load_fixture::{Fixture, counts, line, lines, write_run};
use super::load_targets::{Db, audit, table, text};
use crate::util;

/// Loads, expects success, and checks the new audit row against the
/// manifest's counts; returns [inserted, updated, unchanged, deleted].
fn load_ok(f: &Fixture, db: &Db, run: &str, mode: &str) -> [u64; 4] {
    let out = util::run(&mut db.load(f, run, mode));
    assert!(
        out.status.success(),
        "{}: load {run} ({mode}) failed:\n{}",
        db.name(),
        util::stderr(&out)
    );
    let load = util::summary(&out)["load"].clone();
    let got = counts(&load);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(f.store.join(format!("runs/{run}/load/_manifest.json"))).unwrap(),
    )
    .unwrap();
    let staged = manifest["rows_in"].as_u64().unwrap();
    let last = audit(db).pop().expect("an audit row");
    let expected: Vec<String> = [staged, got[0], got[1], got[2], got[3]]
        .iter()
        .map(u64::to_string)
        .collect();
    let mut want = text(&[run, mode, "succeeded"]);
    want.extend(expected.into_iter().map(Some));
    want.push(Some("closed".into()));
    assert_eq!(
        last,
        want,
        "{}: the audit row differs from the manifest",
        db.name()
    );
    assert_eq!(
        staged,
        got[0] + got[1] + got[2],
        "{}: staged = inserted + updated + unchanged",
        db.name()
    );
    got
}

#[test]
fn every_mode_a_reload_of_unchanged_rows_and_a_zero_row_load() {
    let f = Fixture::new();
    write_run(
        &f.store,
        "r1",
        &[
            line("1", "1", 1_000, "a", 123_400),
            line("1", "2", 1_000, "b", -1),
            line("2", "1", 1_000, "c", 1),
        ],
    );
    write_run(
        &f.store,
        "r2",
        &[
            line("1", "1", 2_000, "a2", 999_999_999_999_999_999),
            line("2", "1", 500, "old", 5),
        ],
    );
    write_run(&f.store, "empty", &[]);
    for db in Db::all(&f) {
        assert_eq!(
            load_ok(&f, &db, "r1", "merge"),
            [3, 0, 0, 0],
            "{}",
            db.name()
        );
        assert_eq!(
            load_ok(&f, &db, "r1", "merge"),
            [0, 0, 3, 0],
            "{}: a re-load must change nothing",
            db.name()
        );
        assert_eq!(
            load_ok(&f, &db, "r2", "merge"),
            [0, 1, 1, 0],
            "{}",
            db.name()
        );
        assert_eq!(
            table(&db),
            [
                text(&["1", "1", "r2", "99999999999999.9999"]),
                text(&["1", "2", "r1", "-0.0001"]),
                text(&["2", "1", "r1", "0.0001"]),
            ],
            "{}",
            db.name()
        );
        assert_eq!(
            load_ok(&f, &db, "empty", "merge"),
            [0, 0, 0, 0],
            "{}: a zero-row load",
            db.name()
        );
        // 1:1 is r2's already (the merge); 2:1 gets an r2 copy beside r1's.
        assert_eq!(
            load_ok(&f, &db, "r2", "append"),
            [1, 0, 1, 0],
            "{}",
            db.name()
        );
        assert_eq!(
            load_ok(&f, &db, "r2", "append"),
            [0, 0, 2, 0],
            "{}",
            db.name()
        );
        assert_eq!(
            load_ok(&f, &db, "r2", "replace"),
            [0, 0, 2, 2],
            "{}",
            db.name()
        );
        assert_eq!(
            load_ok(&f, &db, "r2", "replace"),
            [0, 0, 2, 0],
            "{}",
            db.name()
        );
        let before = table(&db);
        assert_eq!(before.len(), 2);

        // replace with a run that staged nothing: refused, nothing changed.
        let out = util::run(&mut db.load(&f, "empty", "replace"));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {}",
            db.name(),
            util::stderr(&out)
        );
        assert!(
            util::stderr(&out).contains("--allow-empty-replace"),
            "{}",
            util::stderr(&out)
        );
        assert_eq!(
            table(&db),
            before,
            "{}: a refused replace changed the table",
            db.name()
        );
        let out = util::run(db.load(&f, "empty", "replace").arg("--allow-empty-replace"));
        assert!(out.status.success(), "{}", util::stderr(&out));
        assert_eq!(counts(&util::summary(&out)["load"]), [0, 0, 0, 2]);
        assert!(
            table(&db).is_empty(),
            "{}: --allow-empty-replace empties the table",
            db.name()
        );
        db.clean_up();
    }
}

#[test]
fn two_concurrent_loads_of_one_run_and_of_overlapping_runs() {
    let f = Fixture::new();
    let n = 3_000;
    write_run(&f.store, "r1", &lines("a", n, 1_000, "h1"));
    // Overlapping runs: r2 newer than r3 on the same keys.
    write_run(&f.store, "r2", &lines("b", n, 3_000, "new"));
    write_run(&f.store, "r3", &lines("b", n, 2_000, "old"));
    write_run(&f.store, "empty", &[]);
    for db in Db::all(&f) {
        // The table exists (empty) before the race, as it does in production.
        load_ok(&f, &db, "empty", "merge");
        let (a, b) = (db.spawn(&f, "r1", "merge"), db.spawn(&f, "r1", "merge"));
        let outs: Vec<Output> = [a, b]
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut total = [0u64; 4];
        for out in &outs {
            assert!(out.status.success(), "{}: {}", db.name(), util::stderr(out));
            for (t, c) in total.iter_mut().zip(counts(&util::summary(out)["load"])) {
                *t += c;
            }
        }
        let n = n as u64;
        assert_eq!(
            total,
            [n, 0, n, 0],
            "{}: one load inserts, the other finds every row unchanged",
            db.name()
        );
        assert_eq!(
            table(&db).len() as u64,
            n,
            "{}: duplicates or lost rows",
            db.name()
        );

        let (new, old) = (db.spawn(&f, "r2", "merge"), db.spawn(&f, "r3", "merge"));
        for child in [new, old] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                db.name(),
                util::stderr(&out)
            );
        }
        let rows = table(&db);
        let b_rows: Vec<_> = rows
            .iter()
            .filter(|r| r[0].as_deref().is_some_and(|o| o.starts_with('b')))
            .collect();
        assert_eq!(b_rows.len() as u64, n, "{}", db.name());
        assert!(
            b_rows.iter().all(|r| r[2].as_deref() == Some("r2")),
            "{}: an older row won over a newer one",
            db.name()
        );
        db.clean_up();
    }
}

#[test]
fn a_load_killed_half_way_leaves_the_table_as_it_was_and_its_audit_row_open() {
    let f = Fixture::new();
    write_run(&f.store, "small", &lines("s", 10, 1_000, "h"));
    write_run(&f.store, "big", &lines("k", 150_000, 1_000, "h"));
    for db in Db::all(&f) {
        load_ok(&f, &db, "small", "merge");
        let before = table(&db);
        let mut child = db.spawn(&f, "big", "merge");
        let started = Instant::now();
        let wal = f.db.with_extension("db-wal");
        let mut wal_at_start = None;
        // Killed once its audit row is written and, on SQLite, once the WAL
        // has grown by a few MiB of rows: in the middle of the data.
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{}: the load never got going",
                db.name()
            );
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{}: the load ended ({status}) before it could be killed; make the run larger",
                    db.name()
                );
            }
            let open = audit(&db).iter().any(|r| r[0].as_deref() == Some("big"));
            let wal_size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            let half_way = match &db {
                Db::Sqlite(_) if open => {
                    *wal_at_start.get_or_insert(wal_size) + 4 * 1024 * 1024 < wal_size
                }
                Db::SqlServer { .. } => open,
                Db::Sqlite(_) => false,
            };
            if half_way {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        let _ = child.wait();
        assert_eq!(
            table(&db),
            before,
            "{}: a killed load changed the table",
            db.name()
        );
        let last = audit(&db).pop().unwrap();
        assert_eq!(
            (last[0].as_deref(), last[2].as_deref(), last[8].as_deref()),
            (Some("big"), Some("started"), Some("open")),
            "{}: the audit row of the killed load must say it never finished",
            db.name()
        );
        assert_eq!(
            load_ok(&f, &db, "big", "merge")[0],
            150_000,
            "{}: the retry loads everything",
            db.name()
        );
        db.clean_up();
    }
}
