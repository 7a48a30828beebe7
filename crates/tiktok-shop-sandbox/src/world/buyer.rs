//! Buyers: a pool per shop and market, so the same buyer comes back with
//! the same name, address and user id, as repeat customers do.

use crate::world::markets::market::Market;
use crate::world::plan::{Buyer, Shop};
use crate::world::rng::{Rng, combine, permute};

/// Buyer `index` of the pool of a shop's market.
pub(crate) fn choose_buyer(
    seed: u64,
    shop: &Shop,
    market: &'static Market,
    market_slot: usize,
    index: u64,
) -> Buyer {
    let buyer_seed = combine(shop.key ^ (market_slot as u64 + 1).rotate_left(40), index);
    let mut rng = Rng::new(buyer_seed);
    let number = ((shop.index * 8 + market_slot) as u64) << 32 | (index & 0xFFFF_FFFF);
    Buyer {
        user_id: 7_000_000_000_000_000_000 + permute(number, combine(seed, 2), 60),
        person: rng.pick(market.people),
        place: rng.pick(market.places),
        street: rng.pick::<&str>(market.streets),
        seed: rng.next_u64(),
    }
}

#[cfg(test)]
use crate::world::markets::markets_of_shop;

#[test]
fn a_buyer_index_is_always_the_same_buyer_and_ids_never_collide() {
    let shop = Shop {
        index: 1,
        cipher: "ROW_B".into(),
        key: 42,
    };
    let market = markets_of_shop(1)[0].0;
    let a = choose_buyer(7, &shop, market, 0, 12);
    let again = choose_buyer(7, &shop, market, 0, 12);
    assert_eq!(format!("{a:?}"), format!("{again:?}"));
    let mut ids = std::collections::HashSet::new();
    for (slot, index) in [(0, 12), (0, 13), (1, 12), (2, 12)] {
        let buyer = choose_buyer(7, &shop, market, slot, index);
        assert_eq!(buyer.user_id.to_string().len(), 19);
        assert!(ids.insert(buyer.user_id), "{buyer:?}");
    }
}
