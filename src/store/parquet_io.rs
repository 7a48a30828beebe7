//! Parquet files in the store: one writer configuration, schema checks on
//! both ends, streaming in both directions.

use std::pin::Pin;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use parquet::arrow::async_reader::ParquetObjectReader;
use parquet::arrow::{AsyncArrowWriter, ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::{Store, StoreError};
use crate::manifest::{Dataset, FileEntry, TOOL_VERSION};
use crate::schema;

/// Rows per row group: small enough to bound memory, large enough for scans.
const ROW_GROUP_ROWS: usize = 16 * 1024;

/// The columns whose minimum and maximum each row group notes: what a
/// reader filters a run's files by. Every other column goes without (on a
/// staged file of 165 columns, statistics cost a tenth of the writing).
const COLUMNS_WITH_STATISTICS: [&str; 4] = ["order_id", "item_id", "update_time", "shop_cipher"];

/// Rows per batch handed to readers.
pub const READ_BATCH_ROWS: usize = 8 * 1024;

/// How every file of the store is written (public for the transform
/// benchmark's floor, `crates/transform-ceiling`, which writes as we do).
pub fn writer_properties() -> WriterProperties {
    let builder = WriterProperties::builder().set_statistics_enabled(EnabledStatistics::None);
    COLUMNS_WITH_STATISTICS
        .iter()
        .fold(builder, |builder, name| {
            builder.set_column_statistics_enabled(ColumnPath::from(*name), EnabledStatistics::Page)
        })
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_max_row_group_size(ROW_GROUP_ROWS)
        // zstd finds the repeats (an order's fields on each of its rows)
        // without dictionaries, for less CPU and no larger files.
        .set_dictionary_enabled(false)
        .set_created_by(format!("tiktok-shop-etl {TOOL_VERSION}"))
        .build()
}

/// One Parquet file being written to the store.
pub struct ParquetSink {
    writer: AsyncArrowWriter<BufWriter>,
    schema: SchemaRef,
    dataset: Dataset,
    relative: String,
    display: String,
    rows: u64,
    store: Store,
}

impl ParquetSink {
    pub fn create(
        store: &Store,
        relative: &str,
        dataset: Dataset,
        schema: SchemaRef,
    ) -> Result<Self, StoreError> {
        let display = store.display(relative);
        let sink = BufWriter::new(store.objects().clone(), store.path(relative));
        let writer = AsyncArrowWriter::try_new(sink, schema.clone(), Some(writer_properties()))
            .map_err(|source| StoreError::Write {
                op: "create",
                path: display.clone(),
                source,
            })?;
        Ok(ParquetSink {
            writer,
            schema,
            dataset,
            relative: relative.to_owned(),
            display,
            rows: 0,
            store: store.clone(),
        })
    }

    /// Appends a batch; its schema must be exactly the file's.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        schema::check(&self.display, &self.schema, &batch.schema())?;
        self.writer
            .write(batch)
            .await
            .map_err(|source| StoreError::Write {
                op: "write",
                path: self.display.clone(),
                source,
            })?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Completes the file and says what was written.
    pub async fn finish(self) -> Result<FileEntry, StoreError> {
        self.writer
            .close()
            .await
            .map_err(|source| StoreError::Write {
                op: "finish",
                path: self.display.clone(),
                source,
            })?;
        let meta = self
            .store
            .objects()
            .head(&self.store.path(&self.relative))
            .await
            .map_err(|source| StoreError::io("stat", self.display.clone(), source))?;
        Ok(FileEntry {
            path: self.relative,
            dataset: self.dataset,
            rows: self.rows,
            bytes: meta.size,
        })
    }
}

pub type BatchStream = Pin<Box<dyn Stream<Item = Result<RecordBatch, StoreError>> + Send>>;

/// Streams the batches of a Parquet file after checking its schema against
/// `expected` (an error names the missing, extra and mistyped columns).
pub async fn read(
    store: &Store,
    relative: &str,
    expected: &Schema,
) -> Result<BatchStream, StoreError> {
    read_projected(store, relative, expected, None).await
}

/// [`read`], keeping only the named columns (all of them when `None`).
pub async fn read_projected(
    store: &Store,
    relative: &str,
    expected: &Schema,
    columns: Option<&[&str]>,
) -> Result<BatchStream, StoreError> {
    read_batches(store, relative, expected, columns, READ_BATCH_ROWS).await
}

/// [`read_projected`] in batches of `batch_rows` rows.
pub async fn read_batches(
    store: &Store,
    relative: &str,
    expected: &Schema,
    columns: Option<&[&str]>,
    batch_rows: usize,
) -> Result<BatchStream, StoreError> {
    let display = store.display(relative);
    let path = store.path(relative);
    let meta = match store.objects().head(&path).await {
        Ok(meta) => meta,
        Err(source) => return Err(StoreError::io("open", display, source)),
    };
    let reader = ParquetObjectReader::new(store.objects().clone(), path).with_file_size(meta.size);
    let builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| corrupt(&display, e))?;
    schema::check(&display, expected, builder.schema())?;
    let builder = match columns {
        None => builder,
        Some(names) => {
            let mask = ProjectionMask::columns(builder.parquet_schema(), names.iter().copied());
            builder.with_projection(mask)
        }
    };
    let stream = builder
        .with_batch_size(batch_rows.max(1))
        .build()
        .map_err(|e| corrupt(&display, e))?;
    Ok(stream.map_err(move |e| corrupt(&display, e)).boxed())
}

/// Reads every batch of a file into memory (small files: tests, inspect).
pub async fn read_all(
    store: &Store,
    relative: &str,
    expected: &Schema,
) -> Result<Vec<RecordBatch>, StoreError> {
    read(store, relative, expected).await?.try_collect().await
}

fn corrupt(display: &str, source: parquet::errors::ParquetError) -> StoreError {
    StoreError::Corrupt {
        path: display.to_owned(),
        source,
    }
}
