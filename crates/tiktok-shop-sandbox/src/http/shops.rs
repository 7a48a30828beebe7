//! GET /authorization/202309/shops: the shops the access token may read,
//! with the ciphers the order APIs take (reference §0).

use serde_json::{Value, json};

use crate::http::response::Reply;
use crate::http::shared::Shared;
use crate::render::ids::named_id;
use crate::world::markets::home_region;
use crate::world::rng::{Rng, hash_str};

/// GET /authorization/202309/shops.
pub(crate) fn shops(shared: &Shared) -> Reply {
    let shops: Vec<Value> = shared
        .orders
        .shops
        .iter()
        .map(|shop| {
            let region = home_region(shop.index);
            let mut rng = Rng::new(hash_str(&shop.cipher));
            let code: String = (0..12).map(|_| char::from(*rng.pick(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))).collect();
            json!({
                "id": named_id(7_000_000_000_000_000_000, &shop.cipher),
                "name": format!("Sandbox Shop {} ({region})", shop.index + 1),
                "region": region,
                "seller_type": if shop.cipher.starts_with("GCP_") { "CROSS_BORDER" } else { "LOCAL" },
                "cipher": shop.cipher,
                "code": code,
            })
        })
        .collect();
    Reply::ok(json!({ "shops": shops }))
}
