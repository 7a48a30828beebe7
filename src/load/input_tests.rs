//! The checks every staged batch passes on its way to a database: rows of
//! this run only, text within its column, times within DATETIME2, money
//! within DECIMAL(19,4).

use super::input::*;
use crate::load::columns::StagedColumns;
use crate::schema::staged::{self, COLUMNS, Kind};
use arrow::array::RecordBatch;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Int32Array, StringArray, TimestampMillisecondArray,
};

/// A staged batch whose rows have these (order_id, item_id, buyer_message, update_time ms).
fn batch(run: &str, rows: &[(&str, &str, Option<&str>, i64)]) -> RecordBatch {
    let n = rows.len();
    let columns: Vec<ArrayRef> = COLUMNS
        .iter()
        .map(|c| -> ArrayRef {
            match (c.name, c.kind) {
                ("etl_batch_id", _) => Arc::new(StringArray::from(vec![run; n])),
                ("order_id", _) => {
                    Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0)))
                }
                ("item_id", _) => Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                ("buyer_message", _) => Arc::new(StringArray::from_iter(rows.iter().map(|r| r.2))),
                (_, Kind::Text(_)) if c.required => Arc::new(StringArray::from(vec!["x"; n])),
                (_, Kind::Text(_)) => Arc::new(StringArray::from(vec![None::<&str>; n])),
                (_, Kind::Time) => Arc::new(
                    TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.3))
                        .with_timezone("UTC"),
                ),
                (_, Kind::Money) => Arc::new(
                    Decimal128Array::from(vec![None::<i128>; n])
                        .with_precision_and_scale(19, 4)
                        .unwrap(),
                ),
                (_, Kind::Bool) => Arc::new(BooleanArray::from(vec![None::<bool>; n])),
                (_, Kind::Int) => Arc::new(Int32Array::from(vec![1; n])),
            }
        })
        .collect();
    RecordBatch::try_new(staged::schema(), columns).unwrap()
}

fn check(checks: &mut Checks, b: &RecordBatch) -> Result<(), String> {
    checks
        .check(&StagedColumns::new(b).unwrap(), "part-0")
        .map_err(|e| e.to_string())
}

#[test]
fn rows_of_another_run_are_refused() {
    let err = check(
        &mut Checks {
            run_id: "r1".into(),
        },
        &batch("r0", &[("o1", "i1", None, 0)]),
    )
    .unwrap_err();
    assert!(
        err.contains("\"r0\"") && err.contains("re-run transform"),
        "{err}"
    );
}

#[test]
fn text_longer_than_its_column_in_utf16_units_is_refused() {
    // The column's width from COLUMNS, so a widened column keeps this true.
    let max = match COLUMNS[staged::index_of("buyer_message").unwrap()].kind {
        Kind::Text(n) => usize::from(n),
        other => panic!("buyer_message is {other:?}"),
    };
    let fits = "é".repeat(max); // 2 bytes, 1 unit each.
    check(
        &mut Checks { run_id: "r".into() },
        &batch("r", &[("o", "i", Some(&fits), 0)]),
    )
    .unwrap();
    let emoji = "😀".repeat(max / 2 + 1); // 2 UTF-16 units each.
    let err = check(
        &mut Checks { run_id: "r".into() },
        &batch("r", &[("o", "i", Some(&emoji), 0)]),
    )
    .unwrap_err();
    let units = (max / 2 + 1) * 2;
    assert!(
        err.contains(&format!(
            "column buyer_message of order_id=o, item_id=i is {units} UTF-16 units"
        )),
        "{err}"
    );
}

#[test]
fn money_wider_than_decimal_19_4_is_refused() {
    let mut b = batch("r", &[("o", "i", None, 0)]);
    let index = staged::index_of("total_amount").unwrap();
    let mut columns = b.columns().to_vec();
    for (units, ok) in [
        (9_999_999_999_999_999_999i128, true),
        (-9_999_999_999_999_999_999, true),
        (10i128.pow(19), false),
    ] {
        columns[index] = Arc::new(
            Decimal128Array::from(vec![Some(units)])
                .with_precision_and_scale(19, 4)
                .unwrap(),
        );
        b = RecordBatch::try_new(staged::schema(), columns.clone()).unwrap();
        let result = check(&mut Checks { run_id: "r".into() }, &b);
        assert_eq!(result.is_ok(), ok, "{units}: {result:?}");
    }
    let err = check(&mut Checks { run_id: "r".into() }, &b).unwrap_err();
    assert!(
        err.contains("column total_amount of order_id=o, item_id=i is 1000000000000000.0000"),
        "{err}"
    );
}

#[test]
fn times_outside_years_1_to_9999_are_refused() {
    check(
        &mut Checks { run_id: "r".into() },
        &batch("r", &[("o", "i", None, MAX_TIME_MS)]),
    )
    .unwrap();
    let err = check(
        &mut Checks { run_id: "r".into() },
        &batch("r", &[("o", "i", None, MAX_TIME_MS + 1)]),
    )
    .unwrap_err();
    assert!(err.contains("outside the years 1 to 9999"), "{err}");
}
