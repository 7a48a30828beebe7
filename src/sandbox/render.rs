//! An order plan as the API returns it at a given "now": the order object
//! of the reference §5, with exactly the fields whose events have happened
//! (no `paid_time` while UNPAID, no address while UNPAID or ON_HOLD, ...),
//! times as unix seconds, ids and money as strings, and some optional
//! fields absent the way they are in live data.

use serde_json::{Map, Value, json};

use super::address::{buyer_email, recipient_address};
use super::generator::{OrderPlan, Shop};
use super::lifecycle::Status;
use super::line_items::line_items;
use super::money::Currency;
use super::rng::{Rng, combine, hash_str};

const BUYER_MESSAGES: &[&str] =
    &["Please ship asap!", "Gift wrap please 🎁", "Giao giờ hành chính giúp mình nhé", "置き配希望です", "No plastic please"];

/// A JSON object under construction.
pub(crate) struct Obj(pub Map<String, Value>);

impl Obj {
    pub(crate) fn new() -> Self {
        Obj(Map::new())
    }

    pub(crate) fn put(&mut self, key: &str, value: impl Into<Value>) {
        self.0.insert(key.to_owned(), value.into());
    }

    pub(crate) fn opt(&mut self, key: &str, value: Option<impl Into<Value>>) {
        if let Some(value) = value {
            self.put(key, value);
        }
    }
}

/// A 19-digit id derived from a name (carriers, delivery options).
pub(crate) fn named_id(prefix: u64, name: &str) -> String {
    (prefix + hash_str(name) % 1_000_000_000_000_000).to_string()
}

/// The tracking number of package `index`.
pub(crate) fn tracking_number(plan: &OrderPlan, index: usize) -> String {
    let mut rng = Rng::new(combine(plan.details_seed, 0x7_0000 + index as u64));
    format!("{}{}", plan.carrier.tracking_prefix, rng.digits(plan.carrier.digits))
}

/// The order as served at `now`, or `None` if it does not exist yet.
pub(crate) fn render(plan: &OrderPlan, shop: &Shop, now: i64) -> Option<Value> {
    let (status, update_time) = plan.timeline.state_at(now)?;
    let t = &plan.timeline;
    let seen = |time: Option<i64>| time.filter(|x| *x <= now);
    let reached = |s: Status| t.transitions.iter().find(|(at, x)| *x == s && *at <= now).map(|(at, _)| *at);
    let mut rng = Rng::new(plan.details_seed);
    let mut o = Obj::new();
    o.put("id", plan.id.to_string());
    o.put("status", status.as_str());
    o.put("create_time", t.created);
    o.put("update_time", update_time);
    o.put("user_id", plan.buyer.user_id.to_string());
    o.put("buyer_email", buyer_email(&plan.buyer));
    if rng.chance(700) {
        o.put("buyer_nickname", format!("user{}", plan.buyer.user_id % 100_000_000));
    }
    o.opt("buyer_message", rng.chance(150).then(|| *rng.pick(BUYER_MESSAGES)));
    o.opt("seller_note", rng.chance(50).then_some("VIP customer"));
    o.put("cancel_order_sla_time", t.cancel_order_sla);
    let paid = seen(t.paid);
    o.opt("paid_time", paid);
    if let (Some(_), Some(d)) = (paid, t.deadlines) {
        o.put("rts_sla_time", d.rts_sla);
        o.put("tts_sla_time", d.rts_sla);
        o.put("shipping_due_time", d.rts_sla);
        o.put("collection_due_time", d.collection_due);
        o.put("delivery_due_time", d.delivery_due);
        o.put("handling_duration", json!({"days": d.handling_days.to_string(), "type": "BUSINESS_DAY"}));
    }
    o.opt("release_date", t.release_date);
    o.opt("rts_time", reached(Status::AwaitingCollection).and(t.packages.iter().filter_map(|p| p.rts).max()));
    if seen(t.packages[0].rts).is_some() {
        o.put("shipping_provider", plan.carrier.name);
        o.put("shipping_provider_id", named_id(6_617_000_000_000_000_000, plan.carrier.name));
        o.put("tracking_number", tracking_number(plan, 0));
    }
    o.opt("collection_time", reached(Status::InTransit));
    o.opt("delivery_time", reached(Status::Delivered));
    if let Some(cancel) = t.cancel.as_ref().filter(|c| c.time <= now) {
        o.put("cancel_time", cancel.time);
        o.put("cancel_reason", cancel.reason);
        o.put("cancellation_initiator", cancel.by.as_str());
    }
    let requested = t.cancel.as_ref().and_then(|c| seen(c.requested));
    o.opt("request_cancel_time", requested);
    o.put("is_buyer_request_cancel", requested.is_some());
    put_fulfilment(&mut o, plan, shop, &mut rng);
    if paid.is_some() {
        let ids: Vec<Value> = (0..t.packages.len()).map(|i| json!({"id": plan.package_id(i).to_string()})).collect();
        o.put("packages", ids);
    }
    o.put("payment", payment(plan));
    if t.released_by(now) {
        o.put("recipient_address", recipient_address(plan));
    }
    o.put("line_items", line_items(plan, shop, status, now));
    Some(Value::Object(o.0))
}

fn put_fulfilment(o: &mut Obj, plan: &OrderPlan, shop: &Shop, rng: &mut Rng) {
    let option = *rng.pick(plan.market.delivery_options);
    o.put("shipping_type", plan.shipping_type);
    o.put("fulfillment_type", plan.fulfillment_type);
    o.put("delivery_option_name", option);
    o.put("delivery_option_id", named_id(7_091_000_000_000_000_000, option));
    o.put("delivery_type", if rng.chance(950) { "HOME_DELIVERY" } else { "COLLECTION_POINT" });
    o.put("order_type", if plan.pre_order { "PRE_ORDER" } else { "" });
    o.put("payment_method_name", plan.payment_method);
    o.put("warehouse_id", named_id(6_955_000_000_000_000_000, &shop.cipher));
    o.put("commerce_platform", "TIKTOK_SHOP");
    o.put("is_cod", plan.is_cod);
    o.put("is_on_hold_order", plan.timeline.hold_until.is_some());
    o.put("is_sample_order", rng.chance(10));
    o.put("is_replacement_order", false);
    o.put("is_exchange_order", false);
    o.put("has_updated_recipient_address", rng.chance(30));
    o.opt("split_or_combine_tag", rng.chance(50).then_some("COMBINED"));
}

fn payment(plan: &OrderPlan) -> Value {
    let p = &plan.payment;
    let c: Currency = plan.market.currency;
    let mut o = Obj::new();
    o.put("currency", c.code);
    for (key, amount) in [
        ("original_total_product_price", p.original_total_product_price),
        ("seller_discount", p.seller_discount),
        ("platform_discount", p.platform_discount),
        ("sub_total", p.sub_total),
        ("original_shipping_fee", p.original_shipping_fee),
        ("shipping_fee_seller_discount", p.shipping_fee_seller_discount),
        ("shipping_fee_platform_discount", p.shipping_fee_platform_discount),
        ("shipping_fee", p.shipping_fee),
        ("tax", p.tax),
    ] {
        o.put(key, c.format(amount));
    }
    if p.tax_rate_e5 > 0 {
        o.put("product_tax", c.format(p.product_tax));
        o.put("shipping_fee_tax", c.format(p.shipping_fee_tax));
    }
    if p.retail_delivery_fee > 0 {
        o.put("retail_delivery_fee", c.format(p.retail_delivery_fee));
    }
    let total = if plan.corrupt { c.format_corrupt(p.total_amount) } else { c.format(p.total_amount) };
    o.put("total_amount", total);
    Value::Object(o.0)
}
