//! Amounts as the API writes them: decimal strings in the order's
//! currency. Formatting varies by market the way live data does (`"12.5"`
//! and `"12.50"` both occur), and a corrupt amount is written the way a
//! broken upstream would write it.

use crate::world::money::Currency;

/// The amount of `minor` units as the API writes it.
pub(crate) fn amount(c: Currency, minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if c.decimals == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10u64.pow(c.decimals);
    let whole = abs / scale;
    let mut fraction = format!("{:0width$}", abs % scale, width = c.decimals as usize);
    if c.trim_zeros {
        while fraction.ends_with('0') {
            fraction.pop();
        }
    }
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// A deliberately broken amount (for reject-path tests): the decimal comma
/// of many locales, e.g. `"12,50"`, or `"5000,00"` with no decimals.
pub(crate) fn corrupt_amount(c: Currency, minor: i64) -> String {
    let text = amount(c, minor);
    if text.contains('.') {
        text.replace('.', ",")
    } else {
        format!("{text},00")
    }
}

/// A rate (in units of 1e-5, e.g. 7250 = 7.25 %) as text: "0.0725".
pub(crate) fn rate(rate_e5: u32) -> String {
    let mut text = format!("{}.{:05}", rate_e5 / 100_000, rate_e5 % 100_000);
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.push('0');
    }
    text
}

#[cfg(test)]
const USD: Currency = Currency {
    code: "USD",
    decimals: 2,
    trim_zeros: true,
};
#[cfg(test)]
const GBP: Currency = Currency {
    code: "GBP",
    decimals: 2,
    trim_zeros: false,
};
#[cfg(test)]
const IDR: Currency = Currency {
    code: "IDR",
    decimals: 0,
    trim_zeros: true,
};

#[test]
fn formats_like_the_api() {
    assert_eq!(amount(USD, 1250), "12.5");
    assert_eq!(amount(USD, 1200), "12");
    assert_eq!(amount(USD, 1), "0.01");
    assert_eq!(amount(USD, 0), "0");
    assert_eq!(amount(GBP, 150), "1.50");
    assert_eq!(amount(GBP, 0), "0.00");
    assert_eq!(amount(IDR, 150_000), "150000");
    assert_eq!(amount(USD, -5), "-0.05");
}

#[test]
fn corrupt_amounts_are_not_numbers() {
    assert_eq!(corrupt_amount(GBP, 1250), "12,50");
    assert_eq!(corrupt_amount(IDR, 5000), "5000,00");
    for text in [
        corrupt_amount(GBP, 1250),
        corrupt_amount(IDR, 5000),
        corrupt_amount(USD, 1200),
    ] {
        assert!(text.parse::<f64>().is_err(), "{text}");
    }
}

#[test]
fn rates_are_written_without_trailing_zeros() {
    assert_eq!(rate(7250), "0.0725");
    assert_eq!(rate(8875), "0.08875");
    assert_eq!(rate(0), "0.0");
    assert_eq!(rate(100_000), "1.0");
}
