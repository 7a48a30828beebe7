//! Injected failures, off unless configured: transient HTTP 503s (not a
//! rate limit: the reference says to wait briefly and retry), on the
//! first N API requests and/or every Nth one. Rate limits and quotas are
//! the real API's behaviour, not faults: they live in `rate_limit` and
//! `quota`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub(crate) struct Faults {
    fail_first_n: u64,
    fail_every_n: Option<u64>,
    seen: AtomicU64,
}

impl Faults {
    pub(crate) fn new(fail_first_n: u32, fail_every_n: Option<u32>) -> Self {
        Faults {
            fail_first_n: u64::from(fail_first_n),
            fail_every_n: fail_every_n.filter(|n| *n > 0).map(u64::from),
            seen: AtomicU64::new(0),
        }
    }

    /// Counts an API request; true if it fails on purpose.
    pub(crate) fn fails(&self) -> bool {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        n <= self.fail_first_n || self.fail_every_n.is_some_and(|every| n % every == 0)
    }
}

#[test]
fn first_n_and_every_nth_fail() {
    let faults = Faults::new(2, Some(5));
    let outcomes: Vec<bool> = (0..10).map(|_| faults.fails()).collect();
    assert_eq!(
        outcomes,
        [
            true, true, false, false, true, false, false, false, false, true
        ]
    );
    assert!(!Faults::new(0, Some(0)).fails(), "zero means never");
}
