//! What is in an order: a few SKUs, each bought one or more times, and
//! one line item per unit (API 202309 has no quantity field: a client
//! counts the line items sharing a `sku_id`). Units of one SKU share its
//! prices and discounts but each has its own line item id.

use crate::world::catalog::{Sku, all_skus};
use crate::world::markets::market::Market;
use crate::world::money::{apply_rate, percent_of};
use crate::world::plan::LinePlan;
use crate::world::rng::{Rng, combine, permute};

/// Line items beyond this are not generated (ids leave room for 32).
const MAX_LINES: usize = 16;

/// The line items: one per unit, units of a SKU sharing its prices.
pub(crate) fn basket(
    rng: &mut Rng,
    market: &Market,
    order_number: u64,
    seed: u64,
    tax_e5: u32,
) -> Vec<LinePlan> {
    let skus: Vec<Sku> = all_skus().collect();
    let distinct = 1 + rng.weighted(&[60, 28, 12]);
    let mut lines = Vec::new();
    let mut chosen: Vec<Sku> = Vec::new();
    for _ in 0..distinct {
        let sku = *rng.pick(&skus);
        if chosen.contains(&sku) {
            continue;
        }
        chosen.push(sku);
        let quantity = [1, 2, 3, 5][rng.weighted(&[75, 17, 6, 2])];
        let original = sku.list_price(market);
        let step = market.price_step;
        let seller_discount = if rng.chance(300) {
            percent_of(original, rng.range(5, 30), step)
        } else {
            0
        };
        let platform_discount = if rng.chance(200) {
            percent_of(original, rng.range(5, 15), step)
        } else {
            0
        };
        let sale = original - seller_discount - platform_discount;
        for _ in 0..quantity {
            if lines.len() == MAX_LINES {
                break;
            }
            let number = order_number * 32 + lines.len() as u64;
            lines.push(LinePlan {
                id: 581_000_000_000_000_000 + permute(number, combine(seed, 3), 57),
                sku,
                original,
                seller_discount,
                platform_discount,
                tax: apply_rate(sale, tax_e5),
                package: 0,
            });
        }
    }
    lines
}
