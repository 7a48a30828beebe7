//! Staged values as SQLite stores them (see `sql.rs` for the forms).
//!
//! Written by hand rather than through a formatter: a million rows have
//! tens of millions of values, and this is the hot loop of a SQLite load.

use std::fmt::Write as _;

use arrow::array::Array;
use chrono::{DateTime, Datelike, Timelike};
use rusqlite::Statement;
use rusqlite::types::Null;

use super::super::columns::{StagedColumns, Values};
use crate::money;

/// `YYYY-MM-DDTHH:MM:SS.sssZ` of milliseconds since 1970 (UTC). Input checks
/// keep times within years 1 to 9999, where this form is fixed-width.
pub(super) fn write_time(out: &mut String, ms: i64) {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) => {
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.timestamp_subsec_millis()
            );
        }
        None => out.push_str("invalid time"),
    }
}

/// Binds row `row` of `batch` to the `?1…?N` of `statement` (columns in
/// `COLUMNS` order). `scratch` is reused for the values that need text.
pub(super) fn bind_row(
    statement: &mut Statement<'_>,
    batch: &StagedColumns<'_>,
    row: usize,
    scratch: &mut String,
) -> rusqlite::Result<()> {
    for (i, values) in batch.columns.iter().enumerate() {
        let index = i + 1;
        let valid = match values {
            Values::Text(a) => a.is_valid(row),
            Values::Money(a) => a.is_valid(row),
            Values::Time(a) => a.is_valid(row),
            Values::Bool(a) => a.is_valid(row),
            Values::Int(a) => a.is_valid(row),
        };
        if !valid {
            statement.raw_bind_parameter(index, Null)?;
            continue;
        }
        match values {
            Values::Text(a) => statement.raw_bind_parameter(index, a.value(row))?,
            Values::Money(a) => {
                scratch.clear();
                money::write(scratch, a.value(row));
                statement.raw_bind_parameter(index, scratch.as_str())?;
            }
            Values::Time(a) => {
                scratch.clear();
                write_time(scratch, a.value(row));
                statement.raw_bind_parameter(index, scratch.as_str())?;
            }
            Values::Bool(a) => statement.raw_bind_parameter(index, i64::from(a.value(row)))?,
            Values::Int(a) => statement.raw_bind_parameter(index, i64::from(a.value(row)))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(ms: i64) -> String {
        let mut s = String::new();
        write_time(&mut s, ms);
        s
    }

    #[test]
    fn times_are_fixed_width_utc_iso_text() {
        assert_eq!(time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(time(1_764_050_400_123), "2025-11-25T06:00:00.123Z");
        assert_eq!(time(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            time(crate::load::input::MIN_TIME_MS),
            "0001-01-01T00:00:00.000Z"
        );
        assert_eq!(
            time(crate::load::input::MAX_TIME_MS),
            "9999-12-31T23:59:59.999Z"
        );
    }
}
