//! An order plan as the API returns it at a given "now": the order object
//! of the reference §5, with exactly the fields whose events have happened
//! (no `paid_time` while UNPAID, no address while UNPAID or ON_HOLD, ...),
//! times as unix seconds, ids and money as strings, and some optional
//! fields absent the way they are in live data.

use crate::render::ids::{named_id, tracking_number};
use crate::render::json::{Obj, array};
use crate::render::line_items::line_items;
use crate::render::payment::payment_json;
use crate::render::recipient::{buyer_email, recipient_address};
use crate::world::plan::{OrderPlan, Shop};
use crate::world::rng::Rng;
use crate::world::status::Status;

const BUYER_MESSAGES: &[&str] = &[
    "Please ship asap!",
    "Gift wrap please 🎁",
    "Giao giờ hành chính giúp mình nhé",
    "置き配希望です",
    "No plastic please",
];

/// The order as served at `now`, or `None` if it does not exist yet.
pub(crate) fn render(plan: &OrderPlan, shop: &Shop, now: i64) -> Option<String> {
    let (status, update_time) = plan.timeline.state_at(now)?;
    let t = &plan.timeline;
    let seen = |time: Option<i64>| time.filter(|x| *x <= now);
    let reached = |s: Status| {
        t.transitions
            .iter()
            .find(|(at, x)| *x == s && *at <= now)
            .map(|(at, _)| *at)
    };
    let mut rng = Rng::new(plan.details_seed);
    let mut o = Obj::new();
    o.str("id", &plan.id.to_string());
    o.str("status", status.as_str());
    o.int("create_time", t.created);
    o.int("update_time", update_time);
    o.str("user_id", &plan.buyer.user_id.to_string());
    o.str("buyer_email", &buyer_email(&plan.buyer));
    if rng.chance(700) {
        o.str(
            "buyer_nickname",
            &format!("user{}", plan.buyer.user_id % 100_000_000),
        );
    }
    o.opt_str(
        "buyer_message",
        rng.chance(150).then(|| *rng.pick(BUYER_MESSAGES)),
    );
    o.opt_str("seller_note", rng.chance(50).then_some("VIP customer"));
    o.int("cancel_order_sla_time", t.cancel_order_sla);
    let paid = seen(t.paid);
    o.opt_int("paid_time", paid);
    if let (Some(_), Some(d)) = (paid, t.deadlines) {
        o.int("rts_sla_time", d.rts_sla);
        o.int("tts_sla_time", d.rts_sla);
        o.int("shipping_due_time", d.rts_sla);
        o.int("collection_due_time", d.collection_due);
        o.int("delivery_due_time", d.delivery_due);
        let mut handling = Obj::new();
        handling.str("days", &d.handling_days.to_string());
        handling.str("type", "BUSINESS_DAY");
        o.raw("handling_duration", &handling.finish());
    }
    o.opt_int("release_date", t.release_date);
    o.opt_int(
        "rts_time",
        reached(Status::AwaitingCollection).and(t.packages.iter().filter_map(|p| p.rts).max()),
    );
    if seen(t.packages[0].rts).is_some() {
        o.str("shipping_provider", plan.carrier.name);
        o.str(
            "shipping_provider_id",
            &named_id(6_617_000_000_000_000_000, plan.carrier.name),
        );
        o.str("tracking_number", &tracking_number(plan, 0));
    }
    o.opt_int("collection_time", reached(Status::InTransit));
    o.opt_int("delivery_time", reached(Status::Delivered));
    if let Some(cancel) = t.cancel.as_ref().filter(|c| c.time <= now) {
        o.int("cancel_time", cancel.time);
        o.str("cancel_reason", cancel.reason);
        o.str("cancellation_initiator", cancel.by.as_str());
    }
    let requested = t.cancel.as_ref().and_then(|c| seen(c.requested));
    o.opt_int("request_cancel_time", requested);
    o.bool("is_buyer_request_cancel", requested.is_some());
    put_fulfilment(&mut o, plan, shop, &mut rng);
    if paid.is_some() {
        let ids = (0..t.packages.len()).map(|i| format!(r#"{{"id":"{}"}}"#, plan.package_id(i)));
        o.raw("packages", &array(ids));
    }
    o.raw("payment", &payment_json(plan));
    if t.released_by(now) {
        o.raw("recipient_address", &recipient_address(plan));
    }
    o.raw("line_items", &line_items(plan, shop, status, now));
    Some(o.finish())
}

fn put_fulfilment(o: &mut Obj, plan: &OrderPlan, shop: &Shop, rng: &mut Rng) {
    let option = *rng.pick(plan.market.delivery_options);
    o.str("shipping_type", plan.shipping_type);
    o.str("fulfillment_type", plan.fulfillment_type);
    o.str("delivery_option_name", option);
    o.str(
        "delivery_option_id",
        &named_id(7_091_000_000_000_000_000, option),
    );
    o.str(
        "delivery_type",
        if rng.chance(950) {
            "HOME_DELIVERY"
        } else {
            "COLLECTION_POINT"
        },
    );
    o.str("order_type", if plan.pre_order { "PRE_ORDER" } else { "" });
    o.str("payment_method_name", plan.payment_method);
    o.str(
        "warehouse_id",
        &named_id(6_955_000_000_000_000_000, &shop.cipher),
    );
    o.str("commerce_platform", "TIKTOK_SHOP");
    o.bool("is_cod", plan.is_cod);
    o.bool("is_on_hold_order", plan.timeline.hold_until.is_some());
    o.bool("is_sample_order", rng.chance(10));
    o.bool("is_replacement_order", false);
    o.bool("is_exchange_order", false);
    o.bool("has_updated_recipient_address", rng.chance(30));
    o.opt_str("split_or_combine_tag", rng.chance(50).then_some("COMBINED"));
}

#[cfg(test)]
use crate::world::generator::{EPOCH, Generator};
#[cfg(test)]
use serde_json::Value;

/// Orders of both shops rendered at several ages, parsed back.
#[cfg(test)]
fn rendered() -> Vec<Value> {
    let g = Generator {
        seed: 3,
        orders_per_day: 500,
        corrupt_every: None,
        opened: EPOCH,
    };
    let mut out = Vec::new();
    for (index, cipher) in ["GCP_A", "ROW_B"].into_iter().enumerate() {
        let shop = Shop {
            index,
            cipher: cipher.into(),
            key: index as u64 + 1,
        };
        for seq in 400_000..400_400u64 {
            let plan = g.plan(&shop, seq);
            for age in [
                0,
                600,
                3 * 3600,
                86_400,
                3 * 86_400,
                10 * 86_400,
                40 * 86_400,
            ] {
                let text = render(&plan, &shop, plan.timeline.created + age).unwrap();
                out.push(serde_json::from_str(&text).unwrap());
            }
        }
    }
    out
}

/// A money string as an integer of 1e-4 units; panics on anything else.
#[cfg(test)]
fn amount(value: &Value) -> i64 {
    let text = value.as_str().unwrap();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<4}");
    whole.parse::<i64>().unwrap() * 10_000 + fraction.parse::<i64>().unwrap()
}

#[test]
fn fields_appear_exactly_when_their_events_happened() {
    for o in rendered() {
        let status = o["status"].as_str().unwrap();
        let has = |key: &str| o.get(key).is_some();
        let shipped = [
            "AWAITING_COLLECTION",
            "IN_TRANSIT",
            "DELIVERED",
            "COMPLETED",
        ];
        assert!(o["create_time"].as_i64() <= o["update_time"].as_i64());
        if status != "CANCELLED" {
            assert_eq!(has("paid_time"), status != "UNPAID", "{o}");
        }
        if matches!(status, "UNPAID" | "ON_HOLD") {
            assert!(!has("recipient_address"), "{o}");
        } else if status != "CANCELLED" {
            let levels = o["recipient_address"]["district_info"].as_array().unwrap();
            assert_eq!(levels[0]["address_level"], "L0");
            assert!(
                levels.len() >= 3 && levels.iter().all(|l| l["address_level_name"].is_string())
            );
        }
        assert_eq!(has("cancel_time"), status == "CANCELLED");
        if shipped.contains(&status) {
            assert!(has("rts_time") && has("tracking_number"), "{o}");
        }
        assert_eq!(
            has("delivery_time"),
            matches!(status, "DELIVERED" | "COMPLETED")
        );
        let lines = o["line_items"].as_array().unwrap();
        if matches!(status, "UNPAID" | "CANCELLED" | "COMPLETED") {
            assert!(lines.iter().all(|l| l["display_status"] == status), "{o}");
        }
    }
}

#[test]
fn money_strings_add_up_and_follow_the_currency() {
    let mut currencies = std::collections::HashSet::new();
    for o in rendered() {
        let p = &o["payment"];
        let lines = o["line_items"].as_array().unwrap();
        let sum = |key: &str| lines.iter().map(|l| amount(&l[key])).sum::<i64>();
        assert_eq!(
            amount(&p["original_total_product_price"]),
            sum("original_price")
        );
        assert_eq!(amount(&p["sub_total"]), sum("sale_price"));
        let parts = ["sub_total", "shipping_fee", "tax"]
            .iter()
            .map(|k| amount(&p[k]))
            .sum::<i64>();
        let rdf = p.get("retail_delivery_fee").map_or(0, amount);
        assert_eq!(amount(&p["total_amount"]), parts + rdf, "{p}");
        let fee = amount(&p["original_shipping_fee"])
            - amount(&p["shipping_fee_seller_discount"])
            - amount(&p["shipping_fee_platform_discount"]);
        assert_eq!(amount(&p["shipping_fee"]), fee);
        let currency = p["currency"].as_str().unwrap().to_owned();
        if matches!(currency.as_str(), "IDR" | "VND" | "JPY") {
            assert!(!p["total_amount"].as_str().unwrap().contains('.'));
        }
        currencies.insert(currency);
    }
    assert_eq!(currencies.len(), 6, "{currencies:?}");
}

#[test]
fn names_phones_and_emails_look_like_the_api() {
    let all: Vec<String> = rendered().iter().map(|o| o.to_string()).collect();
    assert!(all.iter().any(|o| o.contains("Nguyễn Văn An")));
    assert!(
        all.iter()
            .any(|o| o.contains("\"first_name_local_script\":\"ジョン\""))
    );
    assert!(all.iter().any(|o| o.contains("\"phone_number\":\"(+1)")));
    assert!(all.iter().all(|o| o.contains("@scs.tiktokw.us")));
    assert!(
        all.iter()
            .any(|o| o.contains("\"status\":\"PARTIALLY_SHIPPING\""))
    );
}
