//! Rows of cells into Arrow record batches of the staged schema.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{
    ArrayRef, BooleanBuilder, Decimal128Builder, Int32Builder, RecordBatch, StringBuilder,
    TimestampMillisecondBuilder,
};

use arrow::datatypes::SchemaRef;

use super::cell::Cell;
use crate::money;
use crate::schema::staged::{Column, Kind};
use crate::source::Flat;

enum Builder {
    Text(StringBuilder),
    Money(Decimal128Builder),
    Time(TimestampMillisecondBuilder),
    Bool(BooleanBuilder),
    Int(Int32Builder),
}

/// How big the last batch finished was: the next batch's builders start
/// that big (and an eighth more) instead of growing their buffers from
/// empty, copying them at each step. Only a hint: batches finishing at once
/// may overwrite each other's.
pub(super) struct Sizes {
    rows: AtomicUsize,
    /// Bytes of text of each column (0 for other kinds).
    text_bytes: Vec<AtomicUsize>,
}

impl Sizes {
    pub fn new(columns: usize) -> Sizes {
        Sizes {
            rows: AtomicUsize::new(0),
            text_bytes: (0..columns).map(|_| AtomicUsize::new(0)).collect(),
        }
    }
}

/// A size hint with room to spare.
fn room(hint: &AtomicUsize) -> usize {
    let hint = hint.load(Ordering::Relaxed);
    hint + hint / 8
}

/// Collects staged rows column by column.
pub(super) struct RowBuilder {
    builders: Vec<Builder>,
    /// The columns rows have their own cells of, and each column's place
    /// among them (from the last record pushed).
    own: &'static [usize],
    places: Vec<Option<usize>>,
    schema: SchemaRef,
    rows: usize,
}

impl RowBuilder {
    /// A builder for rows of `columns`, whose batches have `schema`, sized
    /// as `sizes` says.
    pub fn new(columns: &[Column], schema: SchemaRef, sizes: &Sizes) -> Self {
        let rows = room(&sizes.rows).max(1024);
        let builders = (columns.iter().zip(&sizes.text_bytes))
            .map(|(c, bytes)| match c.kind {
                Kind::Text(_) => Builder::Text(StringBuilder::with_capacity(rows, room(bytes))),
                Kind::Money => Builder::Money(Decimal128Builder::with_capacity(rows)),
                Kind::Time => Builder::Time(TimestampMillisecondBuilder::with_capacity(rows)),
                Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
                Kind::Int => Builder::Int(Int32Builder::with_capacity(rows)),
            })
            .collect();
        RowBuilder {
            builders,
            own: &[],
            places: vec![None; columns.len()],
            schema,
            rows: 0,
        }
    }

    /// Appends the rows of one record; its cells come from the source's
    /// flattener, so each matches its column's kind.
    pub fn push_all(&mut self, flat: &Flat<'_>) {
        if !std::ptr::eq(self.own, flat.own) {
            self.own = flat.own;
            self.places = (0..self.builders.len())
                .map(|column| flat.own.iter().position(|&c| c == column))
                .collect();
        }
        for row in flat.rows() {
            self.push(row, &flat.shared);
        }
    }

    /// Appends one row: its own cell of each column it has one of, else
    /// the shared one.
    fn push(&mut self, row: &[Cell<'_>], shared: &[Cell<'_>]) {
        let columns = self.builders.iter_mut().zip(&self.places).zip(shared);
        for ((builder, place), shared) in columns {
            let cell = match place {
                Some(place) => &row[*place],
                None => shared,
            };
            match (builder, cell) {
                (Builder::Text(b), Cell::Text(v)) => b.append_value(v.as_ref()),
                (Builder::Money(b), Cell::Money(v)) => b.append_value(*v),
                (Builder::Time(b), Cell::Time(v)) => b.append_value(*v),
                (Builder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
                (Builder::Int(b), Cell::Int(v)) => b.append_value(*v),
                (Builder::Text(b), _) => b.append_null(),
                (Builder::Money(b), _) => b.append_null(),
                (Builder::Time(b), _) => b.append_null(),
                (Builder::Bool(b), _) => b.append_null(),
                (Builder::Int(b), _) => b.append_null(),
            }
        }
        self.rows += 1;
    }

    /// The rows so far as a batch, their sizes noted in `sizes`; the
    /// builders start over empty.
    pub fn finish(&mut self, sizes: &Sizes) -> Result<RecordBatch, arrow::error::ArrowError> {
        sizes.rows.store(self.rows, Ordering::Relaxed);
        let columns: Vec<ArrayRef> = (self.builders.iter_mut().zip(&sizes.text_bytes))
            .map(
                |(builder, bytes)| -> Result<ArrayRef, arrow::error::ArrowError> {
                    Ok(match builder {
                        Builder::Text(b) => {
                            bytes.store(b.values_slice().len(), Ordering::Relaxed);
                            Arc::new(b.finish())
                        }
                        Builder::Money(b) => Arc::new(
                            b.finish()
                                .with_precision_and_scale(money::PRECISION, money::SCALE)?,
                        ),
                        Builder::Time(b) => Arc::new(b.finish().with_timezone("UTC")),
                        Builder::Bool(b) => Arc::new(b.finish()),
                        Builder::Int(b) => Arc::new(b.finish()),
                    })
                },
            )
            .collect::<Result<_, _>>()?;
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}
