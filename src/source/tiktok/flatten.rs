//! One order to its line-item rows, following the staged column table.
//!
//! An order becomes all of its rows or none: the first value that cannot be
//! read makes the whole order a reject, with the reason.

use std::collections::HashSet;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::schema::staged::{COLUMNS, Kind, Origin};
use crate::source::RowContext as Context;
use crate::transform::cell::{self, Bad, Cell};

/// Flattens one order's payload into rows (one per line item), each row a
/// cell per column of [`COLUMNS`].
pub fn flatten(payload: &str, context: &Context) -> Result<Vec<Vec<Cell>>, Bad> {
    let order: Value = serde_json::from_str(payload)
        .map_err(|e| Bad::new("bad_json", format!("the payload is not JSON: {e}")))?;
    if !order.is_object() {
        return Err(Bad::new("bad_json", "the payload is not a JSON object"));
    }
    let items = match order.get("line_items") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(Bad::new("no_line_items", "the order has no line_items"));
        }
        Some(other) => {
            return Err(Bad::new(
                "bad_json",
                format!("line_items is not an array: {other}"),
            ));
        }
    };
    let districts = districts(&order);
    let mut seen_items = HashSet::with_capacity(items.len());
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let row = row(&order, item, &districts, context)?;
        let item_id = match &row[ITEM_ID] {
            Cell::Text(id) => id.clone(),
            _ => unreachable!("item_id is required, so row() never leaves it null"),
        };
        if !seen_items.insert(item_id.clone()) {
            return Err(Bad::new(
                "duplicate_line_item",
                format!("line item {item_id} appears twice in the order"),
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

const ITEM_ID: usize = 3;

fn row(
    order: &Value,
    item: &Value,
    districts: &[(String, String)],
    context: &Context,
) -> Result<Vec<Cell>, Bad> {
    let mut cells = Vec::with_capacity(COLUMNS.len());
    for column in COLUMNS {
        let cell = match column.origin {
            Origin::RunId => Cell::Text(context.run_id.to_owned()),
            Origin::Shop => Cell::Text(context.shop_cipher.to_owned()),
            Origin::Order(path) => cell::convert(column.kind, lookup(order, path), column.name)?,
            Origin::Item(path) => cell::convert(column.kind, lookup(item, path), column.name)?,
            Origin::District(level) => {
                let name = districts
                    .iter()
                    .find(|(l, _)| l == level)
                    .map(|(_, name)| Value::String(name.clone()));
                cell::convert(column.kind, name.as_ref(), column.name)?
            }
            Origin::ItemTaxTotal => item_tax_total(item)?,
            Origin::UnitQuantity => Cell::Int(1),
            Origin::RowHash => Cell::Text(row_hash(&cells)),
        };
        if column.required && cell == Cell::Null {
            return Err(Bad::new(
                "missing_field",
                format!("{} is missing", column.name),
            ));
        }
        cells.push(cell);
    }
    Ok(cells)
}

/// Follows a `.`-separated path of object keys.
fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// `(address_level, address_name)` pairs of `recipient_address.district_info`.
fn districts(order: &Value) -> Vec<(String, String)> {
    let Some(Value::Array(entries)) = lookup(order, "recipient_address.district_info") else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| {
            let level = e.get("address_level")?.as_str()?;
            let name = e.get("address_name")?.as_str()?;
            Some((level.to_owned(), name.to_owned()))
        })
        .collect()
}

fn item_tax_total(item: &Value) -> Result<Cell, Bad> {
    let Some(Value::Array(taxes)) = item.get("item_tax") else {
        return Ok(Cell::Null);
    };
    let mut total: i128 = 0;
    for tax in taxes {
        if let Cell::Money(units) =
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
    for (column, cell) in COLUMNS.iter().zip(cells) {
        if column.origin == Origin::RunId {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::staged::index_of;

    const CONTEXT: Context = Context {
        run_id: "run-1",
        shop_cipher: "GCP_shop",
    };

    fn cell<'r>(row: &'r [Cell], name: &str) -> &'r Cell {
        &row[index_of(name).unwrap()]
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

    #[test]
    fn one_row_per_line_item_with_exact_money_and_districts() {
        let items = r#"[{"id":"1","sku_id":"s","sale_price":"10.65","item_tax":[{"tax_amount":"0.6"},{"tax_amount":"0.0001"}]},
                        {"id":"2","sku_id":"s","sale_price":"10.65"}]"#;
        let rows = flatten(&order(items), &CONTEXT).unwrap();
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!(
            cell(first, "order_id"),
            &Cell::Text("576461413038785752".into())
        );
        assert_eq!(cell(first, "item_id"), &Cell::Text("1".into()));
        assert_eq!(cell(first, "total_amount"), &Cell::Money(213_000));
        assert_eq!(cell(first, "tax_amount"), &Cell::Money(12_000));
        assert_eq!(cell(first, "item_tax_amount"), &Cell::Money(6_001));
        assert_eq!(cell(&rows[1], "item_tax_amount"), &Cell::Null);
        assert_eq!(
            cell(first, "recipient_address_country"),
            &Cell::Text("Việt Nam".into())
        );
        assert_eq!(
            cell(first, "recipient_address_city"),
            &Cell::Text("Hà Nội".into())
        );
        assert_eq!(cell(first, "recipient_address_state"), &Cell::Null);
        assert_eq!(cell(first, "create_time"), &Cell::Time(1_619_611_561_000));
        assert_eq!(cell(first, "item_quantity"), &Cell::Int(1));
        assert_eq!(cell(first, "etl_batch_id"), &Cell::Text("run-1".into()));
    }

    #[test]
    fn the_hash_ignores_the_run_but_sees_every_content_change() {
        let items = r#"[{"id":"1","sale_price":"10.65"}]"#;
        let a = flatten(&order(items), &CONTEXT).unwrap();
        let b = flatten(
            &order(items),
            &Context {
                run_id: "run-2",
                ..CONTEXT
            },
        )
        .unwrap();
        let c = flatten(&order(r#"[{"id":"1","sale_price":"10.66"}]"#), &CONTEXT).unwrap();
        assert_eq!(cell(&a[0], "etl_row_hash"), cell(&b[0], "etl_row_hash"));
        assert_ne!(cell(&a[0], "etl_row_hash"), cell(&c[0], "etl_row_hash"));
    }

    #[test]
    fn bad_orders_become_one_reject_with_a_reason() {
        let reason = |payload: &str| flatten(payload, &CONTEXT).unwrap_err().reason;
        assert_eq!(reason("{not json"), "bad_json");
        assert_eq!(reason("[1,2]"), "bad_json");
        assert_eq!(reason(&order("[]")), "no_line_items");
        assert_eq!(reason(&order(r#"[{"sale_price":"1"}]"#)), "missing_field");
        assert_eq!(
            reason(&order(r#"[{"id":"1","sale_price":"1,5"}]"#)),
            "bad_amount"
        );
        assert_eq!(
            reason(&order(r#"[{"id":"1"},{"id":"1"}]"#)),
            "duplicate_line_item"
        );
        let no_update = order(r#"[{"id":"1"}]"#).replace(r#""update_time":1619621355,"#, "");
        let bad = flatten(&no_update, &CONTEXT).unwrap_err();
        assert_eq!(
            (bad.reason, bad.detail.as_str()),
            ("missing_field", "update_time is missing")
        );
    }
}
