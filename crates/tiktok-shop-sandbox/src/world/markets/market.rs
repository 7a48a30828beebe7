//! What a market is: the things that differ between the countries a shop
//! sells into (currency and its decimals, address levels, names, carriers,
//! phone masks, taxes), and the small constructors the tables are written
//! with. The tables themselves are in `east` and `west`.

use crate::world::money::Currency;

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
