//! One shop: its window swept in slices by several workers at once, every
//! page written to the shop's Parquet file through a bounded channel.
//!
//! The shop starts as one slice. Its first page's `total_count` splits it
//! into slices of about [`SLICE_TARGET`] orders, well below the result cap
//! a query reportedly has (§11 of the API reference); a worker that runs out
//! of slices asks the slice with the most orders left to hand over its
//! second half. Workers wait on the shop's pacer, so more workers than the
//! rate needs cost nothing. Pages go to one writer through a channel of a
//! few batches: memory does not grow with the number of orders.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use chrono::Utc;
use tokio::sync::{Notify, mpsc};

use super::batch::page_batch;
use super::config::ExtractConfig;
use super::error::ExtractError;
use super::progress::Progress;
use super::sweep::{Slice, SweepSink, SweepStats, sweep};
use crate::manifest::{Dataset, FileEntry, ShopCounters};
use crate::schema::raw;
use crate::shop::ShopCipher;
use crate::source::{OrderSource, RawRecord};
use crate::store::parquet_io::ParquetSink;
use crate::store::{RunLayout, Store};

/// Orders per slice the sweeps aim at.
pub(super) const SLICE_TARGET: u64 = 2_000;
/// Batches waiting for the writer, at most.
const CHANNEL_BATCHES: usize = 8;

/// What one shop's extraction wrote and counted.
pub(super) struct ShopDone {
    pub file: FileEntry,
    pub counters: ShopCounters,
}

pub(super) async fn extract<S: OrderSource>(
    store: &Store,
    layout: &RunLayout,
    source: &S,
    shop: &ShopCipher,
    config: &ExtractConfig,
    progress: &Progress,
) -> Result<ShopDone, ExtractError> {
    let started = Instant::now();
    let since = config.window.since.timestamp();
    let until = config.window.until.timestamp();
    progress.add_window(until - since);
    let sink = ParquetSink::create(
        store,
        &layout.extract_part(shop, 0),
        Dataset::Raw,
        raw::schema(),
    )?;
    let (tx, rx) = mpsc::channel::<RecordBatch>(CHANNEL_BATCHES);
    let queue = Queue::new(Slice::new(since, until));
    let workers: Vec<_> = (0..config.workers_per_shop.max(1))
        .map(|_| {
            let sink = Worker {
                shop,
                tx: tx.clone(),
                queue: &queue,
                progress,
                window_end: until,
                page_size: config.page_size.get(),
            };
            async move { sink.run(source).await }
        })
        .collect();
    drop(tx);
    let (file, stats) = tokio::try_join!(write(sink, rx), async {
        let all = futures::future::try_join_all(workers).await?;
        Ok(all.into_iter().fold(SweepStats::default(), add))
    })?;
    let counters = ShopCounters {
        pages: stats.pages,
        orders: file.rows,
        duplicates_dropped: stats.duplicates,
        crowded_seconds: stats.crowded_seconds,
        total_count: stats.first_total,
        slices: queue.slices(),
        ..ShopCounters::default()
    };
    log_done(shop, store, &file, &counters, started);
    Ok(ShopDone { file, counters })
}

fn add(a: SweepStats, b: SweepStats) -> SweepStats {
    SweepStats {
        pages: a.pages + b.pages,
        emitted: a.emitted + b.emitted,
        duplicates: a.duplicates + b.duplicates,
        crowded_seconds: a.crowded_seconds + b.crowded_seconds,
        first_total: a.first_total.or(b.first_total),
    }
}

fn log_done(
    shop: &ShopCipher,
    store: &Store,
    file: &FileEntry,
    counters: &ShopCounters,
    started: Instant,
) {
    if let Some(total) = counters.total_count
        && total != file.rows
    {
        // Orders updated during the run move (and can leave the window),
        // so a difference is normal; a large one is worth a look.
        tracing::info!(
            shop = %shop,
            total_count = total,
            orders = file.rows,
            difference = file.rows as i64 - total as i64,
            "the API's total_count at the start differs from the orders read"
        );
    }
    tracing::info!(
        shop = %shop,
        pages = counters.pages,
        orders = file.rows,
        slices = counters.slices,
        duplicates_dropped = counters.duplicates_dropped,
        bytes = file.bytes,
        file = %store.display(&file.path),
        seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "shop done"
    );
}

/// Writes every batch the workers send, then completes the file.
async fn write(
    mut sink: ParquetSink,
    mut rx: mpsc::Receiver<RecordBatch>,
) -> Result<FileEntry, ExtractError> {
    while let Some(batch) = rx.recv().await {
        sink.write(&batch).await?;
    }
    Ok(sink.finish().await?)
}

/// The slices of a shop: waiting, and being swept.
struct Queue {
    state: Mutex<QueueState>,
    changed: Notify,
}

struct QueueState {
    pending: VecDeque<Arc<Slice>>,
    active: Vec<Arc<Slice>>,
    made: u64,
}

impl Queue {
    fn new(first: Slice) -> Queue {
        Queue {
            state: Mutex::new(QueueState {
                pending: VecDeque::from([Arc::new(first)]),
                active: Vec::new(),
                made: 1,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn slices(&self) -> u64 {
        self.lock().made
    }

    /// The next slice to sweep; `None` when every slice is done. With none
    /// waiting, asks the biggest one being swept to split, and waits.
    async fn next(&self, min_to_split: u64) -> Option<Arc<Slice>> {
        loop {
            {
                let mut state = self.lock();
                if let Some(slice) = state.pending.pop_front() {
                    state.active.push(Arc::clone(&slice));
                    return Some(slice);
                }
                if state.active.is_empty() {
                    return None;
                }
                if let Some(biggest) = state
                    .active
                    .iter()
                    .filter(|s| s.remaining() > min_to_split)
                    .max_by_key(|s| s.remaining())
                {
                    biggest.want_split();
                }
            }
            // A missed wake-up only costs this timeout.
            let _ = tokio::time::timeout(Duration::from_millis(100), self.changed.notified()).await;
        }
    }

    fn done(&self, slice: &Arc<Slice>) {
        self.lock().active.retain(|s| !Arc::ptr_eq(s, slice));
        self.changed.notify_waiters();
    }

    fn push(&self, start: i64, end: i64) {
        let mut state = self.lock();
        state.pending.push_back(Arc::new(Slice::new(start, end)));
        state.made += 1;
        drop(state);
        self.changed.notify_waiters();
    }
}

/// One worker of a shop; also what its sweeps hand their pages to.
struct Worker<'a> {
    shop: &'a ShopCipher,
    tx: mpsc::Sender<RecordBatch>,
    queue: &'a Queue,
    progress: &'a Progress,
    window_end: i64,
    page_size: u32,
}

impl Worker<'_> {
    async fn run<S: OrderSource>(&self, source: &S) -> Result<SweepStats, ExtractError> {
        let mut total = SweepStats::default();
        let min_to_split = u64::from(self.page_size) * 2;
        while let Some(slice) = self.queue.next(min_to_split).await {
            let swept = sweep(source, self.shop, &slice, self.page_size, self).await;
            self.queue.done(&slice);
            total = add(total, swept?);
        }
        Ok(total)
    }
}

impl SweepSink for Worker<'_> {
    fn window_end(&self) -> i64 {
        self.window_end
    }

    async fn records(&self, request_id: &str, records: Vec<RawRecord>) -> Result<(), ExtractError> {
        self.progress.add_orders(records.len() as u64);
        let batch = page_batch(self.shop, request_id, &records, Utc::now())?;
        // The writer only stops early when it failed; its error is the one
        // the shop reports.
        let _ = self.tx.send(batch).await;
        Ok(())
    }

    fn covered(&self, seconds: i64) {
        self.progress.add_covered(seconds);
    }

    fn split_off(&self, start: i64, end: i64) {
        self.queue.push(start, end);
    }

    fn split_target(&self) -> u64 {
        SLICE_TARGET
    }
}
