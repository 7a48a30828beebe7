//! How long to wait before retrying a transient failure (API reference §8):
//! `min(base·2^n + jitter(0..0.5·base), 60 s)`, about five retries, and never
//! sooner than the server's `Retry-After`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::ApiError;

/// The retry policy of an [`super::ApiClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait; doubled on every retry.
    pub base: Duration,
    /// No wait is longer than this, `Retry-After` included.
    pub max_delay: Duration,
    /// Retries after the first attempt before giving up.
    pub max_retries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retries: 5,
        }
    }
}

impl Backoff {
    /// The variable that overrides [`Backoff::base`], in milliseconds
    /// (tests set it small).
    pub const BASE_ENV: &'static str = "TIKTOK_API_RETRY_BASE_MS";

    /// The default policy, with the base from `TIKTOK_API_RETRY_BASE_MS`.
    pub fn from_env() -> Result<Backoff, ApiError> {
        let Some(raw) = std::env::var(Self::BASE_ENV).ok().filter(|v| !v.is_empty()) else {
            return Ok(Backoff::default());
        };
        let ms: u64 = raw.trim().parse().map_err(|_| {
            ApiError::Config(format!(
                "{}={raw:?} is not a number of milliseconds",
                Self::BASE_ENV
            ))
        })?;
        Ok(Backoff {
            base: Duration::from_millis(ms),
            ..Backoff::default()
        })
    }

    /// The wait before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        self.delay_with(retry, retry_after, jitter_unit())
    }

    /// [`Backoff::delay`] with the random part given (`unit` in `[0, 1)`).
    fn delay_with(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let exponential = self
            .base
            .saturating_mul(1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX));
        let jitter = self.base.mul_f64(0.5 * unit.clamp(0.0, 1.0));
        let computed = exponential.saturating_add(jitter);
        computed
            .max(retry_after.unwrap_or_default())
            .min(self.max_delay)
    }
}

/// A number in `[0, 1)` from a xorshift over the clock and a counter: enough
/// to spread retries of parallel runs apart, without a `rand` dependency.
fn jitter_unit() -> f64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let mut x = (nanos
        ^ CALLS
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15))
        | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_with_bounded_jitter_and_a_ceiling() {
        let b = Backoff::default();
        for retry in 0..5 {
            let low = Duration::from_secs(1 << retry);
            assert_eq!(b.delay_with(retry, None, 0.0), low);
            let highest = b.delay_with(retry, None, 0.999_999);
            assert!(
                highest > low + Duration::from_millis(499)
                    && highest < low + Duration::from_millis(500)
            );
            let random = b.delay(retry, None);
            assert!(
                random >= low && random < low + Duration::from_millis(500),
                "{retry}: {random:?}"
            );
        }
        assert_eq!(b.delay_with(6, None, 0.9), Duration::from_secs(60));
        assert_eq!(b.delay_with(u32::MAX, None, 0.9), Duration::from_secs(60));
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_ceiling() {
        let b = Backoff {
            base: Duration::from_millis(10),
            ..Backoff::default()
        };
        assert_eq!(
            b.delay_with(0, Some(Duration::from_secs(2)), 0.0),
            Duration::from_secs(2)
        );
        assert_eq!(
            b.delay_with(0, Some(Duration::from_secs(600)), 0.0),
            Duration::from_secs(60)
        );
        assert_eq!(
            b.delay_with(2, Some(Duration::ZERO), 0.0),
            Duration::from_millis(40)
        );
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        for _ in 0..1000 {
            let u = jitter_unit();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
    }
}
