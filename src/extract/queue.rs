//! The slices of one shop: waiting, being swept, and finished but open
//! (see `shop.rs` for when a part is open and why it is read again).

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use super::sweep::Slice;

/// Orders per slice the sweeps aim at.
pub(super) const SLICE_TARGET: u64 = 4_000;
/// Rounds of re-reading open parts before giving up on a fixpoint.
const MAX_REREADS: u32 = 8;

/// Versions of orders (id, `update_time`) already written.
pub(super) type Versions = HashSet<(String, i64)>;

/// A slice to sweep; for a re-read, with the versions already written in
/// its range.
pub(super) struct Job {
    pub slice: Arc<Slice>,
    pub known: Option<Arc<Versions>>,
}

/// A part of the window finished while later requests could still move
/// orders into it, with the versions written there.
pub(super) struct Open {
    pub start: i64,
    pub end: i64,
    pub written: Versions,
}

/// The slices of a shop: waiting, being swept, and finished but open.
pub(super) struct Queue {
    state: Mutex<QueueState>,
    changed: Notify,
    /// The newest `update_time` any page of the shop has shown: the
    /// server's "now" was at least that when it answered.
    pub newest_seen: AtomicI64,
    /// Notified when a page shows its query holds more than that page: the
    /// run is longer than a round trip (a permit is kept until taken).
    pub more_pages: Notify,
}

struct QueueState {
    pending: VecDeque<Job>,
    /// Being swept, and whether as a re-read (never asked to split: its
    /// parts would finish while the other still runs, and be open again).
    active: Vec<(Arc<Slice>, bool)>,
    open: Vec<Open>,
    made: u64,
    rereads: u32,
    /// Workers waiting for a slice.
    idle: usize,
}

impl Queue {
    pub(super) fn new(first: Vec<Slice>) -> Queue {
        Queue {
            state: Mutex::new(QueueState {
                made: first.len() as u64,
                pending: first
                    .into_iter()
                    .map(|slice| Job {
                        slice: Arc::new(slice),
                        known: None,
                    })
                    .collect(),
                active: Vec::new(),
                open: Vec::new(),
                rereads: 0,
                idle: 0,
            }),
            changed: Notify::new(),
            newest_seen: AtomicI64::new(i64::MIN),
            more_pages: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn slices(&self) -> u64 {
        self.lock().made
    }

    /// The next slice to sweep; `None` when every slice is done. With none
    /// waiting, asks the biggest one being swept to split (unless
    /// `rate_bound` says the shop's requests already wait for the rate: a
    /// split would only add one more waiting, and its slices each end with
    /// a page that is not full), and waits; with none being swept either,
    /// re-reads the open parts.
    pub(super) async fn next(
        &self,
        min_to_split: u64,
        rate_bound: impl Fn() -> bool,
    ) -> Option<Job> {
        let mut waiting = false;
        loop {
            // Registered before the state is looked at, so a change made
            // between the look and the wait still wakes this worker.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                if waiting {
                    state.idle -= 1;
                }
                if let Some(job) = state.pending.pop_front() {
                    state
                        .active
                        .push((Arc::clone(&job.slice), job.known.is_some()));
                    return Some(job);
                }
                if state.active.is_empty() {
                    return state.reread();
                }
                state.idle += 1;
                waiting = true;
                if rate_bound() {
                    // Looked at again after the timeout below.
                } else if let Some(biggest) = state
                    .active
                    .iter()
                    // A slice not measured yet (no page back) is not asked:
                    // its first page may hold all of it.
                    .filter(|(s, reread)| {
                        !reread && s.remaining() != u64::MAX && s.remaining() > min_to_split
                    })
                    .map(|(s, _)| s)
                    .max_by_key(|s| s.remaining())
                {
                    biggest.want_split();
                }
            }
            // A slice's first page (which makes it one that may be asked to
            // split) wakes no one: looked at again after this timeout.
            let _ = tokio::time::timeout(Duration::from_millis(100), changed).await;
        }
    }

    /// `slice` is swept; `open` is the part of it later updates could
    /// still move orders into, kept if any request of the shop is to come.
    pub(super) fn done(&self, slice: &Arc<Slice>, open: Option<Open>) {
        let mut state = self.lock();
        state.active.retain(|(s, _)| !Arc::ptr_eq(s, slice));
        let more_to_come =
            !state.active.is_empty() || !state.pending.is_empty() || !state.open.is_empty();
        if let Some(open) = open.filter(|_| more_to_come) {
            state.open.push(open);
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// Orders per slice to aim at for a slice of `total` orders: at most
    /// [`SLICE_TARGET`], and no less than `least`. Once no slice waits, the
    /// slices being swept are all that is left: the orders left in them
    /// shared by the requests in flight the rate takes (`concurrency`, from
    /// the shop's pace), so that no slice is still read page after page
    /// when the others are done. Without that measure, when workers wait
    /// with nothing to take and the shop's requests do not wait for the
    /// rate (`rate_bound`), a share for each of them.
    pub(super) fn split_target(
        &self,
        total: u64,
        least: u64,
        concurrency: Option<f64>,
        rate_bound: bool,
    ) -> u64 {
        let state = self.lock();
        if !state.pending.is_empty() {
            return SLICE_TARGET;
        }
        let share = match concurrency {
            Some(concurrency) => {
                let left = state.active.iter().try_fold(0u64, |sum, (s, _)| {
                    // A slice not measured yet: no basis to share on.
                    (s.remaining() != u64::MAX).then(|| sum + s.remaining())
                });
                match left {
                    Some(left) => (left as f64 / concurrency.max(1.0)) as u64,
                    None => return SLICE_TARGET,
                }
            }
            None if rate_bound || state.idle == 0 => return SLICE_TARGET,
            None => total / (state.idle as u64 + 1),
        };
        share.clamp(least.min(SLICE_TARGET), SLICE_TARGET)
    }

    pub(super) fn push(&self, start: i64, end: i64, known: Option<Arc<Versions>>) {
        let mut state = self.lock();
        state.pending.push_back(Job {
            slice: Arc::new(Slice::new(start, end)),
            known,
        });
        state.made += 1;
        drop(state);
        self.changed.notify_waiters();
    }
}

impl QueueState {
    /// The open parts as slices to read again, queued, the first made
    /// active; `None` if none. Adjacent parts are read as one; parts apart
    /// are not, since between them lie parts already read for good.
    fn reread(&mut self) -> Option<Job> {
        if self.open.is_empty() {
            return None;
        }
        let open = std::mem::take(&mut self.open);
        if self.rereads >= MAX_REREADS {
            tracing::warn!(
                parts = open.len(),
                "orders kept moving into parts of the window already read; giving up re-reading them"
            );
            return None;
        }
        self.rereads += 1;
        for part in merge_adjacent(open) {
            tracing::debug!(
                start = part.start,
                end = part.end,
                known = part.written.len(),
                "reading again a part of the window finished while orders could still move into it"
            );
            self.pending.push_back(Job {
                slice: Arc::new(Slice::new(part.start, part.end)),
                known: Some(Arc::new(part.written)),
            });
            self.made += 1;
        }
        let job = self.pending.pop_front()?;
        self.active.push((Arc::clone(&job.slice), true));
        Some(job)
    }
}

/// `parts` sorted, those that touch merged into one.
fn merge_adjacent(mut parts: Vec<Open>) -> Vec<Open> {
    parts.sort_by_key(|p| p.start);
    let mut merged: Vec<Open> = Vec::with_capacity(parts.len());
    for part in parts {
        match merged.last_mut() {
            Some(last) if last.end >= part.start => {
                last.end = last.end.max(part.end);
                last.written.extend(part.written);
            }
            _ => merged.push(part),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_starts_as_equal_slices_that_cover_it() {
        let slices = Slice::first_slices(100, 1_100, 16);
        assert_eq!(slices.len(), 16);
        assert_eq!(slices[0].start, 100);
        assert_eq!(slices[15].end(), 1_100);
        for pair in slices.windows(2) {
            assert_eq!(pair[0].end(), pair[1].start, "no gap, no overlap");
            assert!(pair[0].end() > pair[0].start);
        }
        // A window shorter than the workers: one slice per second.
        let short = Slice::first_slices(100, 103, 16);
        let bounds: Vec<_> = short.iter().map(|s| (s.start, s.end())).collect();
        assert_eq!(bounds, [(100, 101), (101, 102), (102, 103)]);
        assert_eq!(Slice::first_slices(5, 5, 16).len(), 1);
    }

    #[tokio::test]
    async fn at_the_end_slices_are_cut_to_what_the_requests_in_flight_read() {
        let queue = Queue::new(Slice::first_slices(0, 1_000, 4));
        assert_eq!(queue.slices(), 4);
        let never = || false;
        // Slices still waiting: they are what workers take next.
        assert_eq!(
            queue.split_target(3_000, 200, Some(15.0), false),
            SLICE_TARGET
        );
        let mut jobs = Vec::new();
        for _ in 0..4 {
            jobs.push(queue.next(200, never).await.expect("a slice"));
        }
        // Every slice is being swept, one not measured yet: no basis.
        for (job, left) in jobs.iter().zip([3_000, 1_500, 600]) {
            job.slice.measured(left);
        }
        assert_eq!(
            queue.split_target(3_000, 200, Some(15.0), false),
            SLICE_TARGET
        );
        jobs[3].slice.measured(900);
        // 6,000 orders left, 15 requests in flight: 400 each.
        assert_eq!(queue.split_target(3_000, 200, Some(15.0), false), 400);
        // Never below `least`, never above the slice target.
        assert_eq!(queue.split_target(3_000, 200, Some(100.0), false), 200);
        assert_eq!(
            queue.split_target(3_000, 200, Some(1.0), false),
            SLICE_TARGET
        );
        // Without a measured pace: only for workers waiting with nothing
        // to take, and not while requests wait for the rate.
        assert_eq!(queue.split_target(3_000, 200, None, false), SLICE_TARGET);
    }

    #[tokio::test]
    async fn without_a_pace_waiting_workers_get_a_share_unless_the_rate_holds_back() {
        let queue = Arc::new(Queue::new(Slice::first_slices(0, 1_000, 1)));
        let job = queue.next(200, || false).await.expect("the slice");
        job.slice.measured(3_000);
        // A second worker finds nothing to take and waits.
        let waiter = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.next(200, || false).await.is_some() })
        };
        while queue.lock().idle == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(queue.split_target(3_000, 200, None, false), 1_500);
        assert_eq!(queue.split_target(3_000, 200, None, true), SLICE_TARGET);
        queue.done(&job.slice, None);
        assert!(!waiter.await.unwrap(), "nothing left: the waiter is done");
    }
}
