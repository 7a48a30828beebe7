//! Markets: which countries each configured shop sells into. A real shop
//! has one region; the sandbox lets each shop sell into a few, so a single
//! run meets USD and GBP next to IDR and VND without configuring many shops.
//! What a market is lives in `market`, the tables in `east` (Indonesia,
//! Vietnam, Malaysia) and `west` (US, UK, Japan).

pub(crate) mod east;
pub(crate) mod market;
pub(crate) mod west;

use crate::world::markets::east::{ID, MY, VN};
use crate::world::markets::market::Market;
use crate::world::markets::west::{GB, JP, US};

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
