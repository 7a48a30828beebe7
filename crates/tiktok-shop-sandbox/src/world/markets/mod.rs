//! Markets: what differs between the countries a shop sells into (currency
//! and its decimals, address levels, names, carriers, phone masks, taxes).
//!
//! The tables are in `markets_west` (US, UK, Japan) and `markets_east`
//! (Indonesia, Vietnam, Malaysia); this module says what a market is and
//! which markets each configured shop sells into. A real shop
//! has one region; the sandbox lets each shop sell into a few, so a single
//! run meets USD and GBP next to IDR and VND without configuring many shops.

use super::markets_east::{ID, MY, VN};
use super::markets_west::{GB, JP, US};
use super::money::Currency;

/// One country a shop sells into.
#[derive(Debug)]
pub(crate) struct Market {
    pub region: &'static str,
    /// `address_name` of the L0 (country) level of `district_info`.
    pub country: &'static str,
    pub currency: Currency,
    /// Minor units of this currency per US cent, as `(numerator, denominator)`.
    pub fx: (i64, i64),
    /// Prices are whole multiples of this many minor units.
    pub price_step: i64,
    /// The original shipping fee of an order, in minor units.
    pub shipping_fee: i64,
    /// Orders whose subtotal reaches this get free shipping (a discount).
    pub free_shipping_over: i64,
    /// `address_level_name` of L0, L1, ... (their count sets the depth).
    pub level_names: &'static [&'static str],
    pub places: &'static [Place],
    pub people: &'static [Person],
    pub streets: &'static [&'static str],
    pub carriers: &'static [Carrier],
    pub payment_methods: &'static [&'static str],
    /// The masked phone number; `#` becomes a digit.
    pub phone: &'static str,
    /// How often a paid order is held first (ON_HOLD), per mille.
    pub on_hold_per_mille: u32,
    /// How often an order is cash on delivery, per mille.
    pub cod_per_mille: u32,
    pub delivery_options: &'static [&'static str],
}

/// A place below the country: its district levels from L1 down.
#[derive(Debug)]
pub(crate) struct Place {
    pub levels: &'static [&'static str],
    /// ISO 3166-2 code of the L1 level (sent as `iso_code`).
    pub iso: &'static str,
    /// The postal code; `#` becomes a digit.
    pub postal: &'static str,
    /// Sales tax rate in units of 1e-5 (US only; 0 elsewhere: VAT is included).
    pub tax_e5: u32,
    /// Retail delivery fee in minor units (Colorado, Minnesota).
    pub retail_delivery_fee: i64,
}

/// A buyer's name, with a local-script reading where the market has one.
#[derive(Debug)]
pub(crate) struct Person {
    /// The display name, in the market's usual order.
    pub name: &'static str,
    pub first: &'static str,
    pub last: &'static str,
    pub local: Option<(&'static str, &'static str)>,
}

#[derive(Debug)]
pub(crate) struct Carrier {
    pub name: &'static str,
    pub tracking_prefix: &'static str,
    /// Digits after the prefix.
    pub digits: usize,
}

/// A place without sales tax.
pub(crate) const fn place(
    levels: &'static [&'static str],
    iso: &'static str,
    postal: &'static str,
) -> Place {
    taxed(levels, iso, postal, 0, 0)
}

/// A US place: sales tax rate (1e-5) and retail delivery fee (cents).
pub(crate) const fn taxed(
    levels: &'static [&'static str],
    iso: &'static str,
    postal: &'static str,
    tax_e5: u32,
    retail_delivery_fee: i64,
) -> Place {
    Place {
        levels,
        iso,
        postal,
        tax_e5,
        retail_delivery_fee,
    }
}

pub(crate) const fn person(name: &'static str, first: &'static str, last: &'static str) -> Person {
    Person {
        name,
        first,
        last,
        local: None,
    }
}

/// A person whose name also has a local-script (katakana) reading.
pub(crate) const fn person_local(
    name: &'static str,
    (first, last): (&'static str, &'static str),
    local: (&'static str, &'static str),
) -> Person {
    Person {
        name,
        first,
        last,
        local: Some(local),
    }
}

pub(crate) const fn carrier(
    name: &'static str,
    tracking_prefix: &'static str,
    digits: usize,
) -> Carrier {
    Carrier {
        name,
        tracking_prefix,
        digits,
    }
}

impl Market {
    /// A price given in US cents, in this currency, on the market's step.
    pub(crate) fn price(&self, usd_cents: i64) -> i64 {
        let raw = usd_cents * self.fx.0 / self.fx.1;
        let step = self.price_step.max(1);
        ((raw + step / 2) / step * step).max(step)
    }
}

/// Markets a shop sells into, with relative weights: shop 0 the US, UK and
/// Japan, shop 1 South-East Asia, and so on alternately.
pub(crate) fn markets_of_shop(shop_index: usize) -> &'static [(&'static Market, u32)] {
    const WEST: &[(&Market, u32)] = &[(&US, 55), (&GB, 30), (&JP, 15)];
    const EAST: &[(&Market, u32)] = &[(&ID, 40), (&VN, 40), (&MY, 20)];
    if shop_index % 2 == 0 { WEST } else { EAST }
}

/// The region reported for a shop (its main market).
pub(crate) fn home_region(shop_index: usize) -> &'static str {
    markets_of_shop(shop_index)[0].0.region
}

/// Fills `#` in a template with digits from `rng`.
pub(crate) fn fill_digits(template: &str, rng: &mut super::rng::Rng) -> String {
    template
        .chars()
        .map(|c| {
            if c == '#' {
                char::from(b'0' + rng.below(10) as u8)
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_market_table_is_usable() {
        for market in [&US, &GB, &JP, &ID, &VN, &MY] {
            assert!(!market.places.is_empty(), "{}", market.region);
            assert!(!market.people.is_empty() && !market.streets.is_empty());
            assert!(!market.carriers.is_empty() && !market.payment_methods.is_empty());
            assert!(!market.delivery_options.is_empty());
            for place in market.places {
                assert_eq!(
                    place.levels.len() + 1,
                    market.level_names.len(),
                    "{}",
                    market.region
                );
            }
            assert!(market.price(1) >= market.price_step);
        }
    }

    #[test]
    fn prices_convert_on_the_step() {
        assert_eq!(US.price(1999), 1999);
        assert_eq!(ID.price(1999) % ID.price_step, 0);
        assert_eq!(VN.price(1999) % 1000, 0);
        assert_eq!(ID.currency.decimals, 0);
    }
}
