//! Recently computed windows, so paging through ten thousand orders of a
//! snapshot regenerates nothing but the hundred orders of each page. A
//! window is keyed by its query, its snapshot second and the overlay
//! version it saw: an edit makes every older window stale.

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
        if let Some((_, window)) = self.lock().iter().find(|(k, _)| *k == key) {
            return Arc::clone(window);
        }
        let window = Arc::new(compute());
        let mut windows = self.lock();
        if windows.len() >= CACHED_WINDOWS {
            windows.pop_front();
        }
        windows.push_back((key, Arc::clone(&window)));
        window
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
