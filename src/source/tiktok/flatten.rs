//! One TikTok Shop order to its line-item rows, following the plan
//! (`plan.rs`): the order is parsed once into a borrowed tree, its keys put
//! in their slots, its order-level cells converted once and shared by every
//! line item's row.
//!
//! An order becomes a reject only when it cannot be represented: not JSON,
//! no order id, no `update_time` (the load keeps the newest version of a row
//! by it), no line items, a line item without an id, an amount that is not
//! a number. Anything else is kept: a text longer than its column is cut, a
//! field of the wrong type is stored as null, and both are named in the
//! row's `etl_flags` and counted; a line item id repeated in one order keeps
//! its first line (counted).

use std::borrow::Cow;
use std::collections::HashSet;

use sha2::{Digest, Sha256};

use super::plan::{PLAN, Read};
use crate::schema::staged::{COLUMNS, Kind};
use crate::source::json::Json;
use crate::source::{Notes, RowContext};
use crate::transform::cell::{self, Bad, Cell, Converted};

/// Flattens one order's payload into rows (one per line item), each a cell
/// per column of [`COLUMNS`].
pub fn flatten<'a>(
    payload: &'a str,
    context: &RowContext,
    notes: &mut Notes,
) -> Result<Vec<Vec<Cell<'a>>>, Bad> {
    let order = Json::parse(payload)
        .map_err(|e| Bad::new("bad_json", format!("the payload is not JSON: {e}")))?;
    let Some(fields) = order.as_object() else {
        return Err(Bad::new("bad_json", "the payload is not a JSON object"));
    };
    let plan = &*PLAN;
    let mut unmapped = Vec::new();
    let mut order_slots = vec![None; plan.order_slots];
    plan.order
        .resolve(fields, &mut order_slots, "", &mut unmapped);
    let items = match order.get("line_items") {
        Some(Json::Array(items)) if !items.is_empty() => items,
        Some(Json::Array(_)) | None | Some(Json::Null) => {
            return Err(Bad::new("no_line_items", "the order has no line_items"));
        }
        Some(other) => {
            return Err(Bad::new(
                "bad_json",
                format!("line_items is not an array: {}", other.to_json_text()),
            ));
        }
    };
    let mut shared = Row::new();
    let districts = districts(order_slots[plan.district_slot]);
    for (index, read) in plan.reads.iter().enumerate() {
        let value = match *read {
            Read::Order(slot) => convert(index, order_slots[slot])?,
            Read::OrderJson(slot) => json_text(index, order_slots[slot]),
            Read::District(level) => {
                let name = districts.iter().find(|(l, _)| l == level).map(|(_, n)| n);
                convert(index, name)?
            }
            _ => continue,
        };
        shared.set(index, value, context);
    }
    let mut rows = Vec::with_capacity(items.len());
    let mut seen_items = HashSet::with_capacity(items.len());
    let mut item_unmapped = Vec::new();
    for item in items {
        let Some(item_fields) = item.as_object() else {
            return Err(Bad::new(
                "bad_json",
                format!("a line item is not an object: {}", item.to_json_text()),
            ));
        };
        let mut item_slots = vec![None; plan.item_slots];
        plan.item.resolve(
            item_fields,
            &mut item_slots,
            "line_items[].",
            &mut item_unmapped,
        );
        let mut row = shared.clone();
        for (index, read) in plan.reads.iter().enumerate() {
            let value = match *read {
                Read::Item(slot) => convert(index, item_slots[slot])?,
                Read::ItemJson(slot) => json_text(index, item_slots[slot]),
                Read::ItemTaxTotal(slot) => Converted::Cell(item_tax_total(item_slots[slot])?),
                Read::RunId => Converted::Cell(Cell::Text(Cow::Owned(context.run_id.to_owned()))),
                Read::Shop => {
                    Converted::Cell(Cell::Text(Cow::Owned(context.shop_cipher.to_owned())))
                }
                Read::UnitQuantity => Converted::Cell(Cell::Int(1)),
                _ => continue,
            };
            row.set(index, value, context);
        }
        let item_id = match &row.cells[ITEM_ID] {
            Cell::Text(id) => id.to_string(),
            _ => return Err(Bad::new("missing_field", "item_id is missing")),
        };
        if !seen_items.insert(item_id) {
            notes.duplicate_items += 1;
            continue;
        }
        rows.push(row.finish(notes));
    }
    item_unmapped.sort_unstable();
    item_unmapped.dedup();
    for path in unmapped.into_iter().chain(item_unmapped) {
        *notes.unmapped.entry(path).or_default() += 1;
    }
    Ok(rows)
}

const ITEM_ID: usize = 3;

/// A row being filled: its cells and what had to change.
#[derive(Clone)]
struct Row<'a> {
    cells: Vec<Cell<'a>>,
    truncated: Vec<usize>,
    invalid: Vec<usize>,
}

impl<'a> Row<'a> {
    fn new() -> Row<'a> {
        Row {
            cells: vec![Cell::Null; COLUMNS.len()],
            truncated: Vec::new(),
            invalid: Vec::new(),
        }
    }

    fn set(&mut self, index: usize, value: Converted<'a>, context: &RowContext) {
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
        self.cells[index] = match &context.pii_columns[index] {
            true => context.pii.apply(cell),
            false => cell,
        };
    }

    /// The flags and the content hash, then the cells.
    fn finish(mut self, notes: &mut Notes) -> Vec<Cell<'a>> {
        for &i in &self.truncated {
            notes.truncated[i] += 1;
        }
        for &i in &self.invalid {
            notes.invalid[i] += 1;
        }
        let flags: Vec<String> = self
            .truncated
            .iter()
            .map(|&i| format!("truncated:{}", COLUMNS[i].name))
            .chain(
                self.invalid
                    .iter()
                    .map(|&i| format!("invalid:{}", COLUMNS[i].name)),
            )
            .collect();
        for (index, read) in PLAN.reads.iter().enumerate() {
            match read {
                Read::Flags if !flags.is_empty() => {
                    self.cells[index] = Cell::Text(Cow::Owned(flags.join(";")));
                }
                Read::RowHash => self.cells[index] = Cell::Text(Cow::Owned(row_hash(&self.cells))),
                _ => {}
            }
        }
        self.cells
    }
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

/// The JSON text of a kept array or object, cut to the column if need be.
fn json_text<'a>(index: usize, value: Option<&Json<'a>>) -> Converted<'a> {
    let text = match value {
        None | Some(Json::Null) => return Converted::Cell(Cell::Null),
        Some(v) => v.to_json_text(),
    };
    let Kind::Text(max) = COLUMNS[index].kind else {
        return Converted::Invalid;
    };
    match cell::fit(&text, usize::from(max)) {
        None => Converted::Cell(Cell::Text(Cow::Owned(text))),
        Some(cut) => Converted::Truncated(Cell::Text(Cow::Owned(text[..cut].to_owned()))),
    }
}

/// `(address_level, address_name)` pairs of `recipient_address.district_info`.
fn districts<'a>(info: Option<&Json<'a>>) -> Vec<(String, Json<'a>)> {
    let Some(Json::Array(entries)) = info else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| {
            let level = e.get("address_level")?.as_str()?;
            let name = e.get("address_name")?;
            Some((level.to_owned(), name.clone()))
        })
        .collect()
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

/// A hash of every content cell: the same order read again gives the same
/// hash whatever run it came in, so `etl_batch_id` is left out.
fn row_hash(cells: &[Cell]) -> String {
    let mut hasher = Sha256::new();
    for (read, cell) in PLAN.reads.iter().zip(cells) {
        if matches!(read, Read::RunId | Read::RowHash) {
            continue;
        }
        match cell {
            Cell::Null => hasher.update([0u8]),
            Cell::Text(s) => {
                hasher.update([1u8]);
                hasher.update((s.len() as u64).to_le_bytes());
                hasher.update(s.as_bytes());
            }
            Cell::Money(v) => {
                hasher.update([2u8]);
                hasher.update(v.to_le_bytes());
            }
            Cell::Time(v) => {
                hasher.update([3u8]);
                hasher.update(v.to_le_bytes());
            }
            Cell::Bool(b) => hasher.update([4u8, u8::from(*b)]),
            Cell::Int(v) => {
                hasher.update([5u8]);
                hasher.update(v.to_le_bytes());
            }
        }
    }
    hex::encode(hasher.finalize())
}
