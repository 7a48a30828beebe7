//! Money as the API sends it: decimal strings in the order's currency.
//!
//! Amounts are computed as integers of minor units (cents, or whole rupiah
//! and dong for currencies without decimals), so the parts of an order add
//! up exactly, and only formatted as text at the end. Formatting varies by
//! market the way live data does (`"12.5"` and `"12.50"` both occur).

use super::basket::LinePlan;
use super::generator::OrderPlan;
use super::json::Obj;
use super::markets::{Market, Place};
use super::rng::Rng;

/// How a currency is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Currency {
    pub code: &'static str,
    /// Digits after the decimal point (0 for IDR, VND, JPY).
    pub decimals: u32,
    /// `"12.5"` instead of `"12.50"`, `"12"` instead of `"12.00"`.
    pub trim_zeros: bool,
}

impl Currency {
    /// The amount of `minor` units as the API writes it.
    pub(crate) fn format(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        if self.decimals == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(self.decimals);
        let whole = abs / scale;
        let mut fraction = format!("{:0width$}", abs % scale, width = self.decimals as usize);
        if self.trim_zeros {
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

    /// A deliberately broken amount (for reject-path tests): the decimal
    /// comma of many locales, e.g. `"12,50"`, or `"5000,00"` with no decimals.
    pub(crate) fn format_corrupt(&self, minor: i64) -> String {
        let text = self.format(minor);
        if text.contains('.') {
            text.replace('.', ",")
        } else {
            format!("{text},00")
        }
    }

    /// The rate (in units of 1e-5, e.g. 7250 = 7.25 %) as text: "0.0725".
    pub(crate) fn format_rate(rate_e5: u32) -> String {
        let mut text = format!("{}.{:05}", rate_e5 / 100_000, rate_e5 % 100_000);
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.push('0');
        }
        text
    }
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

/// The order amounts from its lines, shipping and the buyer's taxes.
impl Payment {
    pub(crate) fn of(rng: &mut Rng, market: &Market, place: &Place, lines: &[LinePlan]) -> Payment {
        let mut p = Payment {
            tax_rate_e5: place.tax_e5,
            ..Payment::default()
        };
        for line in lines {
            p.original_total_product_price += line.original;
            p.seller_discount += line.seller_discount;
            p.platform_discount += line.platform_discount;
            p.product_tax += line.tax;
        }
        p.sub_total = p.original_total_product_price - p.seller_discount - p.platform_discount;
        p.original_shipping_fee = market.shipping_fee;
        if p.sub_total >= market.free_shipping_over {
            if rng.chance(500) {
                p.shipping_fee_seller_discount = p.original_shipping_fee;
            } else {
                p.shipping_fee_platform_discount = p.original_shipping_fee;
            }
        } else if rng.chance(150) {
            p.shipping_fee_platform_discount =
                percent_of(p.original_shipping_fee, 50, market.price_step);
        }
        p.shipping_fee = p.original_shipping_fee
            - p.shipping_fee_seller_discount
            - p.shipping_fee_platform_discount;
        p.shipping_fee_tax = apply_rate(p.shipping_fee, p.tax_rate_e5);
        p.tax = p.product_tax + p.shipping_fee_tax;
        p.retail_delivery_fee = place.retail_delivery_fee;
        p.total_amount = p.sub_total + p.shipping_fee + p.tax + p.retail_delivery_fee;
        p
    }
}

/// `payment` as the API writes it (`total_amount` broken on purpose for
/// orders chosen by `corrupt_every`).
pub(crate) fn payment_json(plan: &OrderPlan) -> String {
    let p = &plan.payment;
    let c: Currency = plan.market.currency;
    let mut o = Obj::new();
    o.str("currency", c.code);
    for (key, amount) in [
        (
            "original_total_product_price",
            p.original_total_product_price,
        ),
        ("seller_discount", p.seller_discount),
        ("platform_discount", p.platform_discount),
        ("sub_total", p.sub_total),
        ("original_shipping_fee", p.original_shipping_fee),
        (
            "shipping_fee_seller_discount",
            p.shipping_fee_seller_discount,
        ),
        (
            "shipping_fee_platform_discount",
            p.shipping_fee_platform_discount,
        ),
        ("shipping_fee", p.shipping_fee),
        ("tax", p.tax),
    ] {
        o.str(key, &c.format(amount));
    }
    if p.tax_rate_e5 > 0 {
        o.str("product_tax", &c.format(p.product_tax));
        o.str("shipping_fee_tax", &c.format(p.shipping_fee_tax));
    }
    if p.retail_delivery_fee > 0 {
        o.str("retail_delivery_fee", &c.format(p.retail_delivery_fee));
    }
    let total = if plan.corrupt {
        c.format_corrupt(p.total_amount)
    } else {
        c.format(p.total_amount)
    };
    o.str("total_amount", &total);
    o.finish()
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

#[cfg(test)]
mod tests {
    use super::*;

    const USD: Currency = Currency {
        code: "USD",
        decimals: 2,
        trim_zeros: true,
    };
    const GBP: Currency = Currency {
        code: "GBP",
        decimals: 2,
        trim_zeros: false,
    };
    const IDR: Currency = Currency {
        code: "IDR",
        decimals: 0,
        trim_zeros: true,
    };

    #[test]
    fn formats_like_the_api() {
        assert_eq!(USD.format(1250), "12.5");
        assert_eq!(USD.format(1200), "12");
        assert_eq!(USD.format(1), "0.01");
        assert_eq!(USD.format(0), "0");
        assert_eq!(GBP.format(150), "1.50");
        assert_eq!(GBP.format(0), "0.00");
        assert_eq!(IDR.format(150_000), "150000");
        assert_eq!(USD.format(-5), "-0.05");
    }

    #[test]
    fn corrupt_amounts_are_not_numbers() {
        assert_eq!(GBP.format_corrupt(1250), "12,50");
        assert_eq!(IDR.format_corrupt(5000), "5000,00");
        for text in [
            GBP.format_corrupt(1250),
            IDR.format_corrupt(5000),
            USD.format_corrupt(1200),
        ] {
            assert!(text.parse::<f64>().is_err(), "{text}");
        }
    }

    #[test]
    fn rates_round_half_up_in_integers() {
        assert_eq!(apply_rate(1000, 7250), 73); // 72.5 -> 73
        assert_eq!(apply_rate(999, 8875), 89); // 88.66 -> 89
        assert_eq!(Currency::format_rate(7250), "0.0725");
        assert_eq!(Currency::format_rate(8875), "0.08875");
        assert_eq!(Currency::format_rate(0), "0.0");
        assert_eq!(percent_of(12_345, 10, 100), 1200);
    }
}
