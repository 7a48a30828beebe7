//! One shop: its window swept in slices by several workers at once, every
//! page written to the shop's Parquet file through a bounded channel.
//!
//! The shop starts as one slice per worker, of equal length, so that the
//! first requests go out together (a window of a handful of orders costs a
//! request per worker, not one; read in one round trip all the same). A
//! slice's first page tells its `total_count`, and a slice of more than
//! twice [`SLICE_TARGET`](super::queue::SLICE_TARGET) orders is split into
//! slices of about that many (a sweep remembers the orders of its slice, so
//! this bounds memory; a sweep reads only first pages, so the result cap a
//! query reportedly has, §11 of the API reference, does not bound it).
//! Once no slice waits to be taken, the target is a slice's share of the
//! orders left, shared by the requests in flight the rate takes (rate ×
//! latency, from the shop's pacer): no slice is still read page after page
//! when the others are done. Only a slice of more than twice its target is
//! cut, since each slice ends with a page that is not full. A worker with
//! nothing to take also asks the slice with the most orders left to hand
//! over its second half, unless the shop's requests already wait for the
//! rate. Workers wait on the shop's pacer, so more workers than the rate
//! needs cost nothing. Pages go to one writer through a channel of a few
//! batches: memory does not grow with the number of orders.
//!
//! **Slices finished while others run.** An order updated during the run
//! takes the server's "now" as its `update_time`. Normally that is past the
//! window's end (it ends `--lag-seconds` before our clock's now), but if the
//! server's clock is behind ours by more than that, or the window reaches
//! into the future, the order lands inside the window, possibly in a slice
//! already finished, where no sweep meets it again. So each worker notes
//! the newest `update_time` any page of the shop had shown before it sent
//! its slice's last request: the server's now was at least that, and every
//! later update lands at or after it. A slice finished while other requests
//! of the shop were still to come leaves the part of it from that time on
//! "open"; once every slice is done, the open parts are read again
//! (normally one request: the last seconds of the window), writing only
//! versions not written yet. So once a page shows the shop takes more than
//! one round trip (long before any slice is done), one request asks for an
//! order updated at or after the window's end: if there is one (a busy
//! shop, and a window ending `--lag-seconds` before now), the server's now
//! had passed the window when it answered, later updates all land past
//! the window, and no slice is left open: the run saves the re-read's
//! round trip at the end.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use arrow::array::RecordBatch;
use chrono::Utc;
use tokio::sync::mpsc;

use super::batch::page_batch;
use super::config::ExtractConfig;
use super::error::ExtractError;
use super::progress::Progress;
use super::queue::{Open, Queue, Versions};
use super::sweep::{Slice, SweepSink, SweepStats, sweep, window};
use crate::manifest::{Dataset, FileEntry, ShopCounters};
use crate::schema::raw;
use crate::shop::ShopCipher;
use crate::source::{OrderSource, RawRecord, RecordPage, ShopPace, SourceStats};
use crate::store::parquet_io::ParquetSink;
use crate::store::{RunLayout, Store};

/// Pages per slice at least, when a slice is cut for waiting workers.
const LEAST_PAGES: u64 = 2;
/// How far past now the query for orders after the window reaches.
const PROBE_AHEAD: i64 = 86_400;
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
    let worker_count = config.workers_per_shop.max(1);
    let queue = Queue::new(Slice::first_slices(since, until, worker_count));
    let pace = || source.pace(shop);
    let workers: Vec<_> = (0..worker_count)
        .map(|_| {
            let sink = Worker {
                shop,
                tx: tx.clone(),
                queue: &queue,
                pace: &pace,
                workers: worker_count,
                progress,
                window_end: until,
                page_size: config.page_size.get(),
                sent_after: AtomicI64::new(i64::MIN),
                last_total: AtomicU64::new(0),
                job: Mutex::new(JobState::default()),
                known_dropped: AtomicU64::new(0),
            };
            async move { sink.run(source).await }
        })
        .collect();
    drop(tx);
    let (file, stats) = tokio::try_join!(write(sink, rx), async {
        // Asked once a page shows the slices take more than one round
        // trip: not for a window read in one, nor before the API answered
        // at all (an API that fails is not asked more often).
        let work = futures::future::try_join_all(workers);
        tokio::pin!(work);
        let all = tokio::select! {
            all = &mut work => all?,
            () = queue.more_pages.notified() => {
                let probe = probe_past_end(source, shop, until, &queue.newest_seen);
                tokio::join!(probe, work).1?
            }
        };
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
        first_total: match (a.first_total, b.first_total) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        },
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

/// Asks for one order of `shop` updated at or after `until`, the window's
/// end: one shows the server's clock had passed it (see the module docs),
/// and goes into `newest_seen` before the slices' last requests are sent.
/// Never fails the shop: without an answer the open parts are read again.
async fn probe_past_end<S: OrderSource>(
    source: &S,
    shop: &ShopCipher,
    until: i64,
    newest_seen: &AtomicI64,
) {
    let window = window(until, until.max(Utc::now().timestamp()) + PROBE_AHEAD);
    match source.search(shop, &window, None, 1).await {
        Ok(page) => {
            // An order counted there was updated at `until` or later.
            let counted = (page.total_count.unwrap_or(0) > 0).then_some(until);
            let past = page.records.iter().filter_map(|r| r.update_time);
            if let Some(newest) = past.filter(|t| *t >= until).max().or(counted) {
                newest_seen.fetch_max(newest, Ordering::AcqRel);
            }
            tracing::debug!(
                shop = %shop, total_count = page.total_count,
                "orders updated after the window's end"
            );
        }
        Err(error) => tracing::debug!(
            shop = %shop, %error,
            "no answer about orders after the window's end; finished slices are read again"
        ),
    }
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

/// What a worker remembers of the job it sweeps.
#[derive(Default)]
struct JobState {
    /// For a re-read: the versions written before, not written again.
    known: Option<Arc<Versions>>,
    /// Versions this job wrote that a re-read of its open part could meet.
    written: Versions,
}

/// One worker of a shop; also what its sweeps hand their pages to.
struct Worker<'a> {
    shop: &'a ShopCipher,
    tx: mpsc::Sender<RecordBatch>,
    queue: &'a Queue,
    /// How the shop's requests are paced right now.
    pace: &'a (dyn Fn() -> Option<ShopPace> + Sync),
    /// The shop's workers: requests in flight at most.
    workers: usize,
    progress: &'a Progress,
    window_end: i64,
    page_size: u32,
    /// The shop's newest `update_time` seen when this worker last sent a
    /// request: later updates land at or after it.
    sent_after: AtomicI64,
    /// The `total_count` of this worker's last page.
    last_total: AtomicU64,
    job: Mutex<JobState>,
    /// Orders a re-read met again in a version already written.
    known_dropped: AtomicU64,
}

impl Worker<'_> {
    async fn run<S: OrderSource>(&self, source: &S) -> Result<SweepStats, ExtractError> {
        let mut total = SweepStats::default();
        let min_to_split = u64::from(self.page_size) * 2;
        let watched = Watched {
            inner: source,
            newest_seen: &self.queue.newest_seen,
            more_pages: &self.queue.more_pages,
            sent_after: &self.sent_after,
            last_total: &self.last_total,
        };
        while let Some(job) = self.queue.next(min_to_split, || self.rate_bound()).await {
            *self.lock_job() = JobState {
                known: job.known,
                written: Versions::new(),
            };
            let swept = sweep(&watched, self.shop, &job.slice, self.page_size, self).await;
            let open = swept.is_ok().then(|| self.open_part(&job.slice)).flatten();
            self.queue.done(&job.slice, open);
            total = add(total, swept?);
        }
        total.duplicates += self.known_dropped.load(Ordering::Relaxed);
        Ok(total)
    }

    /// Whether the shop's requests wait for the rate right now: then more
    /// slices would not read faster.
    fn rate_bound(&self) -> bool {
        rate_bound((self.pace)())
    }

    fn lock_job(&self) -> std::sync::MutexGuard<'_, JobState> {
        self.job.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The part of the finished `slice` that updates after its last request
    /// could move orders into, with the versions written there.
    fn open_part(&self, slice: &Slice) -> Option<Open> {
        let start = slice.start.max(self.sent_after.load(Ordering::Acquire));
        let end = slice.end();
        if start >= end {
            return None;
        }
        let mut job = self.lock_job();
        let mut written = std::mem::take(&mut job.written);
        if let Some(known) = &job.known {
            written.extend(known.iter().cloned());
        }
        written.retain(|(_, t)| (start..end).contains(t));
        Some(Open {
            start,
            end,
            written,
        })
    }
}

impl SweepSink for Worker<'_> {
    fn window_end(&self) -> i64 {
        self.window_end
    }

    async fn records(
        &self,
        request_id: &str,
        mut records: Vec<RawRecord>,
    ) -> Result<(), ExtractError> {
        {
            // A version older than this can never be in the job's open part.
            let floor = self.sent_after.load(Ordering::Acquire);
            let mut job = self.lock_job();
            if let Some(known) = &job.known {
                let before = records.len();
                records.retain(|r| {
                    r.update_time
                        .is_none_or(|t| !known.contains(&(r.id.clone(), t)))
                });
                let dropped = (before - records.len()) as u64;
                self.known_dropped.fetch_add(dropped, Ordering::Relaxed);
            }
            for r in &records {
                if let Some(t) = r.update_time.filter(|t| *t >= floor) {
                    job.written.insert((r.id.clone(), t));
                }
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        self.progress.add_orders(records.len() as u64);
        let batch = page_batch(self.shop, request_id, &records, Utc::now())?;
        // The writer only stops early when it failed; its error is the one
        // the shop reports.
        let _ = self.tx.send(batch).await;
        Ok(())
    }

    fn covered(&self, seconds: i64) {
        if self.lock_job().known.is_none() {
            self.progress.add_covered(seconds);
        }
    }

    fn split_off(&self, start: i64, end: i64) {
        let known = self.lock_job().known.clone();
        self.queue.push(start, end, known);
    }

    fn split_target(&self) -> u64 {
        let total = self.last_total.load(Ordering::Acquire);
        let least = u64::from(self.page_size) * LEAST_PAGES;
        let pace = (self.pace)();
        let concurrency = pace
            .and_then(|p| p.concurrency)
            .map(|c| c.min(self.workers as f64));
        self.queue
            .split_target(total, least, concurrency, rate_bound(pace))
    }
}

/// Whether requests wait for the rate (some are in the pacer's line).
fn rate_bound(pace: Option<ShopPace>) -> bool {
    pace.is_some_and(|p| p.waiting > 0)
}

/// The source as one worker sees it: notes the shop's newest
/// `update_time` seen before each request, the newest each page shows, and
/// the page's `total_count`.
struct Watched<'a, S> {
    inner: &'a S,
    newest_seen: &'a AtomicI64,
    more_pages: &'a tokio::sync::Notify,
    sent_after: &'a AtomicI64,
    last_total: &'a AtomicU64,
}

impl<S: OrderSource> OrderSource for Watched<'_, S> {
    type Error = S::Error;

    fn is_retryable(error: &Self::Error) -> bool {
        S::is_retryable(error)
    }

    fn stats(&self) -> SourceStats {
        self.inner.stats()
    }

    fn pace(&self, shop: &ShopCipher) -> Option<ShopPace> {
        self.inner.pace(shop)
    }

    fn shops(&self) -> impl Future<Output = Result<Vec<ShopCipher>, Self::Error>> + Send {
        self.inner.shops()
    }

    async fn search(
        &self,
        shop: &ShopCipher,
        window: &tiktok_shop_api::Window,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<RecordPage, Self::Error> {
        let seen = self.newest_seen.load(Ordering::Acquire);
        self.sent_after.store(seen, Ordering::Release);
        let page = self.inner.search(shop, window, cursor, page_size).await?;
        if let Some(newest) = page.records.iter().filter_map(|r| r.update_time).max() {
            self.newest_seen.fetch_max(newest, Ordering::AcqRel);
        }
        if page.has_more(page_size) {
            self.more_pages.notify_one();
        }
        let total = page.total_count.unwrap_or(0);
        self.last_total.store(total, Ordering::Release);
        Ok(page)
    }
}
