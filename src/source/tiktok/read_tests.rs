//! The serde reader: values into their slots, texts kept as sent,
//! unknown keys named by path.

use super::*;
use crate::schema::staged::{COLUMNS, index_of};
use crate::source::tiktok::plan::{PLAN, Read};

#[test]
fn values_kept_as_json_are_kept_as_sent() {
    let plan = &*PLAN;
    let column = |name| index_of(name).expect("the table keeps it as JSON");
    let (Read::OrderJson(packages), Read::ItemJson(item_tax)) = (
        plan.reads[column("package_ids")],
        plan.reads[column("item_tax")],
    ) else {
        panic!("kept as JSON text")
    };
    let mut order = Order::default();
    let payload = r#"{"packages": [ {"id": "1\u00e9", "n": 1.50} ],
        "line_items":[{"id":"7","item_tax":null},{"id":"8","item_tax":[{"tax_amount":"1"}]}]}"#;
    assert!(order.read(plan, payload).unwrap());
    assert_eq!(
        order.texts[packages],
        Some(r#"[ {"id": "1\u00e9", "n": 1.50} ]"#),
        "spaces, escapes and digits as the payload has them"
    );
    assert_eq!(order.item(0).1[item_tax], None, "null is absent");
    assert_eq!(order.item(1).1[item_tax], Some(r#"[{"tax_amount":"1"}]"#));
    // Only the syntax is checked: a number no f64 holds is kept too.
    assert!(order.read(plan, r#"{"packages":[1e400]}"#).unwrap());
    assert_eq!(order.texts[packages], Some("[1e400]"));
}

#[test]
fn values_go_to_their_slots_and_unknown_keys_are_named_by_path() {
    let plan = &*PLAN;
    let mut order = Order::default();
    let payload = r#"{"id":"1","payment":{"tax":"1.2","brand_new_fee":"3"},"line_items":[{"id":"7","x":[1]},{"id":"8","x":2}],"surprise":{"x":1},
            "recipient_address":{"name":"A","district_info":[]}}"#;
    assert!(order.read(plan, payload).unwrap());
    assert_eq!(order.unmapped, ["payment.brand_new_fee", "surprise"]);
    assert_eq!(order.item_unmapped, ["line_items[].x", "line_items[].x"]);
    assert_eq!(order.items.count, 2);
    assert!(matches!(
        order.items.shape,
        ItemsShape::Array { not_object: None }
    ));
    let slots = &order.slots;
    let id_slot = plan
        .reads
        .iter()
        .zip(COLUMNS)
        .find_map(|(r, c)| (c.name == "order_id").then_some(*r));
    let Some(Read::Order(id_slot)) = id_slot else {
        panic!("order_id reads an order slot")
    };
    assert_eq!(slots[id_slot].as_ref().and_then(Json::as_str), Some("1"));
    assert_eq!(order.texts[plan.district_text], Some("[]"));
    let item_id = |item| {
        let Read::Item(slot) = plan.reads[plan.own_columns[plan.item_id]] else {
            panic!("item_id reads an item slot")
        };
        order.item(item).0[slot].as_ref().and_then(Json::as_str)
    };
    assert_eq!((item_id(0), item_id(1)), (Some("7"), Some("8")));

    assert!(!order.read(plan, "[1]").unwrap(), "not an object");
    assert!(
        order.read(plan, r#"{"id":"1"} x"#).is_err(),
        "text after the value"
    );
    order
        .read(plan, r#"{"line_items":[{"id":"1"},3,"a"],"line_items":7}"#)
        .unwrap();
    assert_eq!(order.items.count, 3);
    assert!(
        matches!(
            &order.items.shape,
            ItemsShape::Array {
                not_object: Some((1, Json::Number(_)))
            }
        ),
        "the first line_items counts; its first element not an object is named"
    );
    order.read(plan, r#"{"line_items":{"id":"1"}}"#).unwrap();
    assert!(matches!(
        &order.items.shape,
        ItemsShape::Other(Json::Object(_))
    ));
    order
        .read(plan, r#"{"line_items":null,"payment":7}"#)
        .unwrap();
    assert!(matches!(&order.items.shape, ItemsShape::Absent));
    assert!(
        order.slots.iter().all(Option::is_none) && order.texts.iter().all(Option::is_none),
        "slots start empty each time"
    );
}
