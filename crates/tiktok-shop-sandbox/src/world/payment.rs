//! What an order costs: its amounts derived from its line items, the
//! market's shipping rules and the buyer's taxes. Computed once, when the
//! order is planned; the renderer only writes the result as text.

use crate::world::markets::market::{Market, Place};
use crate::world::money::{Payment, apply_rate, percent_of};
use crate::world::plan::LinePlan;
use crate::world::rng::Rng;

/// The order amounts from its lines, shipping and the buyer's taxes.
pub(crate) fn payment(
    rng: &mut Rng,
    market: &Market,
    place: &Place,
    lines: &[LinePlan],
) -> Payment {
    let mut p = Payment {
        tax_rate_e5: place.tax_e5,
        ..Payment::default()
    };
    for line in lines {
        p.original_total_product_price += line.original;
        p.seller_discount += line.seller_discount;
        p.platform_discount += line.platform_discount;
        p.product_tax += line.tax;
    }
    p.sub_total = p.original_total_product_price - p.seller_discount - p.platform_discount;
    p.original_shipping_fee = market.shipping_fee;
    if p.sub_total >= market.free_shipping_over {
        if rng.chance(500) {
            p.shipping_fee_seller_discount = p.original_shipping_fee;
        } else {
            p.shipping_fee_platform_discount = p.original_shipping_fee;
        }
    } else if rng.chance(150) {
        p.shipping_fee_platform_discount =
            percent_of(p.original_shipping_fee, 50, market.price_step);
    }
    p.shipping_fee =
        p.original_shipping_fee - p.shipping_fee_seller_discount - p.shipping_fee_platform_discount;
    p.shipping_fee_tax = apply_rate(p.shipping_fee, p.tax_rate_e5);
    p.tax = p.product_tax + p.shipping_fee_tax;
    p.retail_delivery_fee = place.retail_delivery_fee;
    p.total_amount = p.sub_total + p.shipping_fee + p.tax + p.retail_delivery_fee;
    p
}

#[cfg(test)]
use crate::world::{catalog::Sku, markets::markets_of_shop};

#[cfg(test)]
fn line(original: i64, seller_discount: i64) -> LinePlan {
    LinePlan {
        id: 1,
        sku: Sku {
            product: 0,
            variant: 0,
        },
        original,
        seller_discount,
        platform_discount: 0,
        tax: 0,
        package: 0,
    }
}

#[test]
fn the_parts_add_up_and_big_orders_ship_free() {
    let us: &Market = markets_of_shop(0)[0].0;
    let place = &us.places[0];
    for (seed, originals) in [(1, [500, 700]), (2, [4000, 9000])] {
        let lines: Vec<LinePlan> = originals.iter().map(|o| line(*o, 100)).collect();
        let p = payment(&mut Rng::new(seed), us, place, &lines);
        assert_eq!(p.sub_total, originals.iter().sum::<i64>() - 200);
        assert_eq!(
            p.total_amount,
            p.sub_total + p.shipping_fee + p.tax + p.retail_delivery_fee
        );
        assert_eq!(p.shipping_fee_tax, apply_rate(p.shipping_fee, place.tax_e5));
        if p.sub_total >= us.free_shipping_over {
            assert_eq!(p.shipping_fee, 0, "{p:?}");
        }
    }
}
