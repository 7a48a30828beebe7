//! Load failures a user can meet, each with its exit code and a message
//! that says what to do: no transform yet, a table that differs, a target
//! that is not one, SQL Server without a password, unreachable, or on a
//! machine without CA roots (never tiberius's panic), a locked SQLite file.

use super::load_fixture::{Fixture, TABLE, counts, line, write_run};
use crate::util;

#[test]
fn missing_transform_manifest_exits_2_and_says_to_run_transform() {
    let f = Fixture::new();
    let out = f.load_to("never-transformed", "merge", &f.target());
    assert_eq!(out.status.code(), Some(2), "{}", util::stderr(&out));
    let err = util::stderr(&out);
    assert!(
        err.contains("transform") && err.contains("never-transformed"),
        "{err}"
    );
    assert!(!f.db.exists(), "the load touched the database");
}

#[test]
fn a_table_that_differs_exits_2_naming_every_difference() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    f.load_ok("r1", "merge");
    let conn = f.db();
    let ddl: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = ?1",
            [TABLE],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch(&format!(
        "DROP VIEW v_tiktok_shop_order_sku_quantities; DROP TABLE {TABLE}; {};\
         ALTER TABLE {TABLE} RENAME COLUMN seller_sku TO seller_sku_old; ALTER TABLE {TABLE} ADD COLUMN note TEXT;",
        ddl.replace("\"sub_total\" TEXT", "\"sub_total\" REAL")
    ))
    .unwrap();
    drop(conn);
    let out = f.load_to("r1", "merge", &f.target());
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(err.contains("missing columns: seller_sku"), "{err}");
    assert!(
        err.contains("unexpected columns: seller_sku_old, note"),
        "{err}"
    );
    assert!(err.contains("sub_total is REAL, expected TEXT"), "{err}");
    assert!(err.contains("never alters a table"), "{err}");
}

#[test]
fn unknown_target_scheme_exits_2_listing_the_accepted_forms() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    let out = f.load_to("r1", "merge", "postgres://etl:hunter2-secret@db/staging");
    assert_eq!(out.status.code(), Some(2));
    let err = util::stderr(&out);
    assert!(
        err.contains("postgres:// is not supported")
            && err.contains("sqlite://")
            && err.contains("server=tcp:"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
}

#[test]
fn sql_server_without_a_password_exits_2_and_an_unreachable_one_exits_1() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    let target = "server=tcp:127.0.0.1,1;database=Facolos_Staging;user id=tiktok_etl;TrustServerCertificate=true";
    let out = f.load_to("r1", "merge", target);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        util::stderr(&out).contains("DB_PASSWORD"),
        "{}",
        util::stderr(&out)
    );

    let out = util::run(
        util::command("load")
            .args([
                "--store",
                f.store.to_str().unwrap(),
                "--run-id",
                "r1",
                "--target",
                target,
            ])
            .env("DB_PASSWORD", "Sup3r-Secret-Pw"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", util::stderr(&out));
    let err = util::stderr(&out);
    assert!(
        err.contains("cannot connect to 127.0.0.1:1") && err.contains("user id=tiktok_etl"),
        "{err}"
    );
    assert!(
        !err.contains("Sup3r-Secret-Pw"),
        "the password leaked: {err}"
    );
}

#[test]
fn no_ca_roots_exits_2_before_connecting_never_panics() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    // Encryption on and the certificate to be checked, but the CA bundle
    // the system names does not exist.
    let target = "server=tcp:127.0.0.1,1;database=Facolos_Staging;user id=tiktok_etl";
    let out = util::run(
        util::command("load")
            .args([
                "--store",
                f.store.to_str().unwrap(),
                "--run-id",
                "r1",
                "--target",
                target,
            ])
            .env("DB_PASSWORD", "Sup3r-Secret-Pw")
            .env("SSL_CERT_FILE", f.store.join("no-such-bundle.pem")),
    );
    assert_eq!(out.status.code(), Some(2), "{}", util::stderr(&out));
    let err = util::stderr(&out);
    assert!(
        err.contains("no CA certificates")
            && err.contains("TrustServerCertificateCA=")
            && err.contains("ca-certificates"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains("Sup3r-Secret-Pw"),
        "the password leaked: {err}"
    );
}

#[test]
fn a_locked_database_exits_1_and_the_retry_succeeds() {
    let f = Fixture::new();
    write_run(&f.store, "r1", &[line("1", "1", 1_000, "a", 1)]);
    f.load_ok("r1", "merge");
    let holder = f.db();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let out = f.load_to(
        "r1",
        "merge",
        &format!("{}?busy_timeout_ms=100", f.target()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", util::stderr(&out));
    assert!(
        util::stderr(&out).contains("another process holds the database"),
        "{}",
        util::stderr(&out)
    );
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(counts(&f.load_ok("r1", "merge")), [0, 0, 1, 0]);
}
