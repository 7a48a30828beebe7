//! Live updates: orders that change while a client pages through them.
//!
//! The real API pages by position in the live, sorted result, so when an
//! order the client already read is updated, it leaves its place and every
//! later order moves one place earlier: the first order of the next page
//! slides into the part already read and a client that just follows
//! `next_page_token` never sees it. In live mode every search request
//! ticks the data clock, and every Nth one updates a few orders of the
//! query's own live result at the new "now" (a touch, or the order's next
//! status change brought forward), so that hazard is real here too.
//!
//! Requests take their step one at a time, and the orders updated are drawn
//! from a stream seeded by the sandbox seed and the request's number: the
//! same sequence of requests meets the same updates.

use std::sync::{Mutex, PoisonError};

use crate::world::data_clock::DataClock;
use crate::world::orders::Orders;
use crate::world::plan::Shop;
use crate::world::query::Query;
use crate::world::rng::{Rng, combine};

/// Seeds the stream of updates apart from everything else the seed drives.
const STREAM: u64 = 0x11FE_0000_0000_0000;

#[derive(Debug)]
pub(crate) struct Churn {
    seed: u64,
    /// Updates happen on every `every`th search request.
    every: u64,
    /// Orders updated each time.
    per_round: u32,
    /// Search requests seen so far; the lock makes their steps sequential.
    requests: Mutex<u64>,
}

/// What one live search request saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// The data clock after its tick.
    pub now: i64,
    /// Orders updated before the page was cut.
    pub updated: u32,
}

impl Churn {
    pub(crate) fn new(seed: u64, every: u32, per_round: u32) -> Churn {
        Churn {
            seed,
            every: u64::from(every.max(1)),
            per_round,
            requests: Mutex::new(0),
        }
    }

    /// Ticks the clock and, when due, updates orders of `query`'s result.
    pub(crate) fn step(
        &self,
        orders: &Orders,
        clock: &DataClock,
        shop: &Shop,
        query: &Query,
    ) -> Step {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *requests += 1;
        let now = clock.tick();
        if self.per_round == 0 || *requests % self.every != 0 {
            return Step { now, updated: 0 };
        }
        let result = orders.window(query, shop, now);
        let mut rng = Rng::new(combine(self.seed ^ STREAM, *requests));
        let mut updated = 0;
        for _ in 0..self.per_round.min(result.len() as u32) {
            let victim = rng.pick(&result);
            let status_change = rng.chance(500);
            let changed = orders.edit(shop, victim.seq, |timeline| {
                (status_change && timeline.advance(now)) || timeline.touch(now)
            });
            updated += u32::from(changed);
        }
        Step { now, updated }
    }
}

#[cfg(test)]
use crate::world::{data_clock::Clock, generator::Generator};

#[cfg(test)]
fn world(per_round: u32) -> (Orders, DataClock, Churn, Query) {
    let start = 1_795_586_400;
    let generator = Generator {
        seed: 3,
        orders_per_day: 300,
        corrupt_every: None,
        opened: start - 20 * 86_400,
    };
    let orders = Orders::new(generator, &["ROW_A".to_owned()]);
    let now = chrono::DateTime::from_timestamp(start, 0).unwrap_or_default();
    let clock = DataClock::new(Clock::Frozen(now), 1);
    let query = Query::updated_in(0, start - 86_400, start);
    (orders, clock, Churn::new(3, 2, per_round), query)
}

#[test]
fn every_nth_request_updates_orders_out_of_a_closed_window() {
    let (orders, clock, churn, query) = world(3);
    let shop = orders.shops[0].clone();
    let before = orders.window(&query, &shop, clock.now_secs());
    let steps: Vec<Step> = (0..4)
        .map(|_| churn.step(&orders, &clock, &shop, &query))
        .collect();
    let updates: Vec<u32> = steps.iter().map(|s| s.updated).collect();
    assert_eq!(updates, [0, 3, 0, 3]);
    assert_eq!(steps[3].now, clock.now_secs());
    let after = orders.window(&query, &shop, clock.now_secs());
    assert_eq!(
        after.len() + 6,
        before.len(),
        "updated orders left the window"
    );
}

#[test]
fn the_same_requests_meet_the_same_updates() {
    let run = || {
        let (orders, clock, churn, query) = world(5);
        let shop = orders.shops[0].clone();
        for _ in 0..6 {
            churn.step(&orders, &clock, &shop, &query);
        }
        orders.edited(&shop)
    };
    let (a, b) = (run(), run());
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert!(a.len() >= 10, "{}", a.len());
}
