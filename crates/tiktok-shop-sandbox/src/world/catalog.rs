//! What the shops sell: a fixed list of products, each with a few SKUs.
//!
//! Product and SKU ids are keyed by shop, so two shops never share one, and
//! the same SKU always has the same id, name and price: that is what lets a
//! client count units by `sku_id` (one line item per unit, no quantity).

use crate::world::markets::market::Market;
use crate::world::rng::{combine, mix, permute};

/// One product template.
#[derive(Debug)]
pub(crate) struct Product {
    pub name: &'static str,
    pub code: &'static str,
    /// SKU names ("Black, M" style) and the seller SKU suffix of each.
    pub skus: &'static [(&'static str, &'static str)],
    /// List price of the first SKU in US cents; later SKUs cost a bit more.
    pub usd_cents: i64,
}

const fn product(
    name: &'static str,
    code: &'static str,
    skus: &'static [(&'static str, &'static str)],
    usd_cents: i64,
) -> Product {
    Product {
        name,
        code,
        skus,
        usd_cents,
    }
}

pub(crate) static PRODUCTS: &[Product] = &[
    product(
        "Women's Winter Crochet Cardigan",
        "CARD",
        &[
            ("Cream, S", "CRM-S"),
            ("Cream, M", "CRM-M"),
            ("Black, L", "BLK-L"),
        ],
        3299,
    ),
    product(
        "Wireless Earbuds Pro with Charging Case",
        "EARB",
        &[("White", "WHT"), ("Black", "BLK")],
        4999,
    ),
    product(
        "Stainless Steel Tumbler 40oz",
        "TMBL",
        &[("Sage", "SGE"), ("Rose", "RSE"), ("Navy", "NVY")],
        2499,
    ),
    product(
        "LED Strip Lights 10m RGB",
        "LEDS",
        &[("10m", "10M"), ("20m", "20M")],
        1599,
    ),
    product("Hydrating Face Serum 30ml", "SERM", &[("30ml", "30")], 1899),
    product(
        "Áo thun nam cổ tròn cotton",
        "ATHN",
        &[("Trắng, M", "TRG-M"), ("Đen, L", "DEN-L")],
        899,
    ),
    product(
        "ステンレス タンブラー 500ml",
        "TMBJ",
        &[("シルバー", "SLV"), ("ブラック", "BLK")],
        2199,
    ),
    product(
        "Kaos Polos Pria Premium",
        "KAOS",
        &[("Hitam, L", "HTM-L"), ("Putih, XL", "PTH-XL")],
        699,
    ),
    product(
        "Phone Case for iPhone 15 \"Clear\" MagSafe",
        "CASE",
        &[("iPhone 15", "15"), ("iPhone 15 Pro", "15P")],
        1299,
    ),
    product(
        "Yoga Mat 6mm Non-Slip",
        "YOGA",
        &[("Purple", "PRP"), ("Grey", "GRY")],
        2799,
    ),
    product(
        "Mini Portable Blender",
        "BLND",
        &[("Pink", "PNK"), ("Green", "GRN")],
        2999,
    ),
    product(
        "Gel Pens Set (24 colours)",
        "PENS",
        &[("24 pcs", "24")],
        999,
    ),
    product(
        "Cordless Hair Straightener",
        "HAIR",
        &[("UK plug", "UK"), ("US plug", "US")],
        5999,
    ),
    product(
        "Kids' Building Blocks 500 pcs",
        "BLOK",
        &[("500 pcs", "500"), ("1000 pcs", "1000")],
        3999,
    ),
];

/// A SKU of a shop: indexes into [`PRODUCTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Sku {
    pub product: usize,
    pub variant: usize,
}

impl Sku {
    pub(crate) fn product(self) -> &'static Product {
        &PRODUCTS[self.product]
    }

    pub(crate) fn name(self) -> &'static str {
        self.product().skus[self.variant].0
    }

    pub(crate) fn seller_sku(self) -> String {
        format!(
            "{}-{}",
            self.product().code,
            self.product().skus[self.variant].1
        )
    }

    /// The 19-digit product id in a shop.
    pub(crate) fn product_id(self, shop_key: u64) -> u64 {
        1_729_000_000_000_000_000 + permute(self.product as u64, mix(shop_key ^ 0x50), 48)
    }

    /// The 19-digit SKU id in a shop.
    pub(crate) fn sku_id(self, shop_key: u64) -> u64 {
        let index = (self.product as u64) << 8 | self.variant as u64;
        2_729_000_000_000_000_000 + permute(index, mix(shop_key ^ 0x51), 48)
    }

    /// The unit list price in a market, in minor units.
    pub(crate) fn list_price(self, market: &Market) -> i64 {
        let cents = self.product().usd_cents * (100 + 8 * self.variant as i64) / 100;
        market.price(cents)
    }

    pub(crate) fn image(self, shop_key: u64) -> String {
        let hash = combine(shop_key, (self.product as u64) << 8 | self.variant as u64);
        format!(
            "https://p16-oec-va.ibyteimg.com/tos-maliva-i-o3syd03w52-us/{hash:016x}~tplv-o3syd03w52-origin-jpeg.jpeg"
        )
    }
}

/// Every SKU of the catalog, in a fixed order.
pub(crate) fn all_skus() -> impl Iterator<Item = Sku> {
    PRODUCTS
        .iter()
        .enumerate()
        .flat_map(|(product, p)| (0..p.skus.len()).map(move |variant| Sku { product, variant }))
}

#[cfg(test)]
use std::collections::HashSet;

#[test]
fn ids_are_unique_per_shop_and_19_digits() {
    let skus: Vec<Sku> = all_skus().collect();
    for shop_key in [1u64, 2] {
        let ids: HashSet<u64> = skus.iter().map(|s| s.sku_id(shop_key)).collect();
        assert_eq!(ids.len(), skus.len());
        assert!(ids.iter().all(|id| id.to_string().len() == 19));
        assert!(
            skus.iter()
                .all(|s| s.product_id(shop_key).to_string().len() == 19)
        );
    }
    assert_ne!(skus[0].sku_id(1), skus[0].sku_id(2));
    assert_eq!(skus[0].seller_sku(), "CARD-CRM-S");
}
