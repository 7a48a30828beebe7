//! One TikTok Shop order to its line-item rows, following the plan
//! (`plan.rs`): the payload is read straight into the plan's slots
//! (`read.rs`), the order-level cells converted once and shared by every
//! line item's row, each line item's own cells converted into its row.
//! Everything an order needs is kept in a [`Scratch`] reused from one order
//! to the next.
//!
//! An order becomes a reject only when it cannot be represented: not JSON,
//! no order id, no `update_time` (the load keeps the newest version of a row
//! by it), no line items, a line item without an id, an amount that is not
//! a number. Anything else is kept: a text longer than its column is cut, a
//! field of the wrong type is stored as null, and both are named in the
//! row's `etl_flags` and counted; a line item id repeated in one order keeps
//! its first line (counted).

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use super::plan::{PLAN, Read};
use super::read::{ItemsShape, Order};
use super::scan;
use crate::schema::staged::{COLUMNS, Kind};
use crate::source::json::Json;
use crate::source::{Flat, Notes, RowContext};
use crate::transform::cell::{self, Bad, Cell, Converted};

/// What flattening keeps from one order to the next: the slots the payload
/// is read into, the rows, the bytes a row's hash covers.
#[derive(Debug, Default)]
pub struct Scratch<'a> {
    order: Order<'a>,
    flat: Flat<'a>,
    bytes: Vec<u8>,
}

/// Flattens one order's payload into rows (one per line item), each a cell
/// per column of [`COLUMNS`].
pub fn flatten<'a, 's>(
    payload: &'a str,
    context: &RowContext<'a>,
    notes: &mut Notes,
    scratch: &'s mut Scratch<'a>,
) -> Result<&'s Flat<'a>, Bad> {
    let plan = &*PLAN;
    let Scratch { order, flat, bytes } = scratch;
    match scan::read(order, plan, payload) {
        Ok(true) => {}
        Ok(false) => return Err(Bad::new("bad_json", "the payload is not a JSON object")),
        Err(e) => {
            return Err(Bad::new(
                "bad_json",
                format!("the payload is not JSON: {e}"),
            ));
        }
    }
    let not_object = match &order.items.shape {
        ItemsShape::Array { not_object } if order.items.count > 0 => not_object,
        ItemsShape::Array { .. } | ItemsShape::Absent => {
            return Err(Bad::new("no_line_items", "the order has no line_items"));
        }
        ItemsShape::Other(other) => {
            return Err(Bad::new(
                "bad_json",
                format!("line_items is not an array: {}", other.to_json_text()),
            ));
        }
    };
    flat.clear(COLUMNS.len(), &plan.own_columns);
    let width = plan.own_columns.len();
    let mut shared = Changes::default();
    let districts = parsed(order.texts[plan.district_text], "district_info")?;
    for &index in &plan.order_columns {
        let value = match plan.reads[index] {
            Read::Order(slot) => match &order.slots[slot] {
                // Left null; fields are often absent.
                None if !COLUMNS[index].required => continue,
                value => convert(index, value.as_ref())?,
            },
            Read::OrderJson(slot) => json_text(index, order.texts[slot]),
            Read::District(level) => convert(index, district(districts.as_ref(), level))?,
            _ => continue,
        };
        shared.set(&mut flat.shared[index], index, value, context);
    }
    // Every row's hash starts with the order's cells: hashed once.
    bytes.clear();
    for &index in &plan.order_columns {
        hash_bytes(&flat.shared[index], bytes);
    }
    let mut order_hash = Sha256::new();
    order_hash.update(&*bytes);
    for item in 0..order.items.count {
        if let Some((at, value)) = not_object
            && *at == item
        {
            return Err(Bad::new(
                "bad_json",
                format!("a line item is not an object: {}", value.to_json_text()),
            ));
        }
        let (slots, texts) = order.item(item);
        let start = flat.cells.len();
        flat.cells.resize(start + width, Cell::Null);
        let (earlier, row) = flat.cells.split_at_mut(start);
        let mut own = Changes::default();
        for &(index, place) in &plan.item_columns {
            let value = match plan.reads[index] {
                Read::Item(slot) => match &slots[slot] {
                    None if !COLUMNS[index].required => continue,
                    value => convert(index, value.as_ref())?,
                },
                Read::ItemJson(slot) => json_text(index, texts[slot]),
                Read::ItemTaxTotal(slot) => {
                    Converted::Cell(item_tax_total(parsed(texts[slot], "item_tax")?.as_ref())?)
                }
                Read::RunId => Converted::Cell(Cell::Text(Cow::Borrowed(context.run_id))),
                Read::Shop => Converted::Cell(Cell::Text(Cow::Borrowed(context.shop_cipher))),
                Read::UnitQuantity => Converted::Cell(Cell::Int(1)),
                _ => continue,
            };
            own.set(&mut row[place], index, value, context);
        }
        let item_id = &row[plan.item_id];
        if !matches!(item_id, Cell::Text(_)) {
            return Err(Bad::new("missing_field", "item_id is missing"));
        }
        // Orders hold a few line items: looking back beats hashing each id.
        if earlier
            .chunks_exact(width)
            .any(|seen| seen[plan.item_id] == *item_id)
        {
            notes.duplicate_items += 1;
            flat.cells.truncate(start);
            continue;
        }
        own.count(notes, 1);
        if let Some(flags) = flags(&shared, &own) {
            row[plan.flags] = Cell::Text(Cow::Owned(flags));
        }
        bytes.clear();
        for &place in &plan.hashed_own {
            hash_bytes(&row[place], bytes);
        }
        let mut row_hash = order_hash.clone();
        row_hash.update(&*bytes);
        row[plan.hash] = Cell::Text(Cow::Owned(hex(&row_hash.finalize())));
    }
    order.item_unmapped.sort_unstable();
    order.item_unmapped.dedup();
    for path in order
        .unmapped
        .drain(..)
        .chain(order.item_unmapped.drain(..))
    {
        *notes.unmapped.entry(path).or_default() += 1;
    }
    shared.count(notes, flat.len() as u64);
    Ok(flat)
}

/// The columns whose value had to change in the order's cells, or in one
/// line item's.
#[derive(Default)]
struct Changes {
    truncated: Vec<usize>,
    invalid: Vec<usize>,
}

impl Changes {
    /// Puts `value` of column `index` in `target`, noting what had to
    /// change and applying the personal-data policy.
    fn set<'a>(
        &mut self,
        target: &mut Cell<'a>,
        index: usize,
        value: Converted<'a>,
        context: &RowContext<'a>,
    ) {
        let cell = match value {
            Converted::Cell(cell) => cell,
            Converted::Truncated(cell) => {
                self.truncated.push(index);
                cell
            }
            Converted::Invalid => {
                self.invalid.push(index);
                Cell::Null
            }
        };
        *target = match &context.pii_columns[index] {
            true => context.pii.apply(cell),
            false => cell,
        };
    }

    /// Counts the changes once per row they appear in.
    fn count(&self, notes: &mut Notes, rows: u64) {
        for &i in &self.truncated {
            notes.truncated[i] += rows;
        }
        for &i in &self.invalid {
            notes.invalid[i] += rows;
        }
    }
}

/// A row's `etl_flags`: its order's changes and its own, or `None`.
fn flags(shared: &Changes, own: &Changes) -> Option<String> {
    let truncated = shared.truncated.iter().chain(&own.truncated);
    let invalid = shared.invalid.iter().chain(&own.invalid);
    let mut flags = String::new();
    for (what, &index) in
        (truncated.map(|i| ("truncated:", i))).chain(invalid.map(|i| ("invalid:", i)))
    {
        if !flags.is_empty() {
            flags.push(';');
        }
        flags.push_str(what);
        flags.push_str(COLUMNS[index].name);
    }
    (!flags.is_empty()).then_some(flags)
}

/// Converts a value for column `index`; a required column must be there.
fn convert<'a>(index: usize, value: Option<&Json<'a>>) -> Result<Converted<'a>, Bad> {
    let column = &COLUMNS[index];
    let converted = cell::convert(column.kind, value, column.name)?;
    if column.required {
        match &converted {
            Converted::Cell(Cell::Null) => {
                return Err(Bad::new(
                    "missing_field",
                    format!("{} is missing", column.name),
                ));
            }
            Converted::Invalid => {
                return Err(Bad::new(
                    "missing_field",
                    format!(
                        "{} is not usable: {}",
                        column.name,
                        value.map(Json::to_json_text).unwrap_or_default()
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(converted)
}

/// The JSON text of a kept value as the payload has it, cut to the column
/// if need be.
fn json_text<'a>(index: usize, text: Option<&'a str>) -> Converted<'a> {
    let Some(text) = text else {
        return Converted::Cell(Cell::Null);
    };
    let Kind::Text(max) = COLUMNS[index].kind else {
        return Converted::Invalid;
    };
    match cell::fit(text, usize::from(max)) {
        None => Converted::Cell(Cell::Text(Cow::Borrowed(text))),
        Some(cut) => Converted::Truncated(Cell::Text(Cow::Borrowed(&text[..cut]))),
    }
}

/// The value of a kept JSON text of `what`, to look inside. The reader
/// checked its syntax only: a number out of range makes the order a reject,
/// as it would have made the whole payload.
fn parsed<'a>(text: Option<&'a str>, what: &str) -> Result<Option<Json<'a>>, Bad> {
    text.map(Json::parse)
        .transpose()
        .map_err(|e| Bad::new("bad_json", format!("{what} is not usable JSON: {e}")))
}

/// The `address_name` of the first entry of `recipient_address.district_info`
/// of `level` that has one.
fn district<'j, 'a>(info: Option<&'j Json<'a>>, level: &str) -> Option<&'j Json<'a>> {
    let Some(Json::Array(entries)) = info else {
        return None;
    };
    entries.iter().find_map(|entry| {
        let name = entry.get("address_name")?;
        (entry.get("address_level")?.as_str()? == level).then_some(name)
    })
}

fn item_tax_total(taxes: Option<&Json<'_>>) -> Result<Cell<'static>, Bad> {
    let Some(Json::Array(taxes)) = taxes else {
        return Ok(Cell::Null);
    };
    let mut total: i128 = 0;
    for tax in taxes {
        if let Converted::Cell(Cell::Money(units)) =
            cell::convert(Kind::Money, tax.get("tax_amount"), "item_tax.tax_amount")?
        {
            total += units;
        }
    }
    Ok(Cell::Money(total))
}

/// Adds a cell's bytes to what a row's hash covers: tagged by kind and
/// length-prefixed, so no two different rows give the same bytes.
fn hash_bytes(cell: &Cell, bytes: &mut Vec<u8>) {
    match cell {
        Cell::Null => bytes.push(0),
        Cell::Text(s) => {
            bytes.push(1);
            bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
            bytes.extend_from_slice(s.as_bytes());
        }
        Cell::Money(v) => {
            bytes.push(2);
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        Cell::Time(v) => {
            bytes.push(3);
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        Cell::Bool(b) => bytes.extend_from_slice(&[4, u8::from(*b)]),
        Cell::Int(v) => {
            bytes.push(5);
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// Lower-case hex digits of a digest.
fn hex(digest: &[u8]) -> String {
    let mut digits = [0u8; 64];
    hex::encode_to_slice(digest, &mut digits).expect("64 digits for 32 bytes");
    std::str::from_utf8(&digits)
        .expect("hex digits are ASCII")
        .to_owned()
}

#[cfg(test)]
mod tests {
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
}
