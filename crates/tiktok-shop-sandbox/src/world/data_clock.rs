//! What "now" is for the data, as opposed to the real time that request
//! timestamps and token lifetimes follow (clients stamp requests with it).
//!
//! The clock is the wall clock or frozen at an instant. In live mode a
//! frozen clock still moves: every search request ticks it forward by a
//! fixed step, so orders can be updated "now" between two pages and a
//! test replays the same request sequence with the same data. (A wall
//! clock moves on its own and is not ticked: data must never be ahead of
//! the time clients stamp their requests with.) The clock also remembers
//! the earliest and latest "now" it showed, the span the oracles cover.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};

/// What "now" is for the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The real time: orders keep arriving and moving on.
    #[default]
    Wall,
    /// A fixed instant: every response is reproducible.
    Frozen(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::Wall => Utc::now(),
            Clock::Frozen(at) => *at,
        }
    }
}

#[derive(Debug)]
pub(crate) struct DataClock {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    clock: Clock,
    /// Seconds a tick moves a frozen clock.
    tick: i64,
    ticks: i64,
    earliest: i64,
    latest: i64,
}

impl State {
    fn now(&mut self) -> DateTime<Utc> {
        let now = match self.clock {
            Clock::Wall => Utc::now(),
            Clock::Frozen(at) => {
                at + chrono::Duration::seconds(self.ticks.saturating_mul(self.tick))
            }
        };
        self.latest = self.latest.max(now.timestamp());
        now
    }
}

impl DataClock {
    /// A clock showing `clock`, ticked `tick_secs` at a time in live mode.
    pub(crate) fn new(clock: Clock, tick_secs: i64) -> DataClock {
        let start = clock.now().timestamp();
        let state = State {
            clock,
            tick: tick_secs,
            ticks: 0,
            earliest: start,
            latest: start,
        };
        DataClock {
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    /// "Now" in unix seconds.
    pub(crate) fn now_secs(&self) -> i64 {
        self.now().timestamp()
    }

    /// Shows `clock` from now on, exactly (earlier ticks are forgotten).
    pub(crate) fn set(&self, clock: Clock) {
        let mut state = self.lock();
        state.clock = clock;
        state.ticks = 0;
        state.now();
    }

    /// Moves a frozen clock one tick forward; returns the new "now".
    pub(crate) fn tick(&self) -> i64 {
        let mut state = self.lock();
        if matches!(state.clock, Clock::Frozen(_)) {
            state.ticks += 1;
        }
        state.now().timestamp()
    }

    /// The earliest and latest "now" shown so far (the latest is now).
    pub(crate) fn span(&self) -> (i64, i64) {
        let mut state = self.lock();
        state.now();
        (state.earliest, state.latest)
    }
}

#[cfg(test)]
fn at(secs: i64) -> Clock {
    Clock::Frozen(DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

#[test]
fn a_frozen_clock_moves_only_by_ticks_and_settings() {
    let clock = DataClock::new(at(1000), 2);
    assert_eq!((clock.now_secs(), clock.now_secs()), (1000, 1000));
    assert_eq!((clock.tick(), clock.tick()), (1002, 1004));
    assert_eq!(clock.span(), (1000, 1004));
    clock.set(at(5000));
    assert_eq!(clock.now_secs(), 5000, "a setting is exact");
    clock.set(at(10));
    assert_eq!(clock.span(), (1000, 5000), "the span is what was shown");
}

#[test]
fn a_wall_clock_is_never_ticked_ahead() {
    let clock = DataClock::new(Clock::Wall, 3600);
    let ticked = clock.tick();
    assert!((ticked - Utc::now().timestamp()).abs() <= 1, "{ticked}");
}
