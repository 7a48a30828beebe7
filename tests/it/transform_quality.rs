//! Transform on data as markets send it: long names, odd values, unknown
//! fields, arbitrary JSON. Every order ends as rows or as a reject with a
//! reason; a value too long for its column is cut, flagged and counted,
//! never the reason an order is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

use crate::util::{self, RawOrder, XorShift};
use tiktok_etl::schema::rejects;

const RUN: &str = "manual__quality";
const RUN_DIR: &str = "runs/manual__quality";
const SHOP: &str = "ROW_QUALITY_SHOP";

fn transform(store: &Path) -> std::process::Output {
    util::run(util::command("transform").args([
        "--store",
        store.to_str().unwrap(),
        "--run-id",
        RUN,
    ]))
}

fn manifest(store: &Path) -> Value {
    let path = store.join(format!("{RUN_DIR}/transform/_manifest.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn staged_rows(store: &Path) -> Vec<BTreeMap<String, String>> {
    util::staged_rows(store, RUN_DIR)
}

fn rejected(store: &Path) -> Vec<BTreeMap<String, String>> {
    util::rows_as_maps(&util::read_parquet(
        store,
        &format!("{RUN_DIR}/transform/rejects/part-00000.parquet"),
        &rejects::schema(),
    ))
}

/// An order of `market`'s currency with `lines` line items.
fn order(id: u64, currency: &str, name: &str, item_name: &str, prices: &[&str]) -> Value {
    let items: Vec<Value> = prices
        .iter()
        .enumerate()
        .map(|(i, price)| {
            json!({"id": format!("{id}{i:02}"), "sku_id": "1729", "product_name": item_name,
                   "sale_price": price, "original_price": price, "currency": currency})
        })
        .collect();
    json!({
        "id": id.to_string(), "status": "AWAITING_SHIPMENT",
        "create_time": 1_764_000_000, "update_time": 1_764_000_000 + id as i64 % 1000,
        "payment": {"currency": currency, "total_amount": prices[0]},
        "recipient_address": {"name": name, "district_info": [
            {"address_level": "L0", "address_level_name": "Country", "address_name": "Việt Nam"}]},
        "line_items": items,
    })
}

fn raw(order: &Value) -> RawOrder {
    RawOrder {
        shop: SHOP,
        order_id: order["id"].as_str().unwrap_or("").to_owned(),
        update_time: order["update_time"].as_i64().unwrap_or(1),
        payload: order.to_string(),
    }
}

/// The exact sum of decimal strings, in units of 10^-4.
fn sum(values: impl Iterator<Item = String>) -> i128 {
    values.map(|v| tiktok_etl::money::parse(&v).unwrap()).sum()
}

#[test]
fn long_names_are_cut_at_a_grapheme_and_flagged_and_no_order_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    // 300-character Vietnamese name (over the old 255), a 4,010-unit item
    // name whose cut point falls inside an emoji, and one whose cut point
    // falls between a letter and its combining accent.
    let long_name = "Nguyễn Thị Minh Khai ".repeat(15);
    let emoji_cut = format!("{}😀😀😀😀😀", "a".repeat(3999));
    let accent_cut = format!("{}e\u{0301}\u{0301}tail", "b".repeat(3999));
    let orders = [
        order(
            700000000000000001,
            "VND",
            &long_name,
            &emoji_cut,
            &["150000", "150000"],
        ),
        order(700000000000000002, "IDR", "Budi", &accent_cut, &["99000"]),
        order(
            700000000000000003,
            "USD",
            "Ann",
            "Mug",
            &["12.5", "0.10", "3"],
        ),
    ];
    let raws: Vec<RawOrder> = orders.iter().map(raw).collect();
    util::write_raw_run(dir.path(), RUN, &raws);
    let out = transform(dir.path());
    assert!(out.status.success(), "{}", util::stderr(&out));

    let rows = staged_rows(dir.path());
    let order_ids: BTreeSet<&str> = rows.iter().map(|r| r["order_id"].as_str()).collect();
    assert_eq!(order_ids.len(), 3, "every order is staged");
    assert_eq!(rows.len(), 6, "every line item is staged");
    assert!(rejected(dir.path()).is_empty());

    // Sums per currency are exact to the last digit.
    for currency in ["VND", "IDR", "USD"] {
        let expected = sum(orders
            .iter()
            .filter(|o| o["payment"]["currency"] == currency)
            .flat_map(|o| o["line_items"].as_array().unwrap().clone())
            .map(|i| i["sale_price"].as_str().unwrap().to_owned()));
        let staged = sum(rows
            .iter()
            .filter(|r| r["currency"] == currency)
            .map(|r| r["item_sale_price"].clone()));
        assert_eq!(staged, expected, "{currency}");
    }

    let by_order = |id: &str| rows.iter().find(|r| r["order_id"] == id).unwrap();
    let vnd = by_order("700000000000000001");
    assert_eq!(
        vnd["recipient_name"], long_name,
        "315 characters fit NVARCHAR(4000)"
    );
    assert_eq!(
        vnd["item_name"],
        "a".repeat(3999),
        "the emoji is not cut in half"
    );
    assert_eq!(vnd["etl_flags"], "truncated:item_name");
    let idr = by_order("700000000000000002");
    assert_eq!(
        idr["item_name"],
        "b".repeat(3999),
        "the accents stay with their letter"
    );
    let usd = by_order("700000000000000003");
    assert_eq!(usd["etl_flags"], "NULL");

    let m = manifest(dir.path());
    assert_eq!(
        m["counters"]["truncated_by_column"],
        json!({"item_name": 3})
    );
    assert!(m.get("rejects_by_reason").is_none(), "{m}");
}

#[test]
fn tricky_orders_flatten_to_the_hand_checked_golden_rows() {
    let input = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/tricky_orders.raw.jsonl"
    ))
    .unwrap();
    let orders: Vec<Value> = input
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    util::write_raw_run(dir.path(), RUN, &orders.iter().map(raw).collect::<Vec<_>>());
    let out = transform(dir.path());
    assert!(out.status.success(), "{}", util::stderr(&out));
    let mut rows = staged_rows(dir.path());
    rows.sort_by(|a, b| (&a["order_id"], &a["item_id"]).cmp(&(&b["order_id"], &b["item_id"])));

    // What was checked by hand, spelled out.
    let of = |id: &str| -> Vec<&BTreeMap<String, String>> {
        rows.iter().filter(|r| r["order_id"] == id).collect()
    };
    let unpaid = of("800000000000000001");
    assert_eq!(unpaid.len(), 1);
    assert_eq!(
        unpaid[0]["recipient_name"], "NULL",
        "no address while UNPAID"
    );
    assert_eq!(unpaid[0]["paid_time"], "NULL");
    let cancelled = of("800000000000000002");
    assert_eq!(cancelled[0]["order_status"], "CANCELLED");
    assert_eq!(cancelled[0]["cancellation_initiator"], "BUYER");
    assert_eq!(cancelled[0]["item_cancel_user"], "BUYER");
    let partly = of("800000000000000003");
    let statuses: BTreeSet<&str> = partly
        .iter()
        .map(|r| r["item_display_status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["AWAITING_SHIPMENT", "IN_TRANSIT"])
    );
    assert!(
        partly
            .iter()
            .any(|r| r["item_tracking_number"] == "SPXVN0123456789")
    );
    let units = of("800000000000000004");
    assert_eq!(units.len(), 3, "three units of one SKU are three rows");
    assert!(units.iter().all(|r| r["sku_id"] == "2729382476852921560"));
    assert!(units.iter().all(|r| r["item_sale_price"] == "145000.0000"));
    assert_eq!(units[0]["recipient_address_city"], "Thành phố Hồ Chí Minh");
    assert_eq!(units[0]["buyer_message"], "Giao giờ hành chính, cảm ơn ❤️");
    let m = manifest(dir.path());
    assert_eq!(
        m["counters"]["unmapped_fields"],
        json!({"line_items[].engraving_text": 1, "loyalty_points": 1})
    );

    let actual = serde_json::to_string_pretty(&rows).unwrap() + "\n";
    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/tricky_orders.staged.json"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert!(
        actual == expected,
        "staged rows differ from tests/golden/tricky_orders.staged.json"
    );
}

impl XorShift {
    fn value(&mut self, depth: u32) -> Value {
        match self.below(if depth > 2 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => json!(self.below(2) == 1),
            2 => json!(self.next_u64() as i64),
            3 => json!((self.next_u64() % 100_000) as f64 / 7.0),
            4 => json!(
                ["", "0", "1.5", "1e3", "-0", "١٢٣", "😀", "12,50", "0.00001"]
                    [self.below(9) as usize]
            ),
            5 => json!("x".repeat(self.below(5000) as usize)),
            6 => Value::Array((0..self.below(3)).map(|_| self.value(depth + 1)).collect()),
            _ => {
                let mut map = serde_json::Map::new();
                for k in 0..self.below(3) {
                    map.insert(format!("k{k}"), self.value(depth + 1));
                }
                Value::Object(map)
            }
        }
    }
}

#[test]
fn arbitrary_json_never_stops_the_run_and_every_order_ends_as_rows_or_a_reject() {
    let base: Value = serde_json::from_str(&util::official_search_sample()).unwrap();
    let base = base["data"]["orders"][0].clone();
    let mut rng = XorShift(0x5EED_1234_ABCD_0001);
    let mut raws = Vec::new();
    for n in 0..400u64 {
        let mut o = base.clone();
        o["id"] = json!(format!("9000000000{n:08}"));
        // Replace a few fields, at the top, in payment, recipient or an item.
        for _ in 0..1 + rng.below(4) {
            // An earlier replacement may have made the parent something else.
            let keys = |v: &Value, prefix: &str| -> Vec<String> {
                v.as_object()
                    .map(|m| m.keys().map(|k| format!("{prefix}{k}")).collect())
                    .unwrap_or_default()
            };
            let fields = match rng.below(4) {
                0 => keys(&o, ""),
                1 => keys(&o["payment"], "payment."),
                2 => keys(&o["recipient_address"], "recipient_address."),
                _ => keys(&o["line_items"][0], "line_items.0."),
            };
            if fields.is_empty() {
                continue;
            }
            let field = &fields[rng.below(fields.len() as u64) as usize];
            let pointer = format!("/{}", field.replace('.', "/"));
            let value = rng.value(0);
            if let Some(slot) = o.pointer_mut(&pointer) {
                *slot = value;
            }
        }
        let mut payload = o.to_string();
        if rng.below(20) == 0 {
            payload.truncate(rng.below(payload.len() as u64) as usize);
        }
        raws.push(RawOrder {
            shop: SHOP,
            order_id: format!("9000000000{n:08}"),
            update_time: 1_700_000_000 + n as i64,
            payload,
        });
    }
    let dir = tempfile::tempdir().unwrap();
    util::write_raw_run(dir.path(), RUN, &raws);
    let out = transform(dir.path());
    assert!(out.status.success(), "{}", util::stderr(&out));
    let staged: BTreeSet<String> = staged_rows(dir.path())
        .into_iter()
        .map(|r| r["order_id"].clone())
        .collect();
    let rejected: BTreeSet<String> = rejected(dir.path())
        .into_iter()
        .map(|r| r["order_id"].clone())
        .collect();
    assert!(staged.is_disjoint(&rejected));
    let all: BTreeSet<String> = raws.iter().map(|r| r.order_id.clone()).collect();
    let ended: BTreeSet<String> = staged.union(&rejected).cloned().collect();
    assert_eq!(ended, all, "every order ends as rows or as a reject");
    assert!(!staged.is_empty() && !rejected.is_empty(), "both happen");
    let m = manifest(dir.path());
    assert_eq!(m["rows_in"], 400);
    let counted: u64 = m["rejects_by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted, rejected.len() as u64);
}
