//! `line_items[]`: one element per unit, each with its own id, status and
//! package, so units of one SKU can ship (or be cancelled) separately.

use serde_json::{Value, json};

use super::generator::{OrderPlan, Shop};
use super::lifecycle::Status;
use super::money::Currency;
use super::render::{Obj, named_id, tracking_number};

/// The line items of `plan` at `now`, while the order is in `status`.
pub(crate) fn line_items(plan: &OrderPlan, shop: &Shop, status: Status, now: i64) -> Vec<Value> {
    let c = plan.market.currency;
    let paid = plan.timeline.paid.is_some_and(|p| p <= now);
    plan.lines
        .iter()
        .map(|line| {
            let package = plan.timeline.packages.get(line.package).copied().unwrap_or_default();
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
            o.put("id", line.id.to_string());
            o.put("sku_id", line.sku.sku_id(shop.key).to_string());
            o.put("product_id", line.sku.product_id(shop.key).to_string());
            o.put("seller_sku", line.sku.seller_sku());
            o.put("product_name", line.sku.product().name);
            o.put("sku_name", line.sku.name());
            o.put("sku_image", line.sku.image(shop.key));
            o.put("original_price", c.format(line.original));
            o.put("sale_price", c.format(line.sale()));
            o.put("seller_discount", c.format(line.seller_discount));
            o.put("platform_discount", c.format(line.platform_discount));
            o.put("currency", c.code);
            o.put("display_status", display);
            o.put("package_status", package_status);
            o.put("is_gift", false);
            o.put("is_dangerous_good", false);
            if plan.payment.tax_rate_e5 > 0 {
                o.put("item_tax", vec![item_tax(c, line.tax, plan.payment.tax_rate_e5)]);
            }
            if paid {
                o.put("package_id", plan.package_id(line.package).to_string());
            }
            if let Some(rts) = seen(package.rts) {
                o.put("rts_time", rts);
                o.put("shipping_provider_name", plan.carrier.name);
                o.put("shipping_provider_id", named_id(6_617_000_000_000_000_000, plan.carrier.name));
                o.put("tracking_number", tracking_number(plan, line.package));
            }
            if let Some(cancel) = plan.timeline.cancel.as_ref().filter(|c| c.time <= now) {
                o.put("cancel_reason", cancel.reason);
                o.put("cancel_user", cancel.by.as_str());
            }
            Value::Object(o.0)
        })
        .collect()
}

fn item_tax(c: Currency, amount: i64, rate_e5: u32) -> Value {
    json!({"tax_type": "SALES_TAX", "tax_amount": c.format(amount), "tax_rate": Currency::format_rate(rate_e5)})
}
