//! Paging one time slice of one shop without losing an order while the
//! list shifts under it.
//!
//! The search API pages a live list sorted by `update_time`, and a page
//! token is a position in it. When an order already read is updated, it
//! moves to the end (or out of the window) and every order behind it moves
//! up one place, so following tokens skips the first unread order: each
//! update during paging can lose one order. So a sweep never follows a
//! token across queries. It asks for the first page of `[low, end)`,
//! emits it, and asks again from `low` = the newest `update_time` on that
//! page, inclusive, so the orders of the boundary second are read again
//! (and dropped as already seen).
//!
//! **Why nothing is lost.** The first page of a fresh query for `[low,
//! end)` holds the oldest orders of that range at the moment the server
//! answers, in order. If it is the last page, it holds every order of the
//! range. Otherwise let `m` be its newest `update_time` in the range: every
//! order whose `update_time` was in `[low, m)` then is on the page, and the
//! next query starts at `m`. An order whose `update_time` `t` stays put
//! during the run therefore meets a query with `low <= t < m` (it is on
//! that page) or reaches the last page; `low` grows every round, so the
//! sweep ends. An order that changes while the sweep runs takes the
//! server's "now" as its `update_time`, later than every order's: if that
//! is within the range, it is ahead of `low` and met again at its new
//! place; if it leaves the range it was either read before it left or
//! belongs to a later window, where the run that reads that window meets
//! it.
//!
//! **Across slices.** A shop's window is swept in slices at once, and a
//! slice can be finished while an earlier one is still being read. An
//! order updated during the run takes the server's "now" as its
//! `update_time`; the window ends `--lag-seconds` before our clock's now,
//! so that is normally past the window's end. Should the server's clock be
//! behind ours by more than the lag, the order could land in a slice
//! already read: `shop.rs` then reads such parts again at the end.
//!
//! **A page within one second.** When a full page's orders all share the
//! second `low`, asking from `low` again would return the same page. That
//! second is then read with the page tokens of a query for `[low, low+1)`.
//! Orders can leave that second (an update moves them later) but never
//! enter it, so the first page's `total_count` is an upper bound of its
//! orders: once that many distinct ids were seen, none was skipped;
//! otherwise the second is read again, until a pass finds nothing new.
//!
//! **Orders without a usable time.** An order whose `update_time` is
//! missing, or outside the range (the API warns that a refresh during the
//! search may show a newer one), is emitted but never moves `low`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use tiktok_shop_api::Window;

use super::error::ExtractError;
use crate::shop::ShopCipher;
use crate::source::{OrderSource, RawRecord, RecordPage};

/// Slices one split makes at most (a window of 1M orders in slices of 4,000).
const MAX_PARTS: u64 = 256;

/// Passes over one crowded second before giving up on a fixpoint.
const MAX_SECOND_PASSES: u32 = 5;

/// A slice of a shop's window, `[start, end)` in unix seconds, shared
/// between the worker sweeping it and the scheduler that may split it.
#[derive(Debug)]
pub(super) struct Slice {
    pub start: i64,
    end: AtomicI64,
    /// Where the sweep is: everything before it has been read.
    low: AtomicI64,
    /// The latest `total_count` of `[low, end)`: the orders left.
    remaining: AtomicU64,
    split_wanted: AtomicBool,
    /// One of the slices the window started as: the `total_count` of its
    /// first page is part of the window's.
    first: bool,
}

impl Slice {
    pub fn new(start: i64, end: i64) -> Slice {
        Slice {
            start,
            end: AtomicI64::new(end),
            low: AtomicI64::new(start),
            remaining: AtomicU64::new(u64::MAX),
            split_wanted: AtomicBool::new(false),
            first: false,
        }
    }

    /// `[since, until)` cut into `parts` slices of equal length (each at
    /// least a second), the slices a shop's window starts as.
    pub fn first_slices(since: i64, until: i64, parts: usize) -> Vec<Slice> {
        let span = (until - since).max(1);
        let parts = (parts.max(1) as i64).min(span);
        (0..parts)
            .map(|i| Slice {
                first: true,
                ..Slice::new(since + span * i / parts, since + span * (i + 1) / parts)
            })
            .collect()
    }

    pub fn end(&self) -> i64 {
        self.end.load(Ordering::Acquire)
    }

    /// The orders believed left, for choosing which slice to split
    /// (`u64::MAX` before the first page).
    pub fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::Relaxed)
    }

    /// A page said `total` orders are left in `[low, end)`.
    pub fn measured(&self, total: u64) {
        self.remaining.store(total, Ordering::Relaxed);
    }

    /// Asks the sweeping worker to hand over the second half of what is left.
    pub fn want_split(&self) {
        self.split_wanted.store(true, Ordering::Release);
    }
}

/// What a sweep hands on: pages of records to write, the seconds covered,
/// and new slices split off.
pub(super) trait SweepSink {
    /// The end of the whole window (unix seconds): an order updated past it
    /// during the search belongs to no slice, so the one that sees it keeps it.
    fn window_end(&self) -> i64;
    /// Records of a page to write (already filtered and deduplicated).
    fn records(
        &self,
        request_id: &str,
        records: Vec<RawRecord>,
    ) -> impl Future<Output = Result<(), ExtractError>> + Send;
    /// `[from, to)` has been read completely.
    fn covered(&self, seconds: i64);
    /// `[start, end)` is a new slice to sweep.
    fn split_off(&self, start: i64, end: i64);
    /// Slices of about this many orders are worth sweeping apart.
    fn split_target(&self) -> u64;
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct SweepStats {
    pub pages: u64,
    pub emitted: u64,
    /// Copies of orders already emitted by this sweep (boundary re-reads).
    pub duplicates: u64,
    /// Crowded seconds read with page tokens.
    pub crowded_seconds: u64,
    /// `total_count` of the first query of the slices the window started
    /// as: the orders in the window at the start.
    pub first_total: Option<u64>,
}

/// Sweeps `slice` of `shop` (see the module docs).
pub(super) async fn sweep<S: OrderSource, K: SweepSink>(
    source: &S,
    shop: &ShopCipher,
    slice: &Slice,
    page_size: u32,
    sink: &K,
) -> Result<SweepStats, ExtractError> {
    let mut stats = SweepStats::default();
    let mut seen: HashMap<String, Option<i64>> = HashMap::new();
    let mut low = slice.start;
    loop {
        let end = slice.end();
        if low >= end {
            return Ok(stats);
        }
        let page = search(source, shop, low, end, None, page_size).await?;
        stats.pages += 1;
        if stats.pages == 1 && slice.first {
            stats.first_total = page.total_count;
        }
        if let Some(total) = page.total_count {
            slice.measured(total);
        }
        let more_pages = page.has_more(page_size);
        let end = split_if_wanted(slice, low, page.total_count, more_pages, sink);
        // The page is sorted: an order past `end` (but in the window) means
        // the page already went beyond everything left in this slice.
        let window_end = sink.window_end();
        let past_end = page
            .records
            .iter()
            .any(|r| r.update_time.is_some_and(|t| t >= end && t < window_end));
        let last = page.next_cursor.is_none();
        let newest = newest_in(&page.records, low, end);
        emit(&page, end, &mut seen, &mut stats, sink).await?;
        let next = match newest {
            _ if last || past_end => end,
            Some(m) if m > low => m,
            Some(_) => {
                read_second(source, shop, low, page_size, &mut seen, &mut stats, sink).await?;
                low + 1
            }
            None => {
                tracing::warn!(
                    shop = %shop, low,
                    "a full page has no update_time inside its range; reading on with its page tokens"
                );
                read_with_tokens(
                    source, shop, low, end, page, page_size, &mut seen, &mut stats, sink,
                )
                .await?;
                end
            }
        };
        sink.covered(next.min(end) - low);
        low = next;
        slice.low.store(low, Ordering::Relaxed);
    }
}

/// One query of `[low, end)`.
async fn search<S: OrderSource>(
    source: &S,
    shop: &ShopCipher,
    low: i64,
    end: i64,
    cursor: Option<&str>,
    page_size: u32,
) -> Result<RecordPage, ExtractError> {
    let window = window(low, end);
    let page = source
        .search(shop, &window, cursor, page_size)
        .await
        .map_err(ExtractError::from_source::<S>)?;
    tracing::trace!(
        shop = %shop, low, end, token = cursor.is_some(), orders = page.records.len(),
        total_count = page.total_count, "page"
    );
    Ok(page)
}

/// `[since, until)` in unix seconds as the API's window.
pub(super) fn window(since: i64, until: i64) -> Window {
    let at = |s| chrono::DateTime::from_timestamp(s, 0).unwrap_or_default();
    Window {
        since: at(since),
        until: at(until),
    }
}

/// Hands the second half of what is left of `slice` to another worker
/// when asked, or splits by `total_count` when the slice holds more than
/// twice the sink's target (a cut costs a page that is not full, so not for
/// less); returns the slice's end from now on.
/// A slice whose rest fits on this page (`more_pages` false) is never
/// split: the orders handed over would already be on the page.
fn split_if_wanted<K: SweepSink>(
    slice: &Slice,
    low: i64,
    total: Option<u64>,
    more_pages: bool,
    sink: &K,
) -> i64 {
    let end = slice.end();
    let target = sink.split_target().max(1);
    let wanted = slice.split_wanted.swap(false, Ordering::AcqRel);
    let parts = match total {
        _ if !more_pages => 1,
        Some(total) if total > target * 2 => total.div_ceil(target).min(MAX_PARTS),
        _ if wanted => 2,
        _ => 1,
    };
    let span = end - low;
    if parts < 2 || span < 2 {
        return end;
    }
    let parts = (parts as i64).min(span);
    let step = span / parts;
    let first_end = low + step;
    let mut start = first_end;
    for part in 1..parts {
        let part_end = if part == parts - 1 { end } else { start + step };
        sink.split_off(start, part_end);
        start = part_end;
    }
    slice.end.store(first_end, Ordering::Release);
    first_end
}

/// The newest `update_time` on the page inside `[low, end)`.
fn newest_in(records: &[RawRecord], low: i64, end: i64) -> Option<i64> {
    records
        .iter()
        .filter_map(|r| r.update_time)
        .filter(|t| (low..end).contains(t))
        .max()
}

/// Emits the page's records that belong to this slice and were not emitted
/// yet in this version. An order whose time lies in a later part of the
/// window belongs to the slice that covers it (split off meanwhile); one
/// updated past the window is kept by whoever sees it.
async fn emit<K: SweepSink>(
    page: &RecordPage,
    end: i64,
    seen: &mut HashMap<String, Option<i64>>,
    stats: &mut SweepStats,
    sink: &K,
) -> Result<(), ExtractError> {
    let mut fresh = Vec::with_capacity(page.records.len());
    for record in &page.records {
        let window_end = sink.window_end();
        if record
            .update_time
            .is_some_and(|t| t >= end && t < window_end)
        {
            continue;
        }
        match seen.get(&record.id) {
            Some(known) if *known >= record.update_time => {
                stats.duplicates += 1;
                continue;
            }
            _ => {}
        }
        seen.insert(record.id.clone(), record.update_time);
        fresh.push(record.clone());
    }
    stats.emitted += fresh.len() as u64;
    if !fresh.is_empty() {
        sink.records(&page.request_id, fresh).await?;
    }
    Ok(())
}

/// Reads the crowded second `[second, second + 1)` with page tokens,
/// again until a pass proves nothing was skipped (see the module docs).
async fn read_second<S: OrderSource, K: SweepSink>(
    source: &S,
    shop: &ShopCipher,
    second: i64,
    page_size: u32,
    seen: &mut HashMap<String, Option<i64>>,
    stats: &mut SweepStats,
    sink: &K,
) -> Result<(), ExtractError> {
    stats.crowded_seconds += 1;
    let mut ids: HashSet<String> = HashSet::new();
    let mut bound: Option<u64> = None;
    for pass in 1..=MAX_SECOND_PASSES {
        let before = ids.len();
        let mut cursor: Option<String> = None;
        let mut used = HashSet::new();
        loop {
            let page = search(
                source,
                shop,
                second,
                second + 1,
                cursor.as_deref(),
                page_size,
            )
            .await?;
            stats.pages += 1;
            if bound.is_none() {
                bound = page.total_count;
            }
            ids.extend(page.records.iter().map(|r| r.id.clone()));
            emit(&page, second + 1, seen, stats, sink).await?;
            match page.next_cursor {
                Some(next) if used.insert(next.clone()) => cursor = Some(next),
                Some(_) => {
                    return Err(ExtractError::RepeatedPageToken {
                        shop: shop.to_string(),
                        page: stats.pages,
                        request_id: page.request_id,
                    });
                }
                None => break,
            }
        }
        let complete =
            bound.is_some_and(|b| ids.len() as u64 >= b) || (pass > 1 && ids.len() == before);
        if complete {
            return Ok(());
        }
    }
    tracing::warn!(
        shop = %shop, second, distinct = ids.len(), total_count = bound.unwrap_or_default(),
        "a crowded second kept changing while it was read; moving on with what was seen"
    );
    Ok(())
}

/// The fallback when no page time can move the sweep: follow this query's
/// tokens to its end (the old way; it can miss an order updated meanwhile).
#[allow(clippy::too_many_arguments)]
async fn read_with_tokens<S: OrderSource, K: SweepSink>(
    source: &S,
    shop: &ShopCipher,
    low: i64,
    end: i64,
    first: RecordPage,
    page_size: u32,
    seen: &mut HashMap<String, Option<i64>>,
    stats: &mut SweepStats,
    sink: &K,
) -> Result<(), ExtractError> {
    let mut used = HashSet::new();
    let mut cursor = first.next_cursor;
    while let Some(token) = cursor {
        if !used.insert(token.clone()) {
            return Err(ExtractError::RepeatedPageToken {
                shop: shop.to_string(),
                page: stats.pages,
                request_id: first.request_id,
            });
        }
        let page = search(source, shop, low, end, Some(&token), page_size).await?;
        stats.pages += 1;
        emit(&page, end, seen, stats, sink).await?;
        cursor = page.next_cursor;
    }
    Ok(())
}

#[cfg(test)]
#[path = "sweep_tests.rs"]
mod tests;
