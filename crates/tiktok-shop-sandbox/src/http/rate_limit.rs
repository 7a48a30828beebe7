//! The rate limit the reference suggests simulating (§8): a token bucket
//! per (app_key, shop_cipher, path). A bucket holds `burst` tokens, refills
//! `rate` per second and a request takes one; an empty bucket answers HTTP
//! 429 with 36009002 and a `Retry-After` of the whole seconds until the
//! next token. A client pacing itself below the rate is never limited.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Tokens per second and bucket size; `None`: no limit.
    limit: Option<(f64, f64)>,
    buckets: Mutex<HashMap<(String, String, String), Bucket>>,
}

impl RateLimiter {
    /// `rate` requests per second (0 or `None`: unlimited), `burst` at once
    /// (`None`: one second's worth).
    pub(crate) fn new(rate: Option<u32>, burst: Option<u32>) -> RateLimiter {
        let limit = rate
            .filter(|r| *r > 0)
            .map(|r| (f64::from(r), f64::from(burst.unwrap_or(r).max(1))));
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for this request at `now`; `Err(seconds)` to wait when
    /// the bucket is empty.
    pub(crate) fn take(&self, key: (&str, &str, &str), now: Instant) -> Result<(), u64> {
        let Some((rate, burst)) = self.limit else {
            return Ok(());
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let (app, shop, path) = key;
        let bucket = buckets
            .entry((app.to_owned(), shop.to_owned(), path.to_owned()))
            .or_insert(Bucket {
                tokens: burst,
                refilled: now,
            });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[test]
fn buckets_are_per_key_shop_and_path() {
    let limiter = RateLimiter::new(Some(3), None);
    let now = Instant::now();
    let hits: Vec<Result<(), u64>> = (0..4)
        .map(|_| limiter.take(("k", "s", "/p"), now))
        .collect();
    assert_eq!(hits, [Ok(()), Ok(()), Ok(()), Err(1)]);
    assert_eq!(limiter.take(("k", "other", "/p"), now), Ok(()));
    assert_eq!(limiter.take(("k", "s", "/q"), now), Ok(()));
    assert_eq!(
        RateLimiter::new(None, None).take(("k", "s", "/p"), now),
        Ok(())
    );
    assert_eq!(
        RateLimiter::new(Some(0), None).take(("k", "s", "/p"), now),
        Ok(())
    );
}

#[test]
fn the_bucket_refills_at_the_rate_up_to_the_burst() {
    let limiter = RateLimiter::new(Some(2), Some(1));
    let start = Instant::now();
    let at = |ms: u64| start + std::time::Duration::from_millis(ms);
    assert_eq!(limiter.take(("k", "s", "/p"), at(0)), Ok(()));
    assert_eq!(limiter.take(("k", "s", "/p"), at(100)), Err(1));
    assert_eq!(
        limiter.take(("k", "s", "/p"), at(500)),
        Ok(()),
        "half a second refills one"
    );
    // A long pause refills only up to the burst: one request, then limited.
    assert_eq!(limiter.take(("k", "s", "/p"), at(10_000)), Ok(()));
    assert_eq!(limiter.take(("k", "s", "/p"), at(10_001)), Err(1));
    let slow = RateLimiter::new(Some(1), Some(1));
    assert_eq!(slow.take(("k", "s", "/p"), at(0)), Ok(()));
    assert_eq!(slow.take(("k", "s", "/p"), at(0)), Err(1));
}
