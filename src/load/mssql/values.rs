//! Staged Arrow values as TDS values for the bulk load.
//!
//! | staged | Arrow | #staged_rows | TDS value |
//! |---|---|---|---|
//! | Text(n) | Utf8 | NVARCHAR(n) | `ColumnData::String` (UTF-16 on the wire) |
//! | Money | Decimal128(19, 4) | NVARCHAR(21) | `ColumnData::String`, the exact decimal (`-12.3400`) |
//! | Time | Timestamp(ms, UTC) | DATETIME2(3) | `ColumnData::DateTime2` at scale 3, UTC |
//! | Bool | Boolean | BIT | `ColumnData::Bit` |
//! | Int | Int32 | INT | `ColumnData::I32` |
//!
//! Money goes as text and the MERGE casts it to DECIMAL(19,4), which is
//! exact for four decimals: tiberius 0.12.3 sends a DECIMAL value with the
//! length of its own precision (5 or 9 bytes) under column metadata that
//! says 9, and nothing here can show a server accepts that. Times are built
//! at scale 3, the column's: tiberius rescales other scales through f64,
//! which could move a millisecond.

use std::borrow::Cow;

use arrow::array::Array;
use tiberius::time::{Date, DateTime2, Time};
use tiberius::{ColumnData, TokenRow};

use super::super::columns::{StagedColumns, Values};
use super::super::error::LoadError;
use super::super::input::{MAX_TIME_MS, MIN_TIME_MS};
use crate::money;

const MS_PER_DAY: i64 = 86_400_000;
/// Days from 0001-01-01 (day 0 of DATE) to 1970-01-01.
const UNIX_EPOCH_DAY: i64 = 719_162;

/// The exact decimal text of `units` × 10^-4, as staged for the MERGE's
/// CAST to DECIMAL(19,4).
pub(super) fn money_text(units: i128) -> String {
    let mut text = String::with_capacity(24);
    money::write(&mut text, units);
    text
}

/// A DATETIME2(3) value of milliseconds since 1970 (UTC).
pub(super) fn datetime2(ms: i64) -> Result<DateTime2, LoadError> {
    if !(MIN_TIME_MS..=MAX_TIME_MS).contains(&ms) {
        return Err(LoadError::Input(format!(
            "{ms} ms from 1970 is outside the years DATETIME2 holds"
        )));
    }
    let days = ms.div_euclid(MS_PER_DAY) + UNIX_EPOCH_DAY;
    let millis_of_day = ms.rem_euclid(MS_PER_DAY);
    // Both are non-negative and in range after the check above.
    Ok(DateTime2::new(
        Date::new(days as u32),
        Time::new(millis_of_day as u64, 3),
    ))
}

/// Row `row` of `batch` as a TDS row, columns in `COLUMNS` order.
pub(super) fn row(batch: &StagedColumns<'_>, row: usize) -> Result<TokenRow<'static>, LoadError> {
    let mut out = TokenRow::with_capacity(batch.columns.len());
    for values in &batch.columns {
        let value = match values {
            Values::Text(a) => {
                ColumnData::String(a.is_valid(row).then(|| Cow::Owned(a.value(row).to_owned())))
            }
            Values::Money(a) => ColumnData::String(
                a.is_valid(row)
                    .then(|| Cow::Owned(money_text(a.value(row)))),
            ),
            Values::Time(a) => ColumnData::DateTime2(if a.is_valid(row) {
                Some(datetime2(a.value(row))?)
            } else {
                None
            }),
            Values::Bool(a) => ColumnData::Bit(a.is_valid(row).then(|| a.value(row))),
            Values::Int(a) => ColumnData::I32(a.is_valid(row).then(|| a.value(row))),
        };
        out.push(value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn expected(y: i32, m: u32, d: u32, ms_of_day: u64) -> (u32, u64) {
        let days = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .signed_duration_since(NaiveDate::from_ymd_opt(1, 1, 1).unwrap());
        (days.num_days() as u32, ms_of_day)
    }

    #[test]
    fn times_become_datetime2_at_scale_3() {
        let cases = [
            (0, expected(1970, 1, 1, 0)),
            (
                Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0)
                    .unwrap()
                    .timestamp_millis()
                    + 123,
                expected(2026, 11, 25, 21_600_123),
            ),
            (-1, expected(1969, 12, 31, 86_399_999)),
            (MIN_TIME_MS, expected(1, 1, 1, 0)),
            (MAX_TIME_MS, expected(9999, 12, 31, 86_399_999)),
        ];
        for (ms, (days, increments)) in cases {
            let dt = datetime2(ms).unwrap();
            assert_eq!(
                (dt.date().days(), dt.time().increments(), dt.time().scale()),
                (days, increments, 3),
                "{ms}"
            );
        }
        assert!(datetime2(MAX_TIME_MS + 1).is_err());
        assert!(datetime2(MIN_TIME_MS - 1).is_err());
    }
}
