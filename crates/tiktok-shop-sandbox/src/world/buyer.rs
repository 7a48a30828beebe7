//! Buyers: who they are (a pool per shop and market, so the same buyer
//! comes back with the same name, address and user id) and how the API
//! shows them: relay e-mail, masked phone, and the recipient address with
//! its `district_info` levels (L0 country down to L3/L4), in the market's
//! own script.

use super::generator::{OrderPlan, Shop};
use super::json::{Obj, array};
use super::markets::{Market, Person, Place, fill_digits};
use super::rng::{Rng, combine, permute};

const RELAY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Who bought: the same buyer index always has the same name and address.
#[derive(Debug, Clone)]
pub(crate) struct Buyer {
    pub user_id: u64,
    pub person: &'static Person,
    pub place: &'static Place,
    pub street: &'static str,
    /// Seeds the buyer's digits (postal code, phone, e-mail).
    pub seed: u64,
}

impl Buyer {
    /// Buyer `index` of the pool of a shop's market.
    pub(crate) fn choose(
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
}

/// The anonymised relay address TikTok gives sellers.
pub(crate) fn buyer_email(buyer: &Buyer) -> String {
    let mut rng = Rng::new(combine(buyer.seed, 1));
    let local: String = (0..6)
        .map(|_| char::from(*rng.pick(RELAY_ALPHABET)))
        .collect();
    format!("{local}@scs.tiktokw.us")
}

/// `recipient_address` (only served once the order left UNPAID/ON_HOLD).
pub(crate) fn recipient_address(plan: &OrderPlan) -> String {
    let buyer = &plan.buyer;
    let market = plan.market;
    let place = buyer.place;
    let mut rng = Rng::new(combine(buyer.seed, 2));
    let postal = fill_digits(place.postal, &mut rng);
    let mut o = Obj::new();
    o.str("name", buyer.person.name);
    o.str("first_name", buyer.person.first);
    o.str("last_name", buyer.person.last);
    if let Some((first, last)) = buyer.person.local {
        o.str("first_name_local_script", first);
        o.str("last_name_local_script", last);
    }
    o.str("phone_number", &fill_digits(market.phone, &mut rng));
    o.str("address_detail", buyer.street);
    o.str("address_line1", buyer.street);
    o.str("address_line2", if rng.chance(300) { "Apt 2" } else { "" });
    let locality: Vec<&str> = place.levels.iter().rev().copied().collect();
    o.str(
        "full_address",
        &format!("{}, {} {}", buyer.street, locality.join(", "), postal),
    );
    o.str("postal_code", &postal);
    o.str("region_code", market.region);
    if market.region == "GB" {
        o.opt_str("post_town", place.levels.last().copied());
    }
    if market.region == "US" && rng.chance(300) {
        o.raw(
            "delivery_preferences",
            r#"{"drop_off_location":"Front Door"}"#,
        );
    }
    let names = std::iter::once(market.country).chain(place.levels.iter().copied());
    let levels = names.enumerate().map(|(i, name)| {
        let mut level = Obj::new();
        level.str("address_level_name", market.level_names[i]);
        level.str("address_name", name);
        level.str("address_level", &format!("L{i}"));
        level.opt_str(
            "iso_code",
            [Some(market.region), Some(place.iso)]
                .get(i)
                .copied()
                .flatten(),
        );
        level.finish()
    });
    o.raw("district_info", &array(levels));
    o.finish()
}
