//! The quota of sandbox and test shops (reference §11): about 1,000
//! requests an hour per app and shop; over it, HTTP 429 with 36009037. Each
//! (app_key, shop_cipher) gets an hour from its first request; requests
//! refused do not count, and `Retry-After` says when the hour ends.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

#[derive(Debug)]
struct Hour {
    started: Instant,
    used: u32,
}

#[derive(Debug)]
pub(crate) struct HourlyQuota {
    per_hour: Option<u32>,
    hours: Mutex<HashMap<(String, String), Hour>>,
}

impl HourlyQuota {
    pub(crate) fn new(per_hour: Option<u32>) -> HourlyQuota {
        HourlyQuota {
            per_hour,
            hours: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request at `now`; `Err(seconds)` until the hour ends when
    /// the quota is used up.
    pub(crate) fn take(&self, (app, shop): (&str, &str), now: Instant) -> Result<(), u64> {
        let Some(per_hour) = self.per_hour else {
            return Ok(());
        };
        let mut hours = self.hours.lock().unwrap_or_else(PoisonError::into_inner);
        let hour = hours
            .entry((app.to_owned(), shop.to_owned()))
            .or_insert(Hour {
                started: now,
                used: 0,
            });
        let elapsed = now.saturating_duration_since(hour.started);
        if elapsed >= HOUR {
            *hour = Hour {
                started: now,
                used: 0,
            };
        }
        if hour.used < per_hour {
            hour.used += 1;
            return Ok(());
        }
        let left = HOUR.saturating_sub(now.saturating_duration_since(hour.started));
        Err(left.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[test]
fn the_quota_is_per_app_and_shop_and_renews_every_hour() {
    let quota = HourlyQuota::new(Some(2));
    let start = Instant::now();
    let key = ("k", "ROW_A");
    assert_eq!(quota.take(key, start), Ok(()));
    assert_eq!(quota.take(key, start), Ok(()));
    let later = start + Duration::from_secs(600);
    assert_eq!(quota.take(key, later), Err(3000));
    assert_eq!(quota.take(("k", "ROW_B"), later), Ok(()));
    assert_eq!(quota.take(key, start + HOUR), Ok(()), "a new hour");
    assert_eq!(HourlyQuota::new(None).take(key, start), Ok(()));
}
