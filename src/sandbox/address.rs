//! The buyer as the API shows them: relay e-mail, masked phone, and the
//! recipient address with its `district_info` levels (L0 country down to
//! L3/L4), written in the market's own script.

use serde_json::{Value, json};

use super::generator::{Buyer, OrderPlan};
use super::markets::fill_digits;
use super::render::Obj;
use super::rng::{Rng, combine};

const RELAY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The anonymised relay address TikTok gives sellers.
pub(crate) fn buyer_email(buyer: &Buyer) -> String {
    let mut rng = Rng::new(combine(buyer.seed, 1));
    let local: String = (0..6).map(|_| char::from(*rng.pick(RELAY_ALPHABET))).collect();
    format!("{local}@scs.tiktokw.us")
}

/// `recipient_address` (only served once the order left UNPAID/ON_HOLD).
pub(crate) fn recipient_address(plan: &OrderPlan) -> Value {
    let buyer = &plan.buyer;
    let market = plan.market;
    let place = buyer.place;
    let mut rng = Rng::new(combine(buyer.seed, 2));
    let postal = fill_digits(place.postal, &mut rng);
    let mut o = Obj::new();
    o.put("name", buyer.person.name);
    o.put("first_name", buyer.person.first);
    o.put("last_name", buyer.person.last);
    if let Some((first, last)) = buyer.person.local {
        o.put("first_name_local_script", first);
        o.put("last_name_local_script", last);
    }
    o.put("phone_number", fill_digits(market.phone, &mut rng));
    o.put("address_detail", buyer.street);
    o.put("address_line1", buyer.street);
    o.put("address_line2", if rng.chance(300) { "Apt 2" } else { "" });
    let locality: Vec<&str> = place.levels.iter().rev().copied().collect();
    o.put("full_address", format!("{}, {} {}", buyer.street, locality.join(", "), postal));
    o.put("postal_code", postal);
    o.put("region_code", market.region);
    if market.region == "GB" {
        o.opt("post_town", place.levels.last().copied());
    }
    if market.region == "US" && rng.chance(300) {
        o.put("delivery_preferences", json!({"drop_off_location": "Front Door"}));
    }
    let mut levels = vec![json!({
        "address_level_name": market.level_names[0],
        "address_name": market.country,
        "address_level": "L0",
        "iso_code": market.region,
    })];
    for (i, name) in place.levels.iter().enumerate() {
        let mut level = Obj::new();
        level.put("address_level_name", market.level_names[i + 1]);
        level.put("address_name", *name);
        level.put("address_level", format!("L{}", i + 1));
        if i == 0 {
            level.put("iso_code", place.iso);
        }
        levels.push(Value::Object(level.0));
    }
    o.put("district_info", levels);
    Value::Object(o.0)
}
