//! `transform --pii keep|mask|hash` through the real binary: personal
//! columns kept, masked or replaced by a keyed HMAC (the same in every run,
//! so joins still work), a missing or short key refused before any data
//! moves, and the key never written anywhere.

use std::collections::BTreeMap;
use std::path::Path;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::util::{self, RawOrder};

const RUN: &str = "manual__pii";
const KEY: &str = "pii-key-for-the-test-3f9a1c";

fn transform(store: &Path, pii: &str, key: Option<&str>) -> std::process::Output {
    let mut cmd = util::command("transform");
    cmd.args(["--store", store.to_str().unwrap(), "--run-id", RUN]);
    cmd.args(["--pii", pii]);
    if let Some(key) = key {
        cmd.env("ETL_PII_HASH_KEY", key);
    }
    util::run(&mut cmd)
}

/// One order whose recipient and buyer have personal data, two line items.
fn raw_run(store: &Path) {
    let payload = json!({
        "id": "900000000000000001", "status": "AWAITING_SHIPMENT",
        "create_time": 1_764_000_000, "update_time": 1_764_000_100,
        "buyer_email": "an.nguyen@example.com",
        "payment": {"currency": "VND", "total_amount": "150000"},
        "recipient_address": {"name": "Nguyễn Văn An", "phone_number": "(+84)912345678",
            "address_line1": "12 Lý Thường Kiệt", "district_info": [
            {"address_level": "L0", "address_level_name": "Country", "address_name": "Việt Nam"}]},
        "line_items": [{"id": "1", "sale_price": "100000"}, {"id": "2", "sale_price": "50000"}],
    });
    let order = RawOrder {
        shop: "ROW_PII_SHOP",
        order_id: "900000000000000001".to_owned(),
        update_time: 1_764_000_100,
        payload: payload.to_string(),
    };
    util::write_raw_run(store, RUN, &[order]);
}

fn staged_rows(store: &Path) -> Vec<BTreeMap<String, String>> {
    util::staged_rows(store, &format!("runs/{RUN}"))
}

fn hmac_hex(key: &str, value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The bytes of every file of the store but the Parquet ones (compressed:
/// their rows are checked as values instead).
fn every_other_file(dir: &Path) -> Vec<Vec<u8>> {
    (util::files_under(dir).iter())
        .filter(|f| !f.ends_with(".parquet"))
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

#[test]
fn a_missing_or_short_key_is_a_clear_config_error_before_any_data_moves() {
    let dir = tempfile::tempdir().unwrap();
    raw_run(dir.path());
    for (key, says) in [
        (
            None,
            "set ETL_PII_HASH_KEY (or ETL_PII_HASH_KEY_FILE) to a long random secret",
        ),
        (
            Some("x9Qz"),
            "shorter than 16 characters: use a long random secret (e.g.",
        ),
    ] {
        let out = transform(dir.path(), "hash", key);
        assert_eq!(out.status.code(), Some(2), "a config error, not retried");
        let stderr = util::stderr(&out);
        assert!(stderr.contains(says), "{stderr}");
        assert!(
            !dir.path().join(format!("runs/{RUN}/transform")).exists(),
            "nothing written"
        );
        if let Some(key) = key {
            assert!(!stderr.contains(key), "the key is not shown");
        }
    }
}

#[test]
fn personal_columns_are_kept_masked_or_hashed_with_the_key_and_the_key_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    raw_run(dir.path());
    let personal = [
        ("recipient_name", "Nguyễn Văn An"),
        ("recipient_phone", "(+84)912345678"),
        ("recipient_address_line1", "12 Lý Thường Kiệt"),
        ("buyer_email", "an.nguyen@example.com"),
    ];
    let value_of = |rows: &[BTreeMap<String, String>], column: &str| -> Vec<String> {
        rows.iter().map(|r| r[column].clone()).collect()
    };

    assert!(transform(dir.path(), "keep", None).status.success());
    let kept = staged_rows(dir.path());
    assert_eq!(kept.len(), 2);
    for (column, value) in personal {
        assert_eq!(value_of(&kept, column), [value, value], "{column}");
    }

    assert!(transform(dir.path(), "mask", None).status.success());
    let masked = staged_rows(dir.path());
    assert_eq!(value_of(&masked, "recipient_name"), ["N***", "N***"]);
    assert_eq!(value_of(&masked, "buyer_email"), ["a***", "a***"]);
    assert_eq!(
        value_of(&masked, "recipient_address_country"),
        ["Việt Nam", "Việt Nam"],
        "places are not personal"
    );

    let out = transform(dir.path(), "hash", Some(KEY));
    assert!(out.status.success(), "{}", util::stderr(&out));
    let hashed = staged_rows(dir.path());
    for (column, value) in personal {
        let expected = hmac_hex(KEY, value);
        assert_eq!(
            value_of(&hashed, column),
            [expected.as_str(), expected.as_str()],
            "{column}"
        );
    }
    assert_eq!(
        value_of(&hashed, "order_id"),
        value_of(&kept, "order_id"),
        "everything else as kept"
    );
    let key = KEY.as_bytes();
    assert!(
        !util::stderr(&out).contains(KEY) && !util::stdout(&out).contains(KEY),
        "the key is not logged"
    );
    for bytes in every_other_file(dir.path()) {
        assert!(
            !bytes.windows(key.len()).any(|w| w == key),
            "the key is in no manifest"
        );
    }
    assert!(
        (hashed.iter().flat_map(|row| row.values())).all(|v| !v.contains(KEY)),
        "the key is in no staged value"
    );

    // The same key hashes the same in a later run; another key does not.
    assert!(transform(dir.path(), "hash", Some(KEY)).status.success());
    assert_eq!(staged_rows(dir.path()), hashed);
    let other = "another-key-for-the-test-77d0";
    assert!(transform(dir.path(), "hash", Some(other)).status.success());
    assert_eq!(
        value_of(&staged_rows(dir.path()), "recipient_name")[0],
        hmac_hex(other, "Nguyễn Văn An")
    );
}
