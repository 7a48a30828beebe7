//! Injected failures, all off unless configured: the things a production
//! client must survive and a happy-path sandbox would never show it.
//!
//! * a token bucket per (app_key, shop_cipher, path), as the reference
//!   suggests: over it, HTTP 429 + 36009002 + `Retry-After: 1`;
//! * transient HTTP 503s (not a rate limit): the first N requests, and/or
//!   every Nth request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// What to do to a request before looking at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// HTTP 503, worth retrying after a short wait.
    Unavailable,
    /// HTTP 429, retry after a second.
    RateLimited,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

#[derive(Debug)]
pub(crate) struct Faults {
    fail_first_n: u64,
    fail_every_n: Option<u64>,
    rate_per_second: Option<u32>,
    seen: AtomicU64,
    buckets: Mutex<HashMap<(String, String, String), Bucket>>,
}

impl Faults {
    pub(crate) fn new(
        fail_first_n: u32,
        fail_every_n: Option<u32>,
        rate_per_second: Option<u32>,
    ) -> Self {
        Faults {
            fail_first_n: u64::from(fail_first_n),
            fail_every_n: fail_every_n.filter(|n| *n > 0).map(u64::from),
            rate_per_second: rate_per_second.filter(|n| *n > 0),
            seen: AtomicU64::new(0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an API request and decides whether it fails on purpose.
    pub(crate) fn check(&self, app_key: &str, shop_cipher: &str, path: &str) -> Option<Fault> {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= self.fail_first_n || self.fail_every_n.is_some_and(|every| n % every == 0) {
            return Some(Fault::Unavailable);
        }
        let rate = f64::from(self.rate_per_second?);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let bucket = buckets
            .entry((app_key.to_owned(), shop_cipher.to_owned(), path.to_owned()))
            .or_insert(Bucket {
                tokens: rate,
                refilled: now,
            });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.refilled).as_secs_f64() * rate).min(rate);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            None
        } else {
            Some(Fault::RateLimited)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_n_and_every_nth_fail() {
        let faults = Faults::new(2, Some(5), None);
        let outcomes: Vec<bool> = (0..10)
            .map(|_| faults.check("k", "s", "/p").is_some())
            .collect();
        assert_eq!(
            outcomes,
            [
                true, true, false, false, true, false, false, false, false, true
            ]
        );
    }

    #[test]
    fn buckets_are_per_key_shop_and_path() {
        let faults = Faults::new(0, None, Some(3));
        let hits: Vec<Option<Fault>> = (0..4).map(|_| faults.check("k", "s", "/p")).collect();
        assert_eq!(hits[..3], [None, None, None]);
        assert_eq!(hits[3], Some(Fault::RateLimited));
        assert_eq!(faults.check("k", "other", "/p"), None);
        assert_eq!(Faults::new(0, None, None).check("k", "s", "/p"), None);
    }
}
