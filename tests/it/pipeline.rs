//! The whole pipeline: `tiktok-etl run`, the stages one by one, re-runs,
//! an S3-compatible store, and bad input.

use crate::util;

/// Every way of giving bad input exits 2, says what is wrong, and writes
/// nothing to the store.
#[test]
fn bad_input_exits_2_with_a_message_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["load", "--load-mode", "upsert"], "invalid value 'upsert'"),
        (
            vec!["extract", "--since", "2026-11-25T06:00:00Z", "--until", "2026-11-25T00:00:00Z", "--shop-cipher", "A"],
            "must be before --until",
        ),
        (vec!["extract", "--days-back", "1", "--shop-cipher", "A", "--run-id", "bad\nid"], "control character"),
        (vec!["extract", "--days-back", "1"], "no shop cipher given"),
        (vec!["extract", "--days-back", "1", "--shop-cipher", "A"], "TIKTOK_APP_SECRET"),
        (vec!["transform", "--run-id", "never-extracted"], "run the extract stage"),
        (vec!["load", "--run-id", "never-transformed"], "run the transform stage"),
        (vec!["tiktok-etl", "inspect", "--run-id", ""], "empty"),
    ];
    for (args, expected) in cases {
        let (bin, rest) = args.split_first().unwrap();
        let out = util::run(util::command(bin).args(rest).args(["--store", &store_arg]).env("TIKTOK_APP_KEY", "k"));
        let err = util::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: expected {expected:?} in:\n{err}");
        let written = util::files_under(&store);
        assert!(written.is_empty(), "{args:?} wrote {written:?}");
    }
}

#[test]
fn a_store_that_cannot_be_opened_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    for store in [format!("{}/sub", file.display()), "ftp://host/x".to_owned(), "s3://".to_owned()] {
        let out = util::run(util::command("transform").args(["--run-id", "r", "--store", &store]));
        assert_eq!(out.status.code(), Some(2), "{store}");
        assert!(util::stderr(&out).contains("cannot open the store"), "{store}: {}", util::stderr(&out));
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
}

#[test]
fn help_never_shows_secret_values() {
    let secret = "hunter2-super-secret-value";
    for bin in ["extract", "load", "tiktok-etl"] {
        let out = util::run(
            util::command(bin)
                .arg("--help")
                .env("TIKTOK_APP_SECRET", secret)
                .env("TIKTOK_ACCESS_TOKEN", secret)
                .env("DB_PASSWORD", secret)
                .env("TIKTOK_APP_KEY", secret)
                .env("ETL_TARGET", format!("server=tcp:db;password={secret}")),
        );
        assert!(out.status.success());
        let text = util::stdout(&out);
        assert!(!text.contains(secret), "{bin} --help shows a secret:\n{text}");
    }
}
