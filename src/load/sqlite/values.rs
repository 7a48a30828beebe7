//! Staged values as SQLite stores them (see `sql.rs` for the forms), bound
//! to the prepared statements of a load.
//!
//! The hot loop of a SQLite load: a run of a million line items has a
//! hundred million values. A row's money and times are formatted once, by
//! hand into one reused buffer (no `fmt` machinery, no allocation per
//! value), then bound to whichever statements the row needs; text, flags
//! and integers are bound straight from the Arrow arrays.

use arrow::array::Array;
use rusqlite::Statement;
use rusqlite::types::Null;

use super::super::columns::{StagedColumns, Values};

/// Where the value of one column of the current row is.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Null,
    /// Text straight from the Arrow array.
    Staged,
    /// `text[start..end]`.
    Formatted(usize, usize),
    Int(i64),
}

/// One staged row, ready to bind.
#[derive(Default)]
pub(super) struct Row {
    text: String,
    slots: Vec<Slot>,
}

impl Row {
    /// Reads row `row` of `batch`, formatting what needs formatting.
    pub fn fill(&mut self, batch: &StagedColumns<'_>, row: usize) {
        self.text.clear();
        self.slots.clear();
        for values in &batch.columns {
            let slot = match values {
                Values::Text(a) if a.is_valid(row) => Slot::Staged,
                Values::Money(a) if a.is_valid(row) => {
                    let start = self.text.len();
                    write_money(&mut self.text, a.value(row));
                    Slot::Formatted(start, self.text.len())
                }
                Values::Time(a) if a.is_valid(row) => {
                    let start = self.text.len();
                    write_time(&mut self.text, a.value(row));
                    Slot::Formatted(start, self.text.len())
                }
                Values::Bool(a) if a.is_valid(row) => Slot::Int(i64::from(a.value(row))),
                Values::Int(a) if a.is_valid(row) => Slot::Int(i64::from(a.value(row))),
                _ => Slot::Null,
            };
            self.slots.push(slot);
        }
    }

    /// Column `column` of the row as the table stores text (`None`: null or
    /// not text).
    pub fn text<'a>(
        &'a self,
        batch: &StagedColumns<'a>,
        row: usize,
        column: usize,
    ) -> Option<&'a str> {
        match (self.slots.get(column)?, batch.columns.get(column)?) {
            (Slot::Staged, Values::Text(a)) => Some(a.value(row)),
            (Slot::Formatted(start, end), _) => self.text.get(*start..*end),
            _ => None,
        }
    }

    /// Binds the staged columns the statement has (`?1…?N`, in `COLUMNS`
    /// order); other parameters are the caller's.
    pub fn bind(
        &self,
        statement: &mut Statement<'_>,
        batch: &StagedColumns<'_>,
        row: usize,
    ) -> rusqlite::Result<()> {
        let count = statement.parameter_count().min(self.slots.len());
        for (i, slot) in self.slots.iter().enumerate().take(count) {
            let index = i + 1;
            match (slot, &batch.columns[i]) {
                (Slot::Null, _) => statement.raw_bind_parameter(index, Null)?,
                (Slot::Staged, Values::Text(a)) => {
                    statement.raw_bind_parameter(index, a.value(row))?
                }
                (Slot::Formatted(start, end), _) => {
                    statement.raw_bind_parameter(index, &self.text[*start..*end])?
                }
                (Slot::Int(v), _) => statement.raw_bind_parameter(index, *v)?,
                (Slot::Staged, _) => statement.raw_bind_parameter(index, Null)?,
            }
        }
        Ok(())
    }
}

/// Appends `YYYY-MM-DDTHH:MM:SS.sssZ` of milliseconds since 1970 (UTC).
/// Input checks keep times within years 1 to 9999, where this form is
/// fixed-width, so text order is time order.
pub(super) fn write_time(out: &mut String, ms: i64) {
    let days = ms.div_euclid(86_400_000);
    let of_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let mut buf = [0u8; 24];
    put_digits(&mut buf[0..4], year.clamp(0, 9999) as u64);
    buf[4] = b'-';
    put_digits(&mut buf[5..7], u64::from(month));
    buf[7] = b'-';
    put_digits(&mut buf[8..10], u64::from(day));
    buf[10] = b'T';
    put_digits(&mut buf[11..13], (of_day / 3_600_000) as u64);
    buf[13] = b':';
    put_digits(&mut buf[14..16], (of_day / 60_000 % 60) as u64);
    buf[16] = b':';
    put_digits(&mut buf[17..19], (of_day / 1000 % 60) as u64);
    buf[19] = b'.';
    put_digits(&mut buf[20..23], (of_day % 1000) as u64);
    buf[23] = b'Z';
    // Every byte written above is an ASCII digit or separator.
    out.push_str(std::str::from_utf8(&buf).unwrap_or("invalid time"));
}

/// Year, month, day of days since 1970-01-01 (proleptic Gregorian; Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Writes `value` into `out` as zero-padded decimal digits.
fn put_digits(out: &mut [u8], mut value: u64) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Appends the exact decimal of `units` × 10^-4 with four places, as
/// `money::write` does (`12.3400`, `-0.5000`), without `fmt`.
pub(super) fn write_money(out: &mut String, units: i128) {
    let abs = units.unsigned_abs();
    let mut buf = [0u8; 48];
    let mut at = buf.len();
    let mut whole = abs / 10_000;
    let mut fraction = abs % 10_000;
    for _ in 0..4 {
        at -= 1;
        buf[at] = b'0' + (fraction % 10) as u8;
        fraction /= 10;
    }
    at -= 1;
    buf[at] = b'.';
    loop {
        at -= 1;
        buf[at] = b'0' + (whole % 10) as u8;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    if units < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or("invalid amount"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, SecondsFormat};

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

    #[test]
    fn hand_written_time_text_equals_chrono_over_the_years() {
        // Every 37 hours and 1 ms from 1900 to 2100, leap days included.
        let start = -2_208_988_800_000i64;
        let step = 37 * 3_600_000 + 1;
        let mut ms = start;
        let mut checked = 0;
        while ms < 4_102_444_800_000 && checked < 100_000 {
            let want = DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true);
            assert_eq!(time(ms), want, "{ms}");
            ms += step;
            checked += 1;
        }
        assert!(checked > 40_000, "{checked}");
    }

    #[test]
    fn hand_written_money_text_equals_money_write() {
        let mut cases = vec![0i128, 1, -1, 9_999, -9_999, 10_000, 123_400, -5_000];
        cases.extend([
            crate::money::MAX_UNITS,
            -crate::money::MAX_UNITS,
            i128::MAX,
            i128::MIN + 1,
        ]);
        for units in cases {
            let (mut ours, mut theirs) = (String::new(), String::new());
            write_money(&mut ours, units);
            crate::money::write(&mut theirs, units);
            assert_eq!(ours, theirs, "{units}");
        }
    }
}
