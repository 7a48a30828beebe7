//! Added latency: the real API answers in hundreds of milliseconds, not
//! the sandbox's few, and an extractor's parallelism and rate limiter only
//! show what they are worth when each call takes its time. Each response
//! waits a fixed delay plus a jitter drawn from the seed and the response's
//! number, so the same run waits the same.

use std::time::Duration;

use crate::world::rng::{Rng, combine};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Latency {
    pub fixed: Duration,
    pub jitter: Duration,
    pub seed: u64,
}

impl Latency {
    /// How long response number `sequence` waits.
    pub(crate) fn of(&self, sequence: u64) -> Duration {
        if self.jitter.is_zero() {
            return self.fixed;
        }
        let nanos = u64::try_from(self.jitter.as_nanos()).unwrap_or(u64::MAX);
        let extra = Rng::new(combine(self.seed, sequence)).below(nanos.saturating_add(1));
        self.fixed + Duration::from_nanos(extra)
    }
}

#[test]
fn delays_stay_within_the_jitter_and_repeat() {
    let latency = Latency {
        fixed: Duration::from_millis(300),
        jitter: Duration::from_millis(50),
        seed: 1,
    };
    let delays: Vec<Duration> = (0..100).map(|n| latency.of(n)).collect();
    assert!(delays.iter().all(|d| (300..=350).contains(&d.as_millis())));
    assert!(delays.iter().any(|d| *d != delays[0]), "the jitter varies");
    assert_eq!(delays[7], latency.of(7));
    let none = Latency {
        jitter: Duration::ZERO,
        ..latency
    };
    assert_eq!(none.of(3), Duration::from_millis(300));
}
