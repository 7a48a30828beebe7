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

#[test]
fn every_configured_shop_is_listed_with_its_cipher_and_seller_type() {
    let shared = Shared::new(crate::config::SandboxConfig::default());
    let reply = shops(&shared);
    let data: Value = serde_json::from_str(&reply.data).unwrap();
    let listed = data["shops"].as_array().unwrap();
    let ciphers: Vec<&str> = listed.iter().filter_map(|s| s["cipher"].as_str()).collect();
    assert_eq!(ciphers, ["GCP_SANDBOX_SHOP_0001", "ROW_SANDBOX_SHOP_0002"]);
    assert_eq!(listed[0]["seller_type"], "CROSS_BORDER");
    assert_eq!(listed[1]["seller_type"], "LOCAL");
    assert!(
        listed
            .iter()
            .all(|s| s["code"].as_str().is_some_and(|c| c.len() == 12))
    );
}
