//! Pacing requests under the API's rate limit.
//!
//! TikTok Shop limits requests per app and authorized shop and publishes no
//! number (API reference §8, §11): a client must find the rate itself. One
//! token bucket per shop spaces that shop's requests evenly (no sub-second
//! bursts); one semaphore caps the requests in flight over all shops.
//!
//! With [`Rate::Fixed`] a bucket refills at the given rate. With
//! [`Rate::Auto`] it starts low and looks for the limit: it doubles the rate
//! every [`Aimd::PROBE`] while calls succeed, until the first throttled call
//! (HTTP 429); from then on it sits a little under the rate the server was
//! seen to accept, increases slowly while calls succeed and decreases
//! multiplicatively on every throttle. Every throttled call pauses the whole
//! shop's bucket for the server's `Retry-After` (or a short default), since
//! the other requests of that shop would only be throttled too.
//!
//! A shop's waiting requests queue in line (first come, first served): only
//! the first waits on the bucket, so none is starved by luckier ones, and a
//! request let through a little late (timers are not exact) does not slow
//! the rate, because the bucket keeps that bit of a token for the next one.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How fast one shop's requests may go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Exactly this many requests per second.
    Fixed(f64),
    /// Find the limit: start at [`Aimd::START`] and adapt.
    Auto,
}

impl Rate {
    /// `auto` or a number of requests per second.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("auto") {
            return Ok(Rate::Auto);
        }
        match text.parse::<f64>() {
            Ok(qps) if qps.is_finite() && qps > 0.0 && qps <= 10_000.0 => Ok(Rate::Fixed(qps)),
            _ => Err(format!(
                "{text:?} is not a rate: give `auto` or requests per second, e.g. 20 (at most 10000)"
            )),
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rate::Fixed(qps) => write!(f, "{qps}"),
            Rate::Auto => f.write_str("auto"),
        }
    }
}

/// What a shop's bucket has done.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PaceStats {
    /// Requests let through.
    pub granted: u64,
    /// Answers that said the rate was too high.
    pub throttled: u64,
    /// The rate at the time of asking, requests per second.
    pub rate: f64,
    /// Requests waiting for their turn at the time of asking: when some
    /// are, the rate (not the number of requests ready) is what holds the
    /// key back.
    pub waiting: usize,
    /// How long answers take once a request is let through (a moving
    /// average), once one came.
    pub latency: Option<Duration>,
}

impl PaceStats {
    /// Requests in flight it takes to keep to the rate: rate × latency.
    pub fn concurrency(&self) -> Option<f64> {
        self.latency.map(|l| self.rate * l.as_secs_f64())
    }
}

/// Paces requests per key (a shop) and caps the requests in flight.
pub struct Pacer {
    mode: Rate,
    buckets: Mutex<HashMap<String, Arc<Key>>>,
    in_flight: Arc<Semaphore>,
}

/// One key's bucket, and the line of its requests waiting for it.
#[derive(Debug)]
struct Key {
    bucket: Mutex<Bucket>,
    line: tokio::sync::Mutex<()>,
    /// Requests in [`Pacer::acquire`] that have not got their slot yet.
    waiting: AtomicUsize,
}

/// Counts a request as waiting until dropped (also when its caller gives
/// up waiting).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Held while a request is in flight.
#[must_use]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("mode", &self.mode).finish()
    }
}

impl Pacer {
    /// `max_in_flight` requests at most over every key together.
    pub fn new(mode: Rate, max_in_flight: usize) -> Pacer {
        Pacer {
            mode,
            buckets: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1))),
        }
    }

    pub fn mode(&self) -> Rate {
        self.mode
    }

    /// Waits until `key` may send a request, then for a free slot.
    pub async fn acquire(&self, key: &str) -> Slot {
        let key = self.key(key);
        let waiting = Waiting::new(&key.waiting);
        {
            // The line is fair (FIFO): requests go in the order they came.
            let _turn = key.line.lock().await;
            loop {
                let wait = lock(&key.bucket).take(Instant::now());
                match wait {
                    None => break,
                    Some(wait) => tokio::time::sleep(wait).await,
                }
            }
        }
        let permit = Arc::clone(&self.in_flight)
            .acquire_owned()
            .await
            .expect("the pacer never closes its semaphore");
        drop(waiting);
        Slot { _permit: permit }
    }

    /// A request of `key` was answered without a throttle, `latency` after
    /// it was let through.
    pub fn succeeded(&self, key: &str, latency: Duration) {
        lock(&self.key(key).bucket).succeeded(Instant::now(), latency);
    }

    /// A request of `key` was throttled: pause the key's bucket.
    pub fn throttled(&self, key: &str, retry_after: Option<Duration>) {
        lock(&self.key(key).bucket).throttled(Instant::now(), retry_after);
    }

    pub fn stats(&self, key: &str) -> PaceStats {
        let key = self.key(key);
        let b = lock(&key.bucket);
        PaceStats {
            granted: b.granted,
            throttled: b.throttled,
            rate: b.rate,
            waiting: key.waiting.load(Ordering::Acquire),
            latency: b.latency.map(Duration::from_secs_f64),
        }
    }

    fn key(&self, key: &str) -> Arc<Key> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(buckets.entry(key.to_owned()).or_insert_with(|| {
            Arc::new(Key {
                bucket: Mutex::new(Bucket::new(self.mode, Instant::now())),
                line: tokio::sync::Mutex::new(()),
                waiting: AtomicUsize::new(0),
            })
        }))
    }
}

fn lock(bucket: &Mutex<Bucket>) -> std::sync::MutexGuard<'_, Bucket> {
    bucket.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One key's token bucket.
#[derive(Debug)]
struct Bucket {
    /// Tokens per second.
    rate: f64,
    tokens: f64,
    refilled: Instant,
    paused_until: Option<Instant>,
    auto: Option<Aimd>,
    granted: u64,
    throttled: u64,
    /// Seconds answers take, a moving average.
    latency: Option<f64>,
}

/// A bucket starts with one token: requests go out evenly spaced.
const BURST: f64 = 1.0;
/// Past one token, what a bucket keeps of the time a request was let
/// through late (the sleeping waiter woke after the token was due), so the
/// next one goes that much earlier and the rate holds. Never a burst.
const LATE_CREDIT: f64 = 0.5;

impl Bucket {
    fn new(mode: Rate, now: Instant) -> Bucket {
        let (rate, auto) = match mode {
            Rate::Fixed(qps) => (qps, None),
            Rate::Auto => (Aimd::START, Some(Aimd::new(now))),
        };
        Bucket {
            rate,
            tokens: BURST,
            refilled: now,
            paused_until: None,
            auto,
            granted: 0,
            throttled: 0,
            latency: None,
        }
    }

    /// Takes a token, or says how long to wait for one.
    fn take(&mut self, now: Instant) -> Option<Duration> {
        if let Some(until) = self.paused_until {
            if until > now {
                return Some(until - now);
            }
            // Retry-After says when to send again: one request may go then.
            self.paused_until = None;
            self.refilled = now;
            self.tokens = BURST;
        }
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        let filled = self.tokens + elapsed * self.rate;
        // Late by less than a token's time, the bucket keeps the bit past
        // one token (the request was due then); idle longer, it holds one.
        self.tokens = if filled < BURST + 1.0 {
            filled.min(BURST + LATE_CREDIT)
        } else {
            BURST
        };
        self.refilled = now;
        // A hair under one token is one: float dust must not stall a request.
        if self.tokens >= 1.0 - 1e-9 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            self.granted += 1;
            if let Some(auto) = &mut self.auto {
                auto.sent(now);
            }
            return None;
        }
        let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.rate);
        Some(wait.max(Duration::from_micros(1)))
    }

    fn succeeded(&mut self, now: Instant, latency: Duration) {
        let sample = latency.as_secs_f64();
        self.latency = Some(match self.latency {
            Some(average) => average + LATENCY_WEIGHT * (sample - average),
            None => sample,
        });
        if let Some(auto) = &mut self.auto {
            self.rate = auto.succeeded(self.rate, now);
        }
    }

    fn throttled(&mut self, now: Instant, retry_after: Option<Duration>) {
        self.throttled += 1;
        let pause = retry_after.unwrap_or(DEFAULT_PAUSE).min(MAX_PAUSE);
        let until = now + pause;
        if self.paused_until.is_none_or(|p| p < until) {
            self.paused_until = Some(until);
        }
        self.tokens = 0.0;
        if let Some(auto) = &mut self.auto {
            self.rate = auto.throttled(self.rate, now);
        }
    }
}

/// The weight of a new answer's latency in the moving average.
const LATENCY_WEIGHT: f64 = 0.1;

/// The pause after a throttle that came without `Retry-After`.
const DEFAULT_PAUSE: Duration = Duration::from_millis(500);
/// The longest pause a bucket takes; a longer `Retry-After` is the caller's
/// problem (it fails the call instead, see the client).
const MAX_PAUSE: Duration = Duration::from_secs(60);

/// Additive increase, multiplicative decrease, after a doubling probe.
#[derive(Debug)]
struct Aimd {
    probing: bool,
    changed: Instant,
    /// When recent requests were let through, to know the rate the server
    /// accepted when it first said no.
    sent: VecDeque<Instant>,
    /// No second decrease within one pause: one overshoot, one decrease.
    decreased: Option<Instant>,
}

impl Aimd {
    /// Requests per second before anything is known.
    const START: f64 = 10.0;
    /// How often the probe doubles the rate.
    const PROBE: Duration = Duration::from_millis(250);
    /// After the probe: +2% of the rate per second of success.
    const INCREASE_PER_SECOND: f64 = 0.02;
    /// On a throttle: to 85% of the rate.
    const DECREASE: f64 = 0.85;
    const MIN: f64 = 0.5;
    const MAX: f64 = 10_000.0;
    const WINDOW: Duration = Duration::from_secs(1);

    fn new(now: Instant) -> Aimd {
        Aimd {
            probing: true,
            changed: now,
            sent: VecDeque::new(),
            decreased: None,
        }
    }

    fn sent(&mut self, now: Instant) {
        self.sent.push_back(now);
        while self
            .sent
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) > Self::WINDOW)
        {
            self.sent.pop_front();
        }
    }

    fn succeeded(&mut self, rate: f64, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.changed);
        if self.probing {
            if elapsed < Self::PROBE {
                return rate;
            }
            self.changed = now;
            return (rate * 2.0).min(Self::MAX);
        }
        self.changed = now;
        let increase = rate * Self::INCREASE_PER_SECOND * elapsed.as_secs_f64().min(1.0);
        (rate + increase).min(Self::MAX)
    }

    fn throttled(&mut self, rate: f64, now: Instant) -> f64 {
        if self
            .decreased
            .is_some_and(|at| now.saturating_duration_since(at) < Self::WINDOW)
        {
            return rate;
        }
        self.decreased = Some(now);
        self.changed = now;
        let next = if self.probing {
            // What the server let through in the last second is the best
            // guess of its limit; stay just under it.
            self.probing = false;
            let accepted = self.sent.len() as f64 / Self::WINDOW.as_secs_f64();
            (accepted * 0.9).min(rate * Self::DECREASE)
        } else {
            rate * Self::DECREASE
        };
        next.max(Self::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_from_flags() {
        assert_eq!(Rate::parse("auto"), Ok(Rate::Auto));
        assert_eq!(Rate::parse(" 50 "), Ok(Rate::Fixed(50.0)));
        assert_eq!(Rate::parse("0.5"), Ok(Rate::Fixed(0.5)));
        for bad in ["0", "-1", "fast", "NaN", "inf", "20000"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_fixed_bucket_spaces_requests_evenly() {
        let start = Instant::now();
        let mut b = Bucket::new(Rate::Fixed(10.0), start);
        assert_eq!(b.take(start), None, "the first request goes at once");
        let wait = b.take(start).unwrap();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        // After 100 ms exactly one more request may go.
        let later = start + Duration::from_millis(100);
        assert_eq!(b.take(later), None);
        assert!(b.take(later).is_some());
        // A long idle time does not allow a burst.
        let idle = later + Duration::from_secs(10);
        assert_eq!(b.take(idle), None);
        assert!(b.take(idle).is_some());
        assert_eq!(b.granted, 3);
    }

    #[test]
    fn a_throttle_pauses_the_bucket_for_retry_after() {
        let start = Instant::now();
        let mut b = Bucket::new(Rate::Fixed(100.0), start);
        b.throttled(start, Some(Duration::from_secs(2)));
        let wait = b.take(start + Duration::from_millis(500)).unwrap();
        assert_eq!(wait, Duration::from_millis(1500));
        assert_eq!(b.take(start + Duration::from_secs(2)), None);
        assert_eq!(b.rate, 100.0, "a fixed rate stays fixed");
        b.throttled(start, None);
        assert!(b.take(start + Duration::from_millis(499)).is_some());
    }

    #[test]
    fn auto_doubles_until_throttled_then_settles_under_the_accepted_rate() {
        let mut now = Instant::now();
        let mut b = Bucket::new(Rate::Auto, now);
        assert_eq!(b.rate, Aimd::START);
        // A server that takes 40 requests per second: send as fast as the
        // bucket allows, feed back success while under the limit.
        let mut accepted: VecDeque<Instant> = VecDeque::new();
        let mut throttles = 0;
        let mut sent = 0;
        while sent < 2_000 {
            match b.take(now) {
                Some(wait) => now += wait,
                None => {
                    sent += 1;
                    while accepted.front().is_some_and(|&t| {
                        now.saturating_duration_since(t) >= Duration::from_secs(1)
                    }) {
                        accepted.pop_front();
                    }
                    if accepted.len() < 40 {
                        accepted.push_back(now);
                        b.succeeded(now, Duration::from_millis(300));
                    } else {
                        throttles += 1;
                        b.throttled(now, Some(Duration::from_secs(1)));
                    }
                }
            }
        }
        assert!(
            (34.0..=46.0).contains(&b.rate),
            "settled at {} req/s for a 40 req/s server",
            b.rate
        );
        assert!(
            throttles * 100 < sent * 5,
            "{throttles} of {sent} throttled"
        );
    }

    #[test]
    fn a_request_let_through_late_does_not_slow_the_rate() {
        let start = Instant::now();
        let mut b = Bucket::new(Rate::Fixed(50.0), start);
        let mut now = start;
        let mut sent = 0;
        // Every waiter wakes 3 ms after its token was due.
        while now < start + Duration::from_secs(10) {
            match b.take(now) {
                None => sent += 1,
                Some(wait) => now += wait + Duration::from_millis(3),
            }
        }
        assert!((499..=501).contains(&sent), "{sent} in 10 s at 50/s");
        // Idle, no credit piles up: one request, then the even spacing.
        let idle = now + Duration::from_secs(5);
        assert_eq!(b.take(idle), None);
        let wait = b.take(idle).unwrap();
        assert!(wait >= Duration::from_millis(19), "{wait:?}");
    }

    #[tokio::test]
    async fn waiting_requests_go_in_the_order_they_came() {
        let pacer = Arc::new(Pacer::new(Rate::Fixed(200.0), 64));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (pacer, order) = (Arc::clone(&pacer), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                let _slot = pacer.acquire("shop").await;
                order.lock().unwrap().push(i);
            }));
            // Each one in line before the next comes.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..12).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn the_in_flight_cap_holds_across_keys() {
        let pacer = Arc::new(Pacer::new(Rate::Fixed(1000.0), 2));
        let a = pacer.acquire("a").await;
        let _b = pacer.acquire("b").await;
        let third = tokio::time::timeout(Duration::from_millis(50), pacer.acquire("c")).await;
        assert!(third.is_err(), "a third request waited for a slot");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(500), pacer.acquire("c")).await;
        assert!(third.is_ok());
        assert_eq!(
            pacer.stats("c").granted,
            2,
            "c's token was taken once per try"
        );
    }

    #[tokio::test]
    async fn stats_count_the_requests_waiting_for_their_turn() {
        // One request a second: after the first, the others wait.
        let pacer = Arc::new(Pacer::new(Rate::Fixed(1.0), 64));
        let _first = pacer.acquire("shop").await;
        assert_eq!(pacer.stats("shop").waiting, 0);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let pacer = Arc::clone(&pacer);
                tokio::spawn(async move { drop(pacer.acquire("shop").await) })
            })
            .collect();
        while pacer.stats("shop").waiting < 3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pacer.stats("other").waiting, 0, "counted per key");
        // A waiter that gives up is no longer counted.
        for waiter in &waiters {
            waiter.abort();
        }
        for waiter in waiters {
            let _ = waiter.await;
        }
        assert_eq!(pacer.stats("shop").waiting, 0);
    }

    #[test]
    fn latency_is_a_moving_average_and_gives_the_requests_in_flight_needed() {
        let pacer = Pacer::new(Rate::Fixed(50.0), 64);
        assert_eq!(pacer.stats("shop").latency, None);
        assert_eq!(pacer.stats("shop").concurrency(), None);
        pacer.succeeded("shop", Duration::from_millis(300));
        let stats = pacer.stats("shop");
        assert_eq!(stats.latency, Some(Duration::from_millis(300)));
        assert!((stats.concurrency().unwrap() - 15.0).abs() < 1e-9);
        // One slow answer moves the average a tenth of the way.
        pacer.succeeded("shop", Duration::from_millis(1_300));
        let latency = pacer.stats("shop").latency.unwrap().as_secs_f64();
        assert!((latency - 0.4).abs() < 1e-6, "{latency}");
    }
}
