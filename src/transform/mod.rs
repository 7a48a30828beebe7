//! The transform stage: raw orders to staged line-item rows.
//!
//! Reads the raw files the extract manifest lists, keeps the newest copy of
//! each order ([`dedup`]), flattens each into one row per line item (the
//! source's [`Flattener`]) and writes `order_lines/` and `rejects/`. A record
//! that cannot be read never stops the others: it becomes a reject with a
//! reason, and the manifest counts rejects by reason.

pub mod cell;
mod dedup;
mod error;
mod rejects;
mod rows;

use std::time::Instant;

use arrow::array::{Array, AsArray, RecordBatch};
use chrono::Utc;
use futures::TryStreamExt;

pub use error::TransformError;

use crate::manifest::{Counters, Dataset, FileEntry, Manifest, StageName, TransformCounters};
use crate::run_id::RunId;
use crate::schema::{raw, rejects as rejects_schema};
use crate::source::{Flattener, RowContext};
use crate::store::parquet_io::{self, ParquetSink};
use crate::store::{RunLayout, Store};
use rejects::{Reject, RejectBatch};
use rows::RowBuilder;

/// Rows gathered before a batch is written.
const BATCH_ROWS: usize = 8 * 1024;

pub async fn run<F: Flattener>(
    store: &Store,
    run_id: &RunId,
    flattener: &F,
) -> Result<Manifest, TransformError> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let layout = RunLayout::new(run_id);
    let upstream = store.require_manifest(&layout, StageName::Extract).await?;
    store.begin_stage(&layout, StageName::Transform).await?;

    let raw_files: Vec<&FileEntry> = upstream.files_of(Dataset::Raw).collect();
    let keep = dedup::newest_copies(store, &raw_files).await?;
    let mut work = Work {
        flattener,
        lines: ParquetSink::create(
            store,
            &layout.order_lines_part(0),
            Dataset::OrderLines,
            flattener.schema(),
        )?,
        rejects: ParquetSink::create(
            store,
            &layout.rejects_part(0),
            Dataset::Rejects,
            rejects_schema::schema(),
        )?,
        rows: RowBuilder::new(flattener.columns(), flattener.schema()),
        rejected: RejectBatch::default(),
        manifest: Manifest::new(StageName::Transform, run_id, started_at),
        duplicates_dropped: 0,
        rejected_at_ms: started_at.timestamp_millis(),
    };
    let mut position = 0usize;
    for file in raw_files {
        let mut batches = parquet_io::read(store, &file.path, &raw::schema()).await?;
        while let Some(batch) = batches.try_next().await? {
            for row in 0..batch.num_rows() {
                work.manifest.rows_in += 1;
                if keep[position] {
                    work.order(&batch, row, &file.path, run_id.as_str()).await?;
                } else {
                    work.duplicates_dropped += 1;
                }
                position += 1;
            }
            tracing::info!(
                orders = work.manifest.rows_in,
                rows = work.manifest.rows_out,
                rejected = work.manifest.rejected(),
                orders_per_s =
                    (work.manifest.rows_in as f64 / clock.elapsed().as_secs_f64().max(1e-3)) as u64,
                "transforming"
            );
        }
    }
    let manifest = work.finish().await?;
    store.put_manifest(&layout, &manifest).await?;
    tracing::info!(
        orders_in = manifest.rows_in,
        rows_out = manifest.rows_out,
        rejected = manifest.rejected(),
        seconds = clock.elapsed().as_secs_f64(),
        "transform done"
    );
    Ok(manifest)
}

/// The outputs of a transform while it runs.
struct Work<'f, F> {
    flattener: &'f F,
    lines: ParquetSink,
    rejects: ParquetSink,
    rows: RowBuilder,
    rejected: RejectBatch,
    manifest: Manifest,
    duplicates_dropped: u64,
    rejected_at_ms: i64,
}

impl<F: Flattener> Work<'_, F> {
    async fn order(
        &mut self,
        batch: &RecordBatch,
        row: usize,
        source_file: &str,
        run_id: &str,
    ) -> Result<(), TransformError> {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .expect("the raw schema was checked on read")
        };
        let shop_cipher = column("shop_cipher").as_string::<i32>().value(row);
        let order_ids = column("order_id").as_string::<i32>();
        let payload = column("payload").as_string::<i64>().value(row);
        let context = RowContext {
            run_id,
            shop_cipher,
        };
        match self.flattener.flatten(payload, &context) {
            Ok(rows) => {
                for cells in &rows {
                    self.rows.push(cells);
                }
                self.manifest.rows_out += rows.len() as u64;
                if self.rows.len() >= BATCH_ROWS {
                    self.flush_lines().await?;
                }
            }
            Err(bad) => {
                let order_id = (!order_ids.is_null(row)).then(|| order_ids.value(row));
                tracing::debug!(order_id, reason = bad.reason, detail = %bad.detail, "order rejected");
                let reject = Reject {
                    shop_cipher,
                    order_id,
                    reason: bad.reason,
                    detail: &bad.detail,
                    source_file,
                    payload,
                };
                self.rejected.push(&reject, self.rejected_at_ms);
                *self
                    .manifest
                    .rejects_by_reason
                    .entry(bad.reason.to_owned())
                    .or_default() += 1;
                if self.rejected.len() >= BATCH_ROWS {
                    self.flush_rejects().await?;
                }
            }
        }
        Ok(())
    }

    async fn flush_lines(&mut self) -> Result<(), TransformError> {
        let batch = self.rows.finish().map_err(|source| TransformError::Batch {
            what: "staged rows",
            source,
        })?;
        Ok(self.lines.write(&batch).await?)
    }

    async fn flush_rejects(&mut self) -> Result<(), TransformError> {
        let batch = self
            .rejected
            .finish()
            .map_err(|source| TransformError::Batch {
                what: "rejects",
                source,
            })?;
        Ok(self.rejects.write(&batch).await?)
    }

    async fn finish(mut self) -> Result<Manifest, TransformError> {
        if !self.rows.is_empty() {
            self.flush_lines().await?;
        }
        if self.rejected.len() > 0 {
            self.flush_rejects().await?;
        }
        let files: Vec<FileEntry> = vec![self.lines.finish().await?, self.rejects.finish().await?];
        let mut manifest = self.manifest;
        manifest.files = files;
        manifest.counters = Some(Counters::Transform(TransformCounters {
            duplicates_dropped: self.duplicates_dropped,
        }));
        manifest.finished_at = Utc::now();
        Ok(manifest)
    }
}
