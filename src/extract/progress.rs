//! What a long extract tells while it runs: every few seconds, the orders
//! so far, how much of the window is covered, requests per second, the
//! current rate limit and an estimate of the time left.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared by every shop's workers; read by the reporter.
#[derive(Debug)]
pub(super) struct Progress {
    started: Instant,
    orders: AtomicU64,
    /// Window seconds read completely, summed over shops.
    covered: AtomicI64,
    /// Window seconds to read, summed over shops.
    total: AtomicI64,
}

/// How often a long extract reports.
pub(super) const EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub fn new() -> Progress {
        Progress {
            started: Instant::now(),
            orders: AtomicU64::new(0),
            covered: AtomicI64::new(0),
            total: AtomicI64::new(0),
        }
    }

    pub fn add_window(&self, seconds: i64) {
        self.total.fetch_add(seconds, Ordering::Relaxed);
    }

    pub fn add_orders(&self, orders: u64) {
        self.orders.fetch_add(orders, Ordering::Relaxed);
    }

    pub fn add_covered(&self, seconds: i64) {
        self.covered.fetch_add(seconds.max(0), Ordering::Relaxed);
    }

    pub fn orders(&self) -> u64 {
        self.orders.load(Ordering::Relaxed)
    }

    /// One progress line; `requests` is the client's count so far and
    /// `rate` the current pace (requests per second per shop).
    pub fn log(&self, requests: u64, rate: Option<f64>) {
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
        let total = self.total.load(Ordering::Relaxed).max(1) as f64;
        let covered = (self.covered.load(Ordering::Relaxed) as f64 / total).clamp(0.0, 1.0);
        let eta_s = if covered > 0.0 {
            (elapsed * (1.0 - covered) / covered).round() as u64
        } else {
            0
        };
        tracing::info!(
            orders = self.orders(),
            covered_pct = (covered * 1000.0).round() / 10.0,
            requests_per_s = (requests as f64 / elapsed * 10.0).round() / 10.0,
            rate_limit_per_s = rate.map(|r| (r * 10.0).round() / 10.0),
            eta_s,
            "extracting"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_sums_over_shops() {
        let p = Progress::new();
        p.add_window(100);
        p.add_window(300);
        p.add_covered(200);
        p.add_covered(-5);
        p.add_orders(7);
        assert_eq!(p.covered.load(Ordering::Relaxed), 200);
        assert_eq!(p.total.load(Ordering::Relaxed), 400);
        assert_eq!(p.orders(), 7);
        p.log(10, Some(12.345));
    }
}
