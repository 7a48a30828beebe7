//! Money, exactly: the API's decimal strings to units of 10^-4 and back.
//!
//! Staged money is `Decimal128(19, 4)` (SQL `DECIMAL(19,4)`), so an amount
//! is an `i128` count of ten-thousandths. It is parsed from the API's
//! strings without ever going through a float, and written back as the
//! exact decimal with four places (`12.3400`), as SQLite stores it and as
//! messages show it.

use std::fmt::Write as _;

/// Digits of a staged amount, and how many of them are decimals.
pub const PRECISION: u8 = 19;
pub const SCALE: i8 = 4;

/// The largest number of units DECIMAL(19,4) holds (either sign).
pub const MAX_UNITS: i128 = 9_999_999_999_999_999_999;

/// Parses a decimal string into units of 10^-4, exactly.
///
/// Accepts `-12`, `0.5`, `21.3000`; refuses exponents, separators, more than
/// four significant decimals (rounding would not be correct to the cent) and
/// values beyond DECIMAL(19,4).
pub fn parse(text: &str) -> Result<i128, &'static str> {
    let scale = SCALE as usize;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (digits.contains('.') && fraction.is_empty())
    {
        return Err("is not a decimal number");
    }
    let significant = fraction.trim_end_matches('0');
    if significant.len() > scale {
        return Err("has more than 4 decimal places");
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > usize::from(PRECISION) - scale {
        return Err("is too large for DECIMAL(19,4)");
    }
    // At most 19 digits, all checked above: no overflow.
    let units = (whole.bytes().chain(significant.bytes()))
        .fold(0i128, |n, digit| n * 10 + i128::from(digit - b'0'))
        * 10i128.pow((scale - significant.len()) as u32);
    Ok(if negative { -units } else { units })
}

/// Appends the exact decimal of `units` × 10^-4 with four places:
/// `12.3400`, `-0.5000`.
pub fn write(out: &mut String, units: i128) {
    let abs = units.unsigned_abs();
    let sign = if units < 0 { "-" } else { "" };
    let _ = write!(out, "{sign}{}.{:04}", abs / 10_000, abs % 10_000);
}

/// [`write`] into a new string.
pub fn format(units: i128) -> String {
    let mut out = String::new();
    write(&mut out, units);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact_and_strict() {
        assert_eq!(parse("5000"), Ok(50_000_000));
        assert_eq!(parse("21.3"), Ok(213_000));
        assert_eq!(parse("0.01"), Ok(100));
        assert_eq!(parse("0.0001"), Ok(1));
        assert_eq!(parse("-1.28"), Ok(-12_800));
        assert_eq!(parse("1.50000"), Ok(15_000));
        assert_eq!(parse("000123.4"), Ok(1_234_000));
        assert_eq!(parse("999999999999999.9999"), Ok(MAX_UNITS));
        for bad in [
            "",
            "12,50",
            "1e3",
            "0.00001",
            "1.",
            ".5",
            "abc",
            "1 000",
            "--1",
            "1000000000000000",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn money_formats_back_with_four_places() {
        for (units, text) in [
            (213_000, "21.3000"),
            (1, "0.0001"),
            (-12_800, "-1.2800"),
            (0, "0.0000"),
            (-5_000, "-0.5000"),
            (-123_456_789_012_345_678, "-12345678901234.5678"),
            (MAX_UNITS, "999999999999999.9999"),
        ] {
            assert_eq!(format(units), text);
            assert_eq!(parse(text), Ok(units), "{text} round-trips");
        }
    }
}
