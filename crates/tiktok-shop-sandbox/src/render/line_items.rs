//! `line_items[]`: one element per unit, each with its own id, status and
//! package, so units of one SKU can ship (or be cancelled) separately.

use crate::render::amounts::{amount, rate};
use crate::render::ids::{named_id, tracking_number};
use crate::render::json::{Obj, array};
use crate::world::money::Currency;
use crate::world::plan::{OrderPlan, Shop};
use crate::world::status::Status;

/// The line items of `plan` at `now`, while the order is in `status`.
pub(crate) fn line_items(plan: &OrderPlan, shop: &Shop, status: Status, now: i64) -> String {
    let c = plan.market.currency;
    let paid = plan.timeline.paid.is_some_and(|p| p <= now);
    let items = plan.lines.iter().map(|line| {
        let package = plan
            .timeline
            .packages
            .get(line.package)
            .copied()
            .unwrap_or_default();
        let seen = |t: Option<i64>| t.filter(|x| *x <= now);
        let (display, package_status) = match status {
            Status::Cancelled => ("CANCELLED", "CANCELLED"),
            Status::Unpaid => ("UNPAID", "TO_FULFILL"),
            Status::Completed => ("COMPLETED", "COMPLETED"),
            _ if seen(package.delivered).is_some() => ("DELIVERED", "COMPLETED"),
            _ if seen(package.collected).is_some() => ("IN_TRANSIT", "FULFILLING"),
            _ if seen(package.rts).is_some() => ("AWAITING_COLLECTION", "PROCESSING"),
            _ => ("AWAITING_SHIPMENT", "TO_FULFILL"),
        };
        let mut o = Obj::new();
        o.str("id", &line.id.to_string());
        o.str("sku_id", &line.sku.sku_id(shop.key).to_string());
        o.str("product_id", &line.sku.product_id(shop.key).to_string());
        o.str("seller_sku", &line.sku.seller_sku());
        o.str("product_name", line.sku.product().name);
        o.str("sku_name", line.sku.name());
        o.str("sku_image", &line.sku.image(shop.key));
        o.str("original_price", &amount(c, line.original));
        o.str("sale_price", &amount(c, line.sale()));
        o.str("seller_discount", &amount(c, line.seller_discount));
        o.str("platform_discount", &amount(c, line.platform_discount));
        o.str("currency", c.code);
        o.str("display_status", display);
        o.str("package_status", package_status);
        o.bool("is_gift", false);
        o.bool("is_dangerous_good", false);
        if plan.payment.tax_rate_e5 > 0 {
            o.raw(
                "item_tax",
                &array([item_tax(c, line.tax, plan.payment.tax_rate_e5)]),
            );
        }
        if paid {
            o.str("package_id", &plan.package_id(line.package).to_string());
        }
        if let Some(rts) = seen(package.rts) {
            o.int("rts_time", rts);
            o.str("shipping_provider_name", plan.carrier.name);
            o.str(
                "shipping_provider_id",
                &named_id(6_617_000_000_000_000_000, plan.carrier.name),
            );
            o.str("tracking_number", &tracking_number(plan, line.package));
        }
        if let Some(cancel) = plan.timeline.cancel.as_ref().filter(|c| c.time <= now) {
            o.str("cancel_reason", cancel.reason);
            o.str("cancel_user", cancel.by.as_str());
        }
        o.finish()
    });
    array(items)
}

fn item_tax(c: Currency, minor: i64, rate_e5: u32) -> String {
    let mut o = Obj::new();
    o.str("tax_type", "SALES_TAX");
    o.str("tax_amount", &amount(c, minor));
    o.str("tax_rate", &rate(rate_e5));
    o.finish()
}
