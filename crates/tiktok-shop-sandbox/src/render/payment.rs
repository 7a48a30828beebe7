//! `payment` as the API writes it: every amount of the order as a string
//! in its currency, optional parts only where the market has them, and
//! `total_amount` broken on purpose for the orders chosen by
//! `corrupt_every`.

use crate::render::amounts::{amount, corrupt_amount};
use crate::render::json::Obj;
use crate::world::plan::OrderPlan;

pub(crate) fn payment_json(plan: &OrderPlan) -> String {
    let p = &plan.payment;
    let c = plan.market.currency;
    let mut o = Obj::new();
    o.str("currency", c.code);
    for (key, minor) in [
        (
            "original_total_product_price",
            p.original_total_product_price,
        ),
        ("seller_discount", p.seller_discount),
        ("platform_discount", p.platform_discount),
        ("sub_total", p.sub_total),
        ("original_shipping_fee", p.original_shipping_fee),
        (
            "shipping_fee_seller_discount",
            p.shipping_fee_seller_discount,
        ),
        (
            "shipping_fee_platform_discount",
            p.shipping_fee_platform_discount,
        ),
        ("shipping_fee", p.shipping_fee),
        ("tax", p.tax),
    ] {
        o.str(key, &amount(c, minor));
    }
    if p.tax_rate_e5 > 0 {
        o.str("product_tax", &amount(c, p.product_tax));
        o.str("shipping_fee_tax", &amount(c, p.shipping_fee_tax));
    }
    if p.retail_delivery_fee > 0 {
        o.str("retail_delivery_fee", &amount(c, p.retail_delivery_fee));
    }
    let total = if plan.corrupt {
        corrupt_amount(c, p.total_amount)
    } else {
        amount(c, p.total_amount)
    };
    o.str("total_amount", &total);
    o.finish()
}
