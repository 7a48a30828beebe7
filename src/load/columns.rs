//! A staged `RecordBatch` seen column by column, typed by [`COLUMNS`].
//!
//! Files are checked against the staged schema on read, but by name, not by
//! position; this view puts the columns in [`COLUMNS`] order so both
//! backends can walk a row from the first column to the last.

use arrow::array::{
    Array, BooleanArray, Decimal128Array, Int32Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};

use super::error::LoadError;
use crate::schema::staged::{COLUMNS, Kind, index_of};

/// One column's values.
pub(crate) enum Values<'a> {
    Text(&'a StringArray),
    /// Units of 10^-4 (Decimal128(19, 4)).
    Money(&'a Decimal128Array),
    /// Milliseconds since the Unix epoch, UTC.
    Time(&'a TimestampMillisecondArray),
    Bool(&'a BooleanArray),
    Int(&'a Int32Array),
}

pub(crate) struct StagedColumns<'a> {
    /// In [`COLUMNS`] order.
    pub columns: Vec<Values<'a>>,
    pub rows: usize,
}

impl<'a> StagedColumns<'a> {
    pub fn new(batch: &'a RecordBatch) -> Result<Self, LoadError> {
        let columns = COLUMNS
            .iter()
            .map(|c| {
                let array = batch
                    .column_by_name(c.name)
                    .ok_or_else(|| mistyped(c.name))?
                    .as_any();
                let values = match c.kind {
                    Kind::Text(_) => array.downcast_ref().map(Values::Text),
                    Kind::Money => array.downcast_ref().map(Values::Money),
                    Kind::Time => array.downcast_ref().map(Values::Time),
                    Kind::Bool => array.downcast_ref().map(Values::Bool),
                    Kind::Int => array.downcast_ref().map(Values::Int),
                };
                values.ok_or_else(|| mistyped(c.name))
            })
            .collect::<Result<_, _>>()?;
        Ok(StagedColumns {
            columns,
            rows: batch.num_rows(),
        })
    }

    /// A text column by name (`None` for a null).
    pub fn text(&self, name: &str, row: usize) -> Option<&'a str> {
        match index_of(name).map(|i| &self.columns[i]) {
            Some(Values::Text(a)) if a.is_valid(row) => Some(a.value(row)),
            _ => None,
        }
    }

    /// `order_id=…, item_id=…` of a row, for messages.
    pub fn key(&self, row: usize) -> String {
        format!(
            "order_id={}, item_id={}",
            self.text("order_id", row).unwrap_or("NULL"),
            self.text("item_id", row).unwrap_or("NULL")
        )
    }
}

fn mistyped(column: &str) -> LoadError {
    // The schema check on read makes this a bug, not an input problem.
    LoadError::Input(format!(
        "staged column {column} does not have the staged type"
    ))
}
