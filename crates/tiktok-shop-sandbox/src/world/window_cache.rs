//! Recently computed windows, so paging through ten thousand orders of a
//! snapshot regenerates nothing but the hundred orders of each page. A
//! window is keyed by its query, its snapshot second and the overlay
//! version it saw: an edit makes every older window stale.
//!
//! The ETL's searches (an `update_time` range, nothing else) are all cut
//! from one window per shop and snapshot second: every order sorted by
//! `update_time`, computed once. A client sweeping in many small ranges,
//! each asked again from the newest time of its last page, then costs a
//! binary search per request, not a walk over the creation slots of forty
//! days of orders.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use crate::world::query::Query;
use crate::world::window::Entry;

const CACHED_WINDOWS: usize = 32;

/// What a window was computed for: query, snapshot second, overlay version.
type Key = (Query, i64, u64);

#[derive(Debug, Default)]
pub(crate) struct WindowCache {
    windows: Mutex<VecDeque<(Key, Arc<Vec<Entry>>)>>,
    /// Held while a shop's whole window is computed, so that the requests
    /// arriving together compute it once.
    computing_all: Mutex<()>,
}

impl WindowCache {
    pub(crate) fn get_or_compute(
        &self,
        query: &Query,
        now: i64,
        version: u64,
        compute: impl FnOnce() -> Vec<Entry>,
    ) -> Arc<Vec<Entry>> {
        let key = (query.clone(), now, version);
        let mut windows = self.lock();
        if let Some(i) = windows.iter().position(|(k, _)| *k == key) {
            // The most recently used last: the first to go is the oldest used.
            let hit = windows.remove(i).expect("found above");
            let window = Arc::clone(&hit.1);
            windows.push_back(hit);
            return window;
        }
        drop(windows);
        let window = Arc::new(compute());
        let mut windows = self.lock();
        if windows.len() >= CACHED_WINDOWS {
            windows.pop_front();
        }
        windows.push_back((key, Arc::clone(&window)));
        window
    }

    /// The orders of `query`, an `update_time` range of one shop (nothing
    /// else filtered), cut from `all`: the whole window of that shop at
    /// `now` sorted by `update_time` then id, as `compute_all` gives it.
    pub(crate) fn updated_in(
        &self,
        query: &Query,
        (ge, lt): (i64, i64),
        now: i64,
        version: u64,
        compute_all: impl FnOnce() -> Vec<Entry>,
    ) -> Arc<Vec<Entry>> {
        let all_query = Query::updated_in(query.shop, i64::MIN, i64::MAX);
        let key = (all_query.clone(), now, version);
        let cached = || {
            self.lock()
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, w)| Arc::clone(w))
        };
        let all = match cached() {
            Some(all) => all,
            None => {
                let _computing = self
                    .computing_all
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match cached() {
                    Some(all) => all,
                    None => self.get_or_compute(&all_query, now, version, compute_all),
                }
            }
        };
        let from = all.partition_point(|e| e.update_time < ge);
        let to = all.partition_point(|e| e.update_time < lt).max(from);
        let mut part = all[from..to].to_vec();
        if query.descending {
            part.reverse();
        }
        Arc::new(part)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Key, Arc<Vec<Entry>>)>> {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[test]
fn a_window_is_computed_once_per_query_second_and_version() {
    let cache = WindowCache::default();
    let query = Query::updated_in(0, 1, 2);
    let mut computed = 0;
    for (now, version) in [(10, 0), (10, 0), (11, 0), (10, 1), (10, 1)] {
        cache.get_or_compute(&query, now, version, || {
            computed += 1;
            Vec::new()
        });
    }
    assert_eq!(computed, 3);
}

#[test]
fn update_ranges_are_cut_from_one_window_per_shop_and_second() {
    let cache = WindowCache::default();
    let entry = |update_time, id| Entry {
        seq: id,
        id,
        lines: 1,
        corrupt: false,
        status: crate::world::status::Status::Completed,
        update_time,
    };
    let all = vec![entry(10, 1), entry(10, 2), entry(12, 3), entry(15, 4)];
    let mut computed = 0;
    let mut cut = |ge, lt, descending| {
        let query = Query {
            descending,
            ..Query::updated_in(0, ge, lt)
        };
        let part = cache.updated_in(&query, (ge, lt), 100, 0, || {
            computed += 1;
            all.clone()
        });
        part.iter().map(|e| e.id).collect::<Vec<_>>()
    };
    assert_eq!(cut(10, 12, false), [1, 2]);
    assert_eq!(cut(11, 16, false), [3, 4]);
    assert_eq!(cut(10, 16, true), [4, 3, 2, 1]);
    assert_eq!(cut(13, 11, false), Vec::<u64>::new());
    assert_eq!(computed, 1);
}
