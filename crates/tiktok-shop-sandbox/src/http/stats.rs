//! What the sandbox saw and served, so tests and demos can check the ETL
//! end to end ("rows in the table == line items the API served") and see
//! that retries, refreshes and rate limits really happened.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// A snapshot of the sandbox's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxStats {
    /// Every HTTP request received, unknown paths included.
    pub requests: u64,
    /// Successful Get Order List responses.
    pub pages_served: u64,
    /// Distinct order ids served.
    pub orders_served: u64,
    /// Distinct line item ids served.
    pub line_items_served: u64,
    /// Orders served counting repeats (the same order on two pages or runs).
    pub order_payloads_served: u64,
    /// Requests rejected with 106001.
    pub signature_failures: u64,
    /// Requests rejected for a missing, wrong or replaced access token.
    pub token_failures: u64,
    /// Requests rejected with 105002 (expired access token).
    pub expired_token_rejections: u64,
    /// Requests answered 429: the token bucket (36009002) or the test-shop
    /// quota (36009037).
    pub rate_limited: u64,
    /// Of those, the ones over the test-shop quota (36009037).
    pub quota_rejections: u64,
    /// Requests failed on purpose with 503.
    pub injected_failures: u64,
    /// Successful token refreshes.
    pub token_refreshes: u64,
    /// Refreshes refused (unknown, replaced or expired refresh token).
    pub refresh_rejections: u64,
    /// Orders updated by live paging (each update counts once).
    pub live_updates: u64,
    /// Pages cut short or refused by the result cap.
    pub capped_pages: u64,
    /// Every response with a non-zero code.
    pub errors: u64,
}

/// The live counters behind [`SandboxStats`].
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub requests: AtomicU64,
    pub pages_served: AtomicU64,
    pub order_payloads_served: AtomicU64,
    pub signature_failures: AtomicU64,
    pub token_failures: AtomicU64,
    pub expired_token_rejections: AtomicU64,
    pub rate_limited: AtomicU64,
    pub quota_rejections: AtomicU64,
    pub injected_failures: AtomicU64,
    pub token_refreshes: AtomicU64,
    pub refresh_rejections: AtomicU64,
    pub live_updates: AtomicU64,
    pub capped_pages: AtomicU64,
    pub errors: AtomicU64,
    served: Mutex<Served>,
}

/// Per order served: the `update_time`s it was served with, and its line
/// items.
type Served = HashMap<u64, (Vec<i64>, Vec<u64>)>;

pub(crate) fn bump(counter: &AtomicU64) {
    add(counter, 1);
}

pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Stats {
    /// Records one served order, with the `update_time` it was served with,
    /// and its line item ids.
    pub(crate) fn served(
        &self,
        order_id: u64,
        update_time: i64,
        line_item_ids: impl IntoIterator<Item = u64>,
    ) {
        bump(&self.order_payloads_served);
        let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        let (times, lines) = served.entry(order_id).or_default();
        if !times.contains(&update_time) {
            times.push(update_time);
        }
        for line in line_item_ids {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }

    /// Distinct orders and line items served in a version whose
    /// `update_time` lies in `[since, until)`: what an extract of that
    /// window read (an order it asked about past the window is not).
    pub(crate) fn served_within(&self, since: i64, until: i64) -> (u64, u64) {
        self.served_where(|times| times.iter().any(|t| (since..until).contains(t)))
    }

    /// Distinct orders, and their distinct line items, whose served
    /// `update_time`s pass `keep`.
    fn served_where(&self, keep: impl Fn(&[i64]) -> bool) -> (u64, u64) {
        let served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        let mut lines = HashSet::new();
        let mut orders = 0;
        for (times, order_lines) in served.values() {
            if keep(times) {
                orders += 1;
                lines.extend(order_lines.iter().copied());
            }
        }
        (orders, lines.len() as u64)
    }

    pub(crate) fn snapshot(&self) -> SandboxStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (orders_served, line_items_served) = self.served_where(|_| true);
        SandboxStats {
            requests: get(&self.requests),
            pages_served: get(&self.pages_served),
            orders_served,
            line_items_served,
            order_payloads_served: get(&self.order_payloads_served),
            signature_failures: get(&self.signature_failures),
            token_failures: get(&self.token_failures),
            expired_token_rejections: get(&self.expired_token_rejections),
            rate_limited: get(&self.rate_limited),
            quota_rejections: get(&self.quota_rejections),
            injected_failures: get(&self.injected_failures),
            token_refreshes: get(&self.token_refreshes),
            refresh_rejections: get(&self.refresh_rejections),
            live_updates: get(&self.live_updates),
            capped_pages: get(&self.capped_pages),
            errors: get(&self.errors),
        }
    }
}

#[test]
fn distinct_ids_are_counted_once() {
    let stats = Stats::default();
    stats.served(1, 100, [10, 11]);
    stats.served(1, 100, [10, 11]);
    stats.served(2, 200, [12]);
    let s = stats.snapshot();
    assert_eq!(
        (
            s.orders_served,
            s.line_items_served,
            s.order_payloads_served
        ),
        (2, 3, 3)
    );
    assert_eq!(stats.served_within(100, 200), (1, 2));
    assert_eq!(stats.served_within(0, 201), (2, 3));
    assert_eq!(stats.served_within(201, 300), (0, 0));
}
