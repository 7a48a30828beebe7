//! The work the staged table's contract adds to any flatten, timed without
//! the flatten: every value put into an Arrow array, and every row's
//! `etl_row_hash` (docs/contracts.md).
//!
//! Both start from the staged rows transform wrote, already typed: no JSON
//! to look into, no conversion, no lookups. The fill copies them column by
//! column; the hash times SHA-256 alone, over bytes gathered beforehand. So
//! each takes less than the same work inside a flattener, never more.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Decimal128Array, Decimal128Builder,
    Int32Array, Int32Builder, RecordBatch, StringArray, StringBuilder, TimestampMillisecondArray,
    TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Decimal128Type, Int32Type, TimeUnit, TimestampMillisecondType};
use sha2::{Digest, Sha256};
use tiktok_etl::schema::staged::{self, COLUMNS, Origin};
use tiktok_etl::transform::cell::Cell;

use crate::Error;

/// Copies every value of `batch` into new arrays, one value at a time as a
/// flattener appends them, column by column (the cheapest order); returns
/// the values copied.
pub fn fill(batch: &RecordBatch) -> Result<usize, Error> {
    let copied = copy_batch(batch)?;
    Ok(copied.num_rows() * copied.num_columns())
}

fn copy_batch(batch: &RecordBatch) -> Result<RecordBatch, Error> {
    let copies = batch
        .columns()
        .iter()
        .map(copy)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(batch.schema(), copies)?)
}

fn copy(array: &ArrayRef) -> Result<ArrayRef, Error> {
    let rows = array.len();
    Ok(match array.data_type() {
        DataType::Utf8 => {
            let values = array.as_string::<i32>();
            let bytes = values.value_data().len();
            let mut copy = StringBuilder::with_capacity(rows, bytes);
            values.iter().for_each(|v| copy.append_option(v));
            Arc::new(copy.finish())
        }
        DataType::Decimal128(precision, scale) => {
            let mut copy = Decimal128Builder::with_capacity(rows);
            (array.as_primitive::<Decimal128Type>().iter()).for_each(|v| copy.append_option(v));
            Arc::new(copy.finish().with_precision_and_scale(*precision, *scale)?)
        }
        DataType::Timestamp(TimeUnit::Millisecond, zone) => {
            let mut copy = TimestampMillisecondBuilder::with_capacity(rows);
            (array.as_primitive::<TimestampMillisecondType>().iter())
                .for_each(|v| copy.append_option(v));
            Arc::new(copy.finish().with_timezone_opt(zone.clone()))
        }
        DataType::Boolean => {
            let mut copy = BooleanBuilder::with_capacity(rows);
            array
                .as_boolean()
                .iter()
                .for_each(|v| copy.append_option(v));
            Arc::new(copy.finish())
        }
        DataType::Int32 => {
            let mut copy = Int32Builder::with_capacity(rows);
            (array.as_primitive::<Int32Type>().iter()).for_each(|v| copy.append_option(v));
            Arc::new(copy.finish())
        }
        other => return Err(format!("a staged column of type {other}").into()),
    })
}

/// One staged column, its type known.
enum Column<'a> {
    Text(&'a StringArray),
    Money(&'a Decimal128Array),
    Time(&'a TimestampMillisecondArray),
    Bool(&'a BooleanArray),
    Int(&'a Int32Array),
}

impl Column<'_> {
    /// The value at `row` as transform's cell, whose bytes the row hash
    /// covers.
    fn cell(&self, row: usize) -> Cell<'_> {
        let null = match self {
            Column::Text(a) => a.is_null(row),
            Column::Money(a) => a.is_null(row),
            Column::Time(a) => a.is_null(row),
            Column::Bool(a) => a.is_null(row),
            Column::Int(a) => a.is_null(row),
        };
        if null {
            return Cell::Null;
        }
        match self {
            Column::Text(a) => Cell::Text(Cow::Borrowed(a.value(row))),
            Column::Money(a) => Cell::Money(a.value(row)),
            Column::Time(a) => Cell::Time(a.value(row)),
            Column::Bool(a) => Cell::Bool(a.value(row)),
            Column::Int(a) => Cell::Int(a.value(row)),
        }
    }
}

/// The bytes the row hashes of one batch cover, gathered (untimed: a
/// flattener gathers them from its own cells, which costs less than
/// gathering them from Arrow arrays row by row): each order's columns once,
/// then each of its rows' own.
pub struct Gathered {
    bytes: Vec<u8>,
    /// Where each part ends in `bytes`, in order.
    parts: Vec<Part>,
    /// The `etl_row_hash` transform wrote for each row.
    written: Vec<[u8; 64]>,
}

enum Part {
    Order(usize),
    Row(usize),
}

/// Gathers what the row hashes of `batch` (of the staged schema) cover, as
/// docs/contracts.md says: every column but `etl_batch_id` and the hash,
/// the order's columns first, then the line item's own, each in table
/// order.
pub fn gather(batch: &RecordBatch) -> Result<Gathered, Error> {
    let schema = batch.schema();
    let names = schema.fields().iter().map(|f| f.name().as_str());
    if !names.eq(COLUMNS.iter().map(|c| c.name)) {
        return Err("the staged files are not of the staged schema".into());
    }
    let columns: Vec<Column> = (batch.columns().iter())
        .map(|array| match array.data_type() {
            DataType::Utf8 => Column::Text(array.as_string()),
            DataType::Decimal128(..) => Column::Money(array.as_primitive()),
            DataType::Timestamp(..) => Column::Time(array.as_primitive()),
            DataType::Boolean => Column::Bool(array.as_boolean()),
            _ => Column::Int(array.as_primitive()),
        })
        .collect();
    let by = |keep: &dyn Fn(Origin) -> bool| -> Vec<usize> {
        (COLUMNS.iter().enumerate())
            .filter(|(_, c)| keep(c.origin))
            .map(|(i, _)| i)
            .collect()
    };
    let order_columns = by(&Origin::is_order);
    let own_columns = by(&|o| !o.is_order() && !matches!(o, Origin::RunId | Origin::RowHash));
    let (Some(order_id), Some(hash)) = (
        staged::index_of("order_id"),
        COLUMNS.iter().position(|c| c.origin == Origin::RowHash),
    ) else {
        return Err("the staged schema has no order_id or no row hash".into());
    };
    let order_ids = batch.column(order_id).as_string::<i32>();
    let hashes = batch.column(hash).as_string::<i32>();

    let mut gathered = Gathered {
        bytes: Vec::new(),
        parts: Vec::new(),
        written: Vec::with_capacity(batch.num_rows()),
    };
    for row in 0..batch.num_rows() {
        if row == 0 || order_ids.value(row) != order_ids.value(row - 1) {
            for &c in &order_columns {
                columns[c].cell(row).hash_bytes(&mut gathered.bytes);
            }
            gathered.parts.push(Part::Order(gathered.bytes.len()));
        }
        for &c in &own_columns {
            columns[c].cell(row).hash_bytes(&mut gathered.bytes);
        }
        gathered.parts.push(Part::Row(gathered.bytes.len()));
        let written = hashes.value(row).as_bytes().try_into();
        gathered.written.push(written.unwrap_or([0; 64]));
    }
    Ok(gathered)
}

/// Hashes every row as transform does: the order's bytes once, then each
/// row's own, SHA-256 in hex; returns the rows whose digest is not the
/// `etl_row_hash` transform wrote (none, unless the contract and this copy
/// of it disagree).
pub fn hash(gathered: &Gathered) -> Result<usize, Error> {
    let mut order_hash = Sha256::new();
    let mut digits = [0u8; 64];
    let mut start = 0;
    let mut rows = gathered.written.iter();
    let mut differ = 0;
    for part in &gathered.parts {
        match *part {
            Part::Order(end) => {
                order_hash = Sha256::new();
                order_hash.update(&gathered.bytes[start..end]);
                start = end;
            }
            Part::Row(end) => {
                let mut row_hash = order_hash.clone();
                row_hash.update(&gathered.bytes[start..end]);
                start = end;
                hex::encode_to_slice(row_hash.finalize(), &mut digits)?;
                if rows.next() != Some(&digits) {
                    differ += 1;
                }
            }
        }
    }
    Ok(differ)
}

#[cfg(test)]
pub mod tests;
