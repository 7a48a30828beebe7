//! Values kept whole as JSON text (district info, item taxes, package ids,
//! combined-listing parts): cut to their column as the payload has them,
//! and looked inside where a column reads a value from them (the district
//! names, the item tax total).

use std::borrow::Cow;

use crate::schema::staged::{COLUMNS, Kind};
use crate::source::json::Json;
use crate::transform::cell::{self, Bad, Cell, Converted};

/// The JSON text of a kept value as the payload has it, cut to the column
/// if need be.
pub(super) fn json_text<'a>(index: usize, text: Option<&'a str>) -> Converted<'a> {
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
pub(super) fn parsed<'a>(text: Option<&'a str>, what: &str) -> Result<Option<Json<'a>>, Bad> {
    text.map(Json::parse)
        .transpose()
        .map_err(|e| Bad::new("bad_json", format!("{what} is not usable JSON: {e}")))
}

/// The `address_name` of the first entry of `recipient_address.district_info`
/// of `level` that has one.
pub(super) fn district<'j, 'a>(info: Option<&'j Json<'a>>, level: &str) -> Option<&'j Json<'a>> {
    let Some(Json::Array(entries)) = info else {
        return None;
    };
    entries.iter().find_map(|entry| {
        let name = entry.get("address_name")?;
        (entry.get("address_level")?.as_str()? == level).then_some(name)
    })
}

pub(super) fn item_tax_total(taxes: Option<&Json<'_>>) -> Result<Cell<'static>, Bad> {
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
