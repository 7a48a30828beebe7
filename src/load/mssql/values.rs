//! Staged Arrow values as TDS values for the bulk load.
//!
//! | staged | Arrow | SQL Server | TDS value |
//! |---|---|---|---|
//! | Text(n) | Utf8 | NVARCHAR(n) | `ColumnData::String` |
//! | Money | Decimal128(19, 4) | DECIMAL(19,4) | `Numeric`, scale 4, the same i128 |
//! | Time | Timestamp(ms, UTC) | DATETIME2(3) | `DateTime2` at scale 3 |
//! | Bool | Boolean | BIT | `ColumnData::Bit` |
//! | Int | Int32 | INT | `ColumnData::I32` |
//!
//! Money keeps its 10^-4 units as they are, so no value is ever rounded.
//! Times are built at scale 3, the column's: tiberius rescales other scales
//! through f64, which could move a millisecond.

use std::borrow::Cow;

use arrow::array::Array;
use tiberius::numeric::Numeric;
use tiberius::time::{Date, DateTime2, Time};
use tiberius::{ColumnData, TokenRow};

use super::super::columns::{StagedColumns, Values};
use super::super::error::LoadError;
use super::super::input::{MAX_TIME_MS, MIN_TIME_MS};
use crate::money;

const MS_PER_DAY: i64 = 86_400_000;
/// Days from 0001-01-01 (day 0 of DATE) to 1970-01-01.
const UNIX_EPOCH_DAY: i64 = 719_162;

/// A DECIMAL(19,4) value of `units` × 10^-4.
pub(super) fn numeric(units: i128) -> Numeric {
    // The scale is 4: far below the 38 tiberius asserts on.
    Numeric::new_with_scale(units, money::SCALE.unsigned_abs())
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
            Values::Money(a) => ColumnData::Numeric(a.is_valid(row).then(|| numeric(a.value(row)))),
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

    #[test]
    fn decimal128_units_become_numeric_exactly() {
        for (units, text) in [
            (1i128, "0.0001"),
            (-123_456_789_012_345_678, "-12345678901234.5678"),
            (999_999_999_999_999_999, "99999999999999.9999"),
            (123_400, "12.3400"),
            (0, "0.0000"),
        ] {
            let n = numeric(units);
            assert_eq!((n.value(), n.scale()), (units, 4), "{text}");
            assert!(
                n.precision() <= 19,
                "{text} needs precision {}",
                n.precision()
            );
            let whole = units / 10_000;
            let fraction = (units % 10_000).abs();
            let sign = if units < 0 && whole == 0 { "-" } else { "" };
            assert_eq!(format!("{sign}{whole}.{fraction:04}"), text);
        }
    }

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
