//! The transform stage: raw orders to staged line-item rows.
//!
//! Reads the raw files the extract manifest lists, keeps the newest copy of
//! each order ([`dedup`], from the `order_id` and `update_time` columns
//! alone), then reads the payloads once, in batches that blocking threads
//! flatten in parallel ([`batch`], through the source's [`Flattener`]);
//! results are written in input order, so the output is the same whatever
//! the timing. At most a few batches are in flight: memory follows the
//! batch size, not the run. A record that cannot be staged never stops the
//! others: it becomes a reject with a reason, and the manifest counts
//! rejects by reason, cut and unreadable fields by column, and fields the
//! source sent that no column reads, by path.

mod batch;
pub mod cell;
mod dedup;
mod error;
pub mod pii;
mod rejects;
mod rows;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use futures::TryStreamExt;

pub use error::TransformError;
pub use pii::Pii;

use crate::manifest::{Counters, Dataset, FileEntry, Manifest, StageName, TransformCounters};
use crate::run_id::RunId;
use crate::schema::{raw, rejects as rejects_schema};
use crate::source::{Flattener, Notes};
use crate::store::parquet_io::{self, ParquetSink};
use crate::store::{RunLayout, Store};
use batch::{Input, Output, Shared};

/// Raw orders per unit of parallel work (public for the transform
/// benchmark's floor, which reads the raw files as transform does).
pub const BATCH_ORDERS: usize = 1024;

/// Runs the stage for `run_id` with `flattener`, personal data treated as
/// `pii` says.
pub async fn run<F: Flattener + Clone + Send + 'static>(
    store: &Store,
    run_id: &RunId,
    flattener: &F,
    pii: Pii,
) -> Result<Manifest, TransformError> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let layout = RunLayout::new(run_id);
    let upstream = store.require_manifest(&layout, StageName::Extract).await?;
    store.begin_stage(&layout, StageName::Transform).await?;

    let raw_files: Vec<&FileEntry> = upstream.files_of(Dataset::Raw).collect();
    let keep = Arc::new(dedup::newest_copies(store, &raw_files).await?);
    let columns = flattener.columns();
    let shared = Arc::new(Shared {
        flattener: flattener.clone(),
        run_id: run_id.to_string(),
        pii,
        pii_columns: columns
            .iter()
            .map(|c| pii::COLUMNS.contains(&c.name))
            .collect(),
        rejected_at_ms: started_at.timestamp_millis(),
        sizes: rows::Sizes::new(columns.len()),
    });
    let total_orders: u64 = raw_files.iter().map(|f| f.rows).sum();
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut lines = Parts::start(store, &layout, flattener.schema(), total_orders, parallel)?;
    let mut rejects = ParquetSink::create(
        store,
        &layout.rejects_part(0),
        Dataset::Rejects,
        rejects_schema::schema(),
    )?;
    let mut totals = Totals::new(columns.len());
    let mut position = 0usize;
    for file in raw_files {
        let source_file: Arc<str> = Arc::from(file.path.as_str());
        let batches =
            parquet_io::read_batches(store, &file.path, &raw::schema(), None, BATCH_ORDERS).await?;
        let mut outputs = batches
            .map_err(TransformError::from)
            .map_ok(|batch| {
                let rows = batch.num_rows();
                let input = Input {
                    keep: keep[position..position + rows].to_vec(),
                    batch,
                    source_file: Arc::clone(&source_file),
                };
                position += rows;
                let shared = Arc::clone(&shared);
                async move {
                    tokio::task::spawn_blocking(move || batch::transform(&shared, input))
                        .await
                        .map_err(|e| TransformError::Task(Box::new(e)))?
                }
            })
            .try_buffered(parallel + 1);
        while let Some(output) = outputs.try_next().await? {
            lines.send(totals.orders_in, output.staged.clone()).await?;
            rejects.write(&output.rejects).await?;
            totals.add(output, clock);
        }
    }
    let mut manifest = Manifest::new(StageName::Transform, run_id, started_at);
    manifest.files = lines.finish().await?;
    manifest.files.push(rejects.finish().await?);
    totals.fill(&mut manifest, columns);
    manifest.finished_at = Utc::now();
    store.put_manifest(&layout, &manifest).await?;
    log_done(&manifest, &totals, clock);
    Ok(manifest)
}

/// The staged rows' part files, each written by its own task so that
/// encoding and compressing them runs on every core. A batch goes to the
/// part its position in the input falls in (part `j` of `n` takes the
/// `j`-th `n`th of the orders), so the same input always gives the same
/// files, each in input order.
struct Parts {
    senders: Vec<tokio::sync::mpsc::Sender<arrow::array::RecordBatch>>,
    tasks: Vec<tokio::task::JoinHandle<Result<FileEntry, TransformError>>>,
    total_orders: u64,
}

/// Orders per part file at least (small runs get one file).
const PART_ORDERS: u64 = 32 * 1024;

impl Parts {
    fn start(
        store: &Store,
        layout: &RunLayout,
        schema: arrow::datatypes::SchemaRef,
        total_orders: u64,
        parallel: usize,
    ) -> Result<Parts, TransformError> {
        let count = (total_orders / PART_ORDERS).clamp(1, parallel.max(1) as u64) as usize;
        let mut senders = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        for part in 0..count {
            let mut sink = ParquetSink::create(
                store,
                &layout.order_lines_part(part),
                Dataset::OrderLines,
                schema.clone(),
            )?;
            let (tx, mut rx) = tokio::sync::mpsc::channel(2);
            senders.push(tx);
            tasks.push(tokio::spawn(async move {
                while let Some(batch) = rx.recv().await {
                    sink.write(&batch).await?;
                }
                Ok(sink.finish().await?)
            }));
        }
        Ok(Parts {
            senders,
            tasks,
            total_orders,
        })
    }

    /// Sends `batch`, whose orders start at `orders_before`, to its part.
    async fn send(
        &mut self,
        orders_before: u64,
        batch: arrow::array::RecordBatch,
    ) -> Result<(), TransformError> {
        let count = self.senders.len() as u64;
        let part = (orders_before * count / self.total_orders.max(1)).min(count - 1) as usize;
        if self.senders[part].send(batch).await.is_err() {
            // The writer stopped on an error: finish() reports it.
            return self.fail(part).await;
        }
        Ok(())
    }

    async fn fail(&mut self, part: usize) -> Result<(), TransformError> {
        self.senders.clear();
        let task = self.tasks.remove(part);
        task.await
            .map_err(|e| TransformError::Task(Box::new(e)))??;
        Err(TransformError::Task("a part writer stopped".into()))
    }

    /// Completes every part; their entries in order.
    async fn finish(self) -> Result<Vec<FileEntry>, TransformError> {
        drop(self.senders);
        let mut files = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            files.push(
                task.await
                    .map_err(|e| TransformError::Task(Box::new(e)))??,
            );
        }
        Ok(files)
    }
}

/// What every batch added up to.
struct Totals {
    orders_in: u64,
    rows_out: u64,
    duplicates_dropped: u64,
    rejects_by_reason: BTreeMap<&'static str, u64>,
    notes: Notes,
    logged: Instant,
}

impl Totals {
    fn new(columns: usize) -> Totals {
        Totals {
            orders_in: 0,
            rows_out: 0,
            duplicates_dropped: 0,
            rejects_by_reason: BTreeMap::new(),
            notes: Notes::new(columns),
            logged: Instant::now(),
        }
    }

    fn add(&mut self, output: Output, clock: Instant) {
        self.orders_in += output.orders_in;
        self.rows_out += output.staged.num_rows() as u64;
        self.duplicates_dropped += output.duplicates_dropped;
        for (reason, n) in output.rejects_by_reason {
            *self.rejects_by_reason.entry(reason).or_default() += n;
        }
        self.notes.add(output.notes);
        if self.logged.elapsed() >= std::time::Duration::from_secs(5) {
            self.logged = Instant::now();
            tracing::info!(
                orders = self.orders_in,
                rows = self.rows_out,
                rejected = self.rejects_by_reason.values().sum::<u64>(),
                orders_per_s =
                    (self.orders_in as f64 / clock.elapsed().as_secs_f64().max(1e-3)) as u64,
                "transforming"
            );
        }
    }

    fn fill(&self, manifest: &mut Manifest, columns: &[crate::schema::staged::Column]) {
        let by_column = |counts: &[u64]| -> BTreeMap<String, u64> {
            columns
                .iter()
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(c, n)| (c.name.to_owned(), *n))
                .collect()
        };
        manifest.rows_in = self.orders_in;
        manifest.rows_out = self.rows_out;
        manifest.rejects_by_reason = self
            .rejects_by_reason
            .iter()
            .map(|(r, n)| ((*r).to_owned(), *n))
            .collect();
        manifest.counters = Some(Counters::Transform(TransformCounters {
            duplicates_dropped: self.duplicates_dropped,
            truncated_by_column: by_column(&self.notes.truncated),
            invalid_by_column: by_column(&self.notes.invalid),
            unmapped_fields: self.notes.unmapped.clone(),
            duplicate_line_items: self.notes.duplicate_items,
        }));
    }
}

fn log_done(manifest: &Manifest, totals: &Totals, clock: Instant) {
    let truncated: u64 = totals.notes.truncated.iter().sum();
    let invalid: u64 = totals.notes.invalid.iter().sum();
    if !totals.notes.unmapped.is_empty() {
        let paths: Vec<&str> = totals.notes.unmapped.keys().map(String::as_str).collect();
        tracing::info!(
            fields = %paths.join(", "),
            "the API sent fields no column reads (kept in the raw payload; see the transform manifest)"
        );
    }
    tracing::info!(
        orders_in = manifest.rows_in,
        rows_out = manifest.rows_out,
        rejected = manifest.rejected(),
        truncated,
        invalid,
        seconds = clock.elapsed().as_secs_f64(),
        "transform done"
    );
}
