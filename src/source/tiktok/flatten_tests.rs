//! Flattening one order: rows, exact values, rejects only for what cannot
//! be represented, flags and counts for the rest, scratch reuse, PII.

use super::*;
use crate::schema::staged::index_of;
use crate::transform::pii::Pii;

fn context<'a>(pii: &'a Pii, pii_columns: &'a [bool]) -> RowContext<'a> {
    RowContext {
        run_id: "run-1",
        shop_cipher: "GCP_shop",
        pii,
        pii_columns,
    }
}

fn order(line_items: &str) -> String {
    format!(
        r#"{{"id":"576461413038785752","status":"AWAITING_SHIPMENT","create_time":1619611561,"update_time":1619621355,
        "payment":{{"currency":"USD","total_amount":"21.30","tax":"1.2"}},
        "recipient_address":{{"name":"Nguyễn Văn An","district_info":[
          {{"address_level_name":"Country","address_name":"Việt Nam","address_level":"L0"}},
          {{"address_level_name":"City","address_name":"Hà Nội","address_level":"L2"}}]}},
        "line_items":{line_items}}}"#
    )
}

/// Flattens with `keep` and no personal columns.
fn flat<'a>(payload: &'a str, notes: &mut Notes) -> Result<Flat<'a>, Bad> {
    static KEEP: Pii = Pii::Keep;
    let none = vec![false; COLUMNS.len()];
    let none: &'static [bool] = Box::leak(none.into_boxed_slice());
    flatten(
        payload,
        &context(&KEEP, none),
        notes,
        &mut Scratch::default(),
    )
    .cloned()
}

fn cell<'r>(f: &'r Flat<'_>, row: usize, name: &str) -> &'r Cell<'r> {
    f.cell(row, index_of(name).unwrap())
}

#[test]
fn one_row_per_line_item_with_exact_money_and_districts() {
    let items = r#"[{"id":"1","sku_id":"s","sale_price":"10.65","item_tax":[{"tax_amount":"0.6"},{"tax_amount":"0.0001"}]},
                    {"id":"2","sku_id":"s","sale_price":"10.65"}]"#;
    let payload = order(items);
    let mut notes = Notes::new(COLUMNS.len());
    let f = flat(&payload, &mut notes).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(
        cell(&f, 0, "order_id"),
        &Cell::Text("576461413038785752".into())
    );
    assert_eq!(cell(&f, 1, "item_id"), &Cell::Text("2".into()));
    assert_eq!(cell(&f, 0, "total_amount"), &Cell::Money(213_000));
    assert_eq!(cell(&f, 1, "tax_amount"), &Cell::Money(12_000));
    assert_eq!(cell(&f, 0, "item_tax_amount"), &Cell::Money(6_001));
    assert_eq!(cell(&f, 1, "item_tax_amount"), &Cell::Null);
    assert_eq!(
        cell(&f, 0, "recipient_address_country"),
        &Cell::Text("Việt Nam".into())
    );
    assert_eq!(
        cell(&f, 1, "recipient_address_city"),
        &Cell::Text("Hà Nội".into())
    );
    assert_eq!(cell(&f, 0, "recipient_address_state"), &Cell::Null);
    assert_eq!(cell(&f, 0, "create_time"), &Cell::Time(1_619_611_561_000));
    assert_eq!(cell(&f, 0, "item_quantity"), &Cell::Int(1));
    assert_eq!(cell(&f, 0, "etl_batch_id"), &Cell::Text("run-1".into()));
    assert_eq!(cell(&f, 0, "etl_flags"), &Cell::Null);
    assert!(
        matches!(cell(&f, 0, "item_tax"), Cell::Text(t) if t.contains("\"0.0001\"")),
        "item taxes are kept as JSON text"
    );
    assert_ne!(cell(&f, 0, "etl_row_hash"), cell(&f, 1, "etl_row_hash"));
    assert_eq!(notes, Notes::new(COLUMNS.len()), "nothing to note");
}

#[test]
fn the_hash_ignores_the_run_but_sees_every_content_change() {
    let hash = |payload: &str, run: &str| {
        let pii = Pii::Keep;
        let none = vec![false; COLUMNS.len()];
        let ctx = RowContext {
            run_id: run,
            ..context(&pii, &none)
        };
        let mut scratch = Scratch::default();
        let f = flatten(payload, &ctx, &mut Notes::new(COLUMNS.len()), &mut scratch).unwrap();
        f.cell(0, index_of("etl_row_hash").unwrap())
            .clone()
            .into_owned_text()
    };
    let a = order(r#"[{"id":"1","sale_price":"10.65"}]"#);
    let c = order(r#"[{"id":"1","sale_price":"10.66"}]"#);
    assert_eq!(hash(&a, "run-1"), hash(&a, "run-2"));
    assert_ne!(hash(&a, "run-1"), hash(&c, "run-1"));
}

#[test]
fn only_what_cannot_be_represented_is_a_reject() {
    let reason = |payload: &str| {
        flat(payload, &mut Notes::new(COLUMNS.len()))
            .unwrap_err()
            .reason
    };
    assert_eq!(reason("{not json"), "bad_json");
    assert_eq!(reason("[1,2]"), "bad_json");
    assert_eq!(reason(&order("[]")), "no_line_items");
    assert_eq!(reason(&order(r#"[{"sale_price":"1"}]"#)), "missing_field");
    assert_eq!(
        reason(&order(r#"[{"id":"1","sale_price":"1,5"}]"#)),
        "bad_amount"
    );
    let no_update = order(r#"[{"id":"1"}]"#).replace(r#""update_time":1619621355,"#, "");
    assert_eq!(reason(&no_update), "missing_field");
    let no_id = order(r#"[{"id":"1"}]"#).replace(r#""id":"576461413038785752","#, "");
    assert_eq!(reason(&no_id), "missing_field");
    // Kept as text, but looked inside too: never a silent null.
    let huge_tax = order(r#"[{"id":"1","item_tax":[{"tax_amount":1e400}]}]"#);
    assert_eq!(reason(&huge_tax), "bad_json");
    let huge_district = order(r#"[{"id":"1"}]"#).replace(r#""L2"}"#, r#""L2","x":-1e999}"#);
    assert_eq!(reason(&huge_district), "bad_json");
}

#[test]
fn cosmetic_problems_keep_the_order_flagged_and_counted() {
    let long_name = "Ψ".repeat(4001);
    let payload = order(&format!(
        r#"[{{"id":"1","is_gift":"yes","product_name":"{long_name}"}},{{"id":"1"}},{{"id":"2","new_flag":true}}]"#
    ))
    .replace(r#""status":"AWAITING_SHIPMENT","#, r#""status":"AWAITING_SHIPMENT","paid_time":"soon","brand_new":1,"#);
    let mut notes = Notes::new(COLUMNS.len());
    let f = flat(&payload, &mut notes).unwrap();
    assert_eq!(f.len(), 2, "the repeated item id is dropped, counted");
    assert_eq!(notes.duplicate_items, 1);
    let Cell::Text(name) = cell(&f, 0, "item_name") else {
        panic!()
    };
    assert_eq!(name.chars().count(), 4000);
    assert_eq!(cell(&f, 0, "is_gift"), &Cell::Null);
    assert_eq!(cell(&f, 1, "paid_time"), &Cell::Null);
    assert_eq!(
        cell(&f, 0, "etl_flags"),
        &Cell::Text("truncated:item_name;invalid:paid_time;invalid:is_gift".into())
    );
    assert_eq!(
        cell(&f, 1, "etl_flags"),
        &Cell::Text("invalid:paid_time".into())
    );
    let count = |v: &Vec<u64>, name| v[index_of(name).unwrap()];
    assert_eq!(count(&notes.truncated, "item_name"), 1);
    assert_eq!(count(&notes.invalid, "paid_time"), 2, "once per row");
    assert_eq!(count(&notes.invalid, "is_gift"), 1);
    assert_eq!(
        notes.unmapped.keys().collect::<Vec<_>>(),
        ["brand_new", "line_items[].new_flag"]
    );
}

#[test]
fn a_scratch_reused_after_any_order_gives_what_a_fresh_one_gives() {
    static KEEP: Pii = Pii::Keep;
    let none = vec![false; COLUMNS.len()];
    let ctx = context(&KEEP, &none);
    let good = order(
        r#"[{"id":"1","sale_price":"1.5","item_tax":[{"tax_amount":"0.1"}]},{"id":"2","x":1}]"#,
    );
    let others = [
        order(r#"[{"id":"9","sale_price":"1,5"}]"#),
        order(r#"[{"id":"9"},7]"#),
        order(r#"[{"id":"9"},{"id":"9"},{"id":"8","is_gift":"yes"}]"#),
        r#"{"id":"1","line_items":[{"id":"1"}"#.to_owned(),
    ];
    let mut notes = Notes::new(COLUMNS.len());
    let fresh = flatten(&good, &ctx, &mut notes, &mut Scratch::default())
        .unwrap()
        .clone();
    let mut scratch = Scratch::default();
    for other in &others {
        let _ = flatten(other, &ctx, &mut Notes::new(COLUMNS.len()), &mut scratch);
        let mut again = Notes::new(COLUMNS.len());
        let reused = flatten(&good, &ctx, &mut again, &mut scratch).unwrap();
        assert_eq!(reused, &fresh, "after {other}");
        assert_eq!(again, notes, "after {other}");
    }
}

#[test]
fn personal_columns_follow_the_policy() {
    let pii = Pii::Mask;
    let columns: Vec<bool> = COLUMNS
        .iter()
        .map(|c| crate::transform::pii::COLUMNS.contains(&c.name))
        .collect();
    let payload = order(r#"[{"id":"1"}]"#);
    let mut scratch = Scratch::default();
    let f = flatten(
        &payload,
        &context(&pii, &columns),
        &mut Notes::new(COLUMNS.len()),
        &mut scratch,
    )
    .unwrap();
    assert_eq!(
        f.cell(0, index_of("recipient_name").unwrap()),
        &Cell::Text("N***".into())
    );
    assert_eq!(
        f.cell(0, index_of("recipient_address_country").unwrap()),
        &Cell::Text("Việt Nam".into()),
        "places are not personal"
    );
}
