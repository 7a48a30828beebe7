//! One TikTok Shop order to its line-item rows, following the plan
//! (`plan.rs`): the payload is read straight into the plan's slots
//! (`read.rs`), the order-level cells converted once and shared by every
//! line item's row, each line item's own cells converted into its row;
//! values kept as JSON text are cut and looked inside by `kept.rs`.
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

use super::kept::{district, item_tax_total, json_text, parsed};
use super::order::{ItemsShape, Order};
use super::plan::{PLAN, Read};
use super::scan;
use crate::schema::staged::COLUMNS;
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
        flat.shared[index].hash_bytes(bytes);
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
            row[place].hash_bytes(bytes);
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

/// Lower-case hex digits of a digest.
fn hex(digest: &[u8]) -> String {
    let mut digits = [0u8; 64];
    hex::encode_to_slice(digest, &mut digits).expect("64 digits for 32 bytes");
    std::str::from_utf8(&digits)
        .expect("hex digits are ASCII")
        .to_owned()
}

#[cfg(test)]
#[path = "flatten_tests.rs"]
mod tests;
