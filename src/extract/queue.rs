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
    pub(super) fn new(first: Slice) -> Queue {
        Queue {
            state: Mutex::new(QueueState {
                pending: VecDeque::from([Job {
                    slice: Arc::new(first),
                    known: None,
                }]),
                active: Vec::new(),
                open: Vec::new(),
                made: 1,
                rereads: 0,
                idle: 0,
            }),
            changed: Notify::new(),
            newest_seen: AtomicI64::new(i64::MIN),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn slices(&self) -> u64 {
        self.lock().made
    }

    /// The next slice to sweep; `None` when every slice is done. With none
    /// waiting, asks the biggest one being swept to split, and waits; with
    /// none being swept either, re-reads the open parts.
    pub(super) async fn next(&self, min_to_split: u64) -> Option<Job> {
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
                if let Some(biggest) = state
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
    /// [`SLICE_TARGET`]; when workers wait with nothing left to take (at the
    /// start, and at the end of the shop, where the last slices would
    /// otherwise be read by one worker each), a share for each of them,
    /// but no less than `least`.
    pub(super) fn split_target(&self, total: u64, least: u64) -> u64 {
        let state = self.lock();
        if state.idle > 0 && state.pending.is_empty() {
            let share = total / (state.idle as u64 + 1);
            share.clamp(least.min(SLICE_TARGET), SLICE_TARGET)
        } else {
            SLICE_TARGET
        }
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
