//! Changing an order's life after it was planned, the ways the live API
//! changes orders under a client's feet. Each edit happens at a time `at`
//! and leaves everything before `at` as it was, so the edited timeline
//! still tells the order's whole history (the oracles rely on that):
//!
//! * `touch`: the order is updated at `at` without a status change (a
//!   seller note, an address fix): a new `update_time`, same status;
//! * `advance`: the order's next planned status change happens at `at`,
//!   and the rest of its life moves earlier by as much;
//! * `freeze`: the order is updated at `at` and nothing happens to it
//!   afterwards (a bulk data refresh touching many old orders at once).

use crate::world::timeline::Timeline;

impl Timeline {
    /// A new `update_time` at `at`, same status. False if the order does
    /// not exist yet or already changed at `at`.
    pub(crate) fn touch(&mut self, at: i64) -> bool {
        let Some((status, since)) = self.state_at(at) else {
            return false;
        };
        if since >= at {
            return false;
        }
        let position = self.transitions.partition_point(|(t, _)| *t <= at);
        self.transitions.insert(position, (at, status));
        true
    }

    /// The next planned status change happens at `at`; every later event
    /// moves earlier by the same amount (events due before that change
    /// happen at `at`). False if the order has no change left to make.
    pub(crate) fn advance(&mut self, at: i64) -> bool {
        let Some((_, since)) = self.state_at(at) else {
            return false;
        };
        let Some(next) = self.transitions.iter().map(|(t, _)| *t).find(|t| *t > at) else {
            return false;
        };
        if since >= at {
            return false;
        }
        let by = next - at;
        self.retime(|t| if t > at { (t - by).max(at) } else { t });
        true
    }

    /// The order is updated at `at` and stays as it was then: later events
    /// never happen. False if the order does not exist at `at`.
    pub(crate) fn freeze(&mut self, at: i64) -> bool {
        let Some((status, since)) = self.state_at(at) else {
            return false;
        };
        let past = |t: Option<i64>| t.filter(|t| *t <= at);
        self.transitions.retain(|(t, _)| *t <= at);
        self.paid = past(self.paid);
        if self.paid.is_none() {
            self.hold_until = None;
            self.deadlines = None;
        }
        for package in &mut self.packages {
            package.rts = past(package.rts);
            package.collected = past(package.collected);
            package.delivered = past(package.delivered);
        }
        self.completed = past(self.completed);
        self.cancel = self.cancel.take().filter(|c| c.time <= at);
        if since < at {
            self.transitions.push((at, status));
        }
        true
    }

    /// Maps every event and deadline time through `f` (which keeps order).
    fn retime(&mut self, f: impl Fn(i64) -> i64) {
        let opt = |t: &mut Option<i64>| *t = t.map(&f);
        self.cancel_order_sla = f(self.cancel_order_sla);
        opt(&mut self.paid);
        opt(&mut self.hold_until);
        opt(&mut self.release_date);
        opt(&mut self.completed);
        if let Some(d) = &mut self.deadlines {
            d.rts_sla = f(d.rts_sla);
            d.collection_due = f(d.collection_due);
            d.delivery_due = f(d.delivery_due);
        }
        for package in &mut self.packages {
            opt(&mut package.rts);
            opt(&mut package.collected);
            opt(&mut package.delivered);
        }
        if let Some(cancel) = &mut self.cancel {
            cancel.time = f(cancel.time);
            opt(&mut cancel.requested);
        }
        for (t, _) in &mut self.transitions {
            *t = f(*t);
        }
    }
}

#[cfg(test)]
use crate::world::{lifecycle::Shape, rng::Rng, status::Status};

/// Planned lives of every shape, created at 1_700_000_000.
#[cfg(test)]
fn lives() -> impl Iterator<Item = Timeline> {
    (0..3000u64).map(|i| {
        let shape = Shape {
            on_hold_per_mille: 300,
            pre_order: i % 40 == 0,
            packages: 1 + (i % 3 == 0) as usize,
        };
        Timeline::plan(&mut Rng::new(i), 1_700_000_000, shape)
    })
}

#[test]
fn a_touch_moves_update_time_not_status_nor_the_past() {
    for life in lives() {
        let at = life.created + 3 * 3600;
        let mut touched = life.clone();
        assert!(touched.touch(at) || life.state_at(at).is_some_and(|s| s.1 == at));
        let before = life.state_at(at).map(|s| s.0);
        assert_eq!(touched.state_at(at).map(|s| s.0), before);
        assert_eq!(touched.state_at(at - 1), life.state_at(at - 1));
        assert!(!touched.touch(at), "one change per second");
    }
}

#[test]
fn advancing_brings_the_next_status_now_and_keeps_the_life_in_order() {
    let mut advanced = 0;
    for life in lives() {
        let at = life.created + 3600;
        let mut edited = life.clone();
        let next = life.transitions.iter().find(|(t, _)| *t > at).map(|x| x.1);
        assert_eq!(
            edited.advance(at),
            next.is_some() && life.state_at(at).is_some()
        );
        if edited.advance(at) {
            panic!("a second advance at the same time must not apply: {edited:?}");
        }
        let Some(next) = next else { continue };
        advanced += 1;
        assert_eq!(edited.state_at(at), Some((next, at)), "{life:?}");
        assert_eq!(edited.state_at(at - 1), life.state_at(at - 1));
        assert!(
            edited.transitions.windows(2).all(|w| w[0].0 < w[1].0),
            "{edited:?}"
        );
        for p in &edited.packages {
            let times = [p.rts, p.collected, p.delivered];
            assert!(times.iter().flatten().is_sorted(), "{edited:?}");
        }
    }
    assert!(advanced > 2000, "{advanced}");
}

#[test]
fn a_frozen_order_keeps_its_status_and_shows_no_later_event() {
    for life in lives() {
        let at = life.created + 2 * 86_400;
        let mut frozen = life.clone();
        assert!(frozen.freeze(at));
        let status = life.state_at(at).map(|s| s.0);
        let far = at + 100 * 86_400;
        assert_eq!(frozen.state_at(far), status.map(|s| (s, at)));
        assert!(
            frozen
                .packages
                .iter()
                .all(|p| p.rts.is_none_or(|t| t <= at))
        );
        assert_eq!(frozen.cancel.is_some(), status == Some(Status::Cancelled));
        assert_eq!(
            frozen.completed.is_some(),
            status == Some(Status::Completed)
        );
    }
    assert!(!Timeline::default().freeze(-1), "not created yet");
}
