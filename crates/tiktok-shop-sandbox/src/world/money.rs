//! Money as the world computes it: integers of minor units (cents, or whole
//! rupiah and dong for currencies without decimals), so the parts of an
//! order add up exactly. Writing amounts as the API's decimal strings is
//! the renderer's job; this module only says what a currency is and how
//! amounts are derived from one another.

/// What a currency is, as far as amounts and their text need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Currency {
    pub code: &'static str,
    /// Digits after the decimal point (0 for IDR, VND, JPY).
    pub decimals: u32,
    /// `"12.5"` instead of `"12.50"`, `"12"` instead of `"12.00"`.
    pub trim_zeros: bool,
}

/// The order's money, in minor units; the parts add up by construction.
#[derive(Debug, Clone, Default)]
pub(crate) struct Payment {
    pub original_total_product_price: i64,
    pub seller_discount: i64,
    pub platform_discount: i64,
    pub sub_total: i64,
    pub original_shipping_fee: i64,
    pub shipping_fee_seller_discount: i64,
    pub shipping_fee_platform_discount: i64,
    pub shipping_fee: i64,
    pub product_tax: i64,
    pub shipping_fee_tax: i64,
    pub tax: i64,
    pub retail_delivery_fee: i64,
    pub total_amount: i64,
    pub tax_rate_e5: u32,
}

/// `amount × rate_e5 / 100000`, rounded half up, in minor units.
pub(crate) fn apply_rate(amount: i64, rate_e5: u32) -> i64 {
    (amount * i64::from(rate_e5) + 50_000).div_euclid(100_000)
}

/// `amount × percent / 100` rounded down to a multiple of `step`.
pub(crate) fn percent_of(amount: i64, percent: i64, step: i64) -> i64 {
    let step = step.max(1);
    (amount * percent / 100) / step * step
}

#[test]
fn rates_round_half_up_in_integers() {
    assert_eq!(apply_rate(1000, 7250), 73); // 72.5 -> 73
    assert_eq!(apply_rate(999, 8875), 89); // 88.66 -> 89
    assert_eq!(apply_rate(0, 8875), 0);
    assert_eq!(percent_of(12_345, 10, 100), 1200);
    assert_eq!(percent_of(12_345, 10, 0), 1234);
}
