//! How the API shows a buyer: the relay e-mail TikTok gives sellers, the
//! masked phone, and the recipient address with its `district_info` levels
//! (L0 country down to L3/L4), in the market's own script.

use crate::render::json::{Obj, array};
use crate::world::plan::{Buyer, OrderPlan};
use crate::world::rng::{Rng, combine};

const RELAY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

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
    let postal = rng.fill(place.postal);
    let mut o = Obj::new();
    o.str("name", buyer.person.name);
    o.str("first_name", buyer.person.first);
    o.str("last_name", buyer.person.last);
    if let Some((first, last)) = buyer.person.local {
        o.str("first_name_local_script", first);
        o.str("last_name_local_script", last);
    }
    o.str("phone_number", &rng.fill(market.phone));
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
