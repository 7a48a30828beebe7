//! What goes on the wire: for every staged column, the exact tiberius value
//! the bulk load sends, at the edges (largest and smallest money, 1970 and
//! 2100, text of 4,000+ UTF-16 units with characters outside the BMP,
//! NULLs). Driven by `COLUMNS`, so a column the transform adds is covered
//! by its kind. How the server stores these values is what only a real
//! server can show (README, "What was and was not run against a real SQL
//! Server").

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Int32Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use chrono::{NaiveDate, TimeZone, Utc};
use tiberius::ColumnData;

use super::values::row;
use crate::load::columns::StagedColumns;
use crate::money::MAX_UNITS;
use crate::schema::staged::{self, COLUMNS, Kind};

/// 1970-01-01T00:00:00.000Z, 2100-12-31T23:59:59.999Z.
const EPOCH_MS: i64 = 0;
fn end_of_2100_ms() -> i64 {
    Utc.with_ymd_and_hms(2100, 12, 31, 23, 59, 59)
        .unwrap()
        .timestamp_millis()
        + 999
}

/// Text of 4,100 UTF-16 units: 2,000 emoji (two units each) and 100 ASCII.
fn long_text() -> String {
    format!("{}{}", "😀".repeat(2000), "a".repeat(100))
}

/// Row 0 the largest values, row 1 the smallest, row 2 NULL wherever the
/// column allows.
fn edge_batch() -> RecordBatch {
    let columns: Vec<ArrayRef> = COLUMNS
        .iter()
        .map(|c| -> ArrayRef {
            let null = !c.required;
            match c.kind {
                Kind::Text(_) => Arc::new(StringArray::from(vec![
                    Some(long_text()),
                    Some("Đơn hàng 𝄞".to_owned()),
                    (!null).then(|| "x".to_owned()),
                ])),
                Kind::Money => Arc::new(
                    Decimal128Array::from(vec![
                        Some(MAX_UNITS),
                        Some(-MAX_UNITS),
                        (!null).then_some(0),
                    ])
                    .with_precision_and_scale(19, 4)
                    .unwrap(),
                ),
                Kind::Time => Arc::new(
                    TimestampMillisecondArray::from(vec![
                        Some(end_of_2100_ms()),
                        Some(EPOCH_MS),
                        (!null).then_some(1),
                    ])
                    .with_timezone("UTC"),
                ),
                Kind::Bool => Arc::new(BooleanArray::from(vec![
                    Some(true),
                    Some(false),
                    (!null).then_some(true),
                ])),
                Kind::Int => Arc::new(Int32Array::from(vec![
                    Some(i32::MAX),
                    Some(i32::MIN),
                    (!null).then_some(1),
                ])),
            }
        })
        .collect();
    RecordBatch::try_new(staged::schema(), columns).unwrap()
}

fn days_since_year_1(y: i32, m: u32, d: u32) -> u32 {
    let days =
        NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
    days.num_days() as u32
}

#[test]
fn every_staged_column_is_sent_as_its_exact_tds_value() {
    let batch = edge_batch();
    let staged = StagedColumns::new(&batch).unwrap();
    let rows: Vec<Vec<ColumnData<'static>>> = (0..3)
        .map(|r| row(&staged, r).unwrap().into_iter().collect())
        .collect();
    for (i, column) in COLUMNS.iter().enumerate() {
        let [max, min, null] = [&rows[0][i], &rows[1][i], &rows[2][i]];
        let name = column.name;
        match column.kind {
            Kind::Text(_) => {
                assert!(
                    matches!(max, ColumnData::String(Some(s)) if *s == long_text()),
                    "{name}"
                );
                assert_eq!(long_text().encode_utf16().count(), 4100);
                assert!(
                    matches!(min, ColumnData::String(Some(s)) if s == "Đơn hàng 𝄞"),
                    "{name}: {min:?}"
                );
                if !column.required {
                    assert!(matches!(null, ColumnData::String(None)), "{name}: {null:?}");
                }
            }
            Kind::Money => {
                assert!(
                    matches!(max, ColumnData::String(Some(s)) if s == "999999999999999.9999"),
                    "{name}: {max:?}"
                );
                assert!(
                    matches!(min, ColumnData::String(Some(s)) if s == "-999999999999999.9999"),
                    "{name}: {min:?}"
                );
                if !column.required {
                    assert!(matches!(null, ColumnData::String(None)), "{name}: {null:?}");
                }
            }
            Kind::Time => {
                let ColumnData::DateTime2(Some(late)) = max else {
                    panic!("{name}: {max:?}")
                };
                assert_eq!(
                    (
                        late.date().days(),
                        late.time().increments(),
                        late.time().scale()
                    ),
                    (days_since_year_1(2100, 12, 31), 86_399_999, 3),
                    "{name}"
                );
                let ColumnData::DateTime2(Some(epoch)) = min else {
                    panic!("{name}: {min:?}")
                };
                assert_eq!(
                    (
                        epoch.date().days(),
                        epoch.time().increments(),
                        epoch.time().scale()
                    ),
                    (days_since_year_1(1970, 1, 1), 0, 3),
                    "{name}: 1970-01-01 UTC"
                );
                if !column.required {
                    assert!(
                        matches!(null, ColumnData::DateTime2(None)),
                        "{name}: {null:?}"
                    );
                }
            }
            Kind::Bool => {
                assert!(matches!(max, ColumnData::Bit(Some(true))), "{name}");
                assert!(matches!(min, ColumnData::Bit(Some(false))), "{name}");
                if !column.required {
                    assert!(matches!(null, ColumnData::Bit(None)), "{name}");
                }
            }
            Kind::Int => {
                assert!(matches!(max, ColumnData::I32(Some(i32::MAX))), "{name}");
                assert!(matches!(min, ColumnData::I32(Some(i32::MIN))), "{name}");
                if !column.required {
                    assert!(matches!(null, ColumnData::I32(None)), "{name}");
                }
            }
        }
    }
    assert_eq!(
        rows[0].len(),
        COLUMNS.len(),
        "one value per staged column, in order"
    );
}
