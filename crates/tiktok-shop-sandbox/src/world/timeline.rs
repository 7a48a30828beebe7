//! An order's life as a list of dated events: when it was paid, held,
//! shipped, collected, delivered, completed or cancelled, and its status
//! changes in order. What the API serves is this timeline cut at a "now":
//! the status then, `update_time` = the time of the last status change, and
//! every event field present exactly when its event has happened.

use crate::world::status::{Initiator, Status};

#[derive(Debug, Clone)]
pub(crate) struct Cancellation {
    pub time: i64,
    pub by: Initiator,
    pub reason: &'static str,
    /// When the buyer asked (`request_cancel_time`), for buyer requests
    /// made after payment.
    pub requested: Option<i64>,
}

/// One package's events; `None` when it never happens.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PackageTimes {
    pub rts: Option<i64>,
    pub collected: Option<i64>,
    pub delivered: Option<i64>,
}

/// Deadlines set when the order is paid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    pub handling_days: i64,
    pub rts_sla: i64,
    pub collection_due: i64,
    pub delivery_due: i64,
}

/// The planned life of one order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    pub created: i64,
    pub cancel_order_sla: i64,
    pub paid: Option<i64>,
    /// End of ON_HOLD (the order is held in `[paid, hold_until)`).
    pub hold_until: Option<i64>,
    pub release_date: Option<i64>,
    pub deadlines: Option<Deadlines>,
    pub packages: Vec<PackageTimes>,
    pub completed: Option<i64>,
    pub cancel: Option<Cancellation>,
    /// Order status changes, in time order, first is `(created, Unpaid)`.
    pub transitions: Vec<(i64, Status)>,
}

impl Timeline {
    /// The status at `now` and when it began (`update_time`), or `None`
    /// when the order has not been created yet.
    pub(crate) fn state_at(&self, now: i64) -> Option<(Status, i64)> {
        self.transitions
            .iter()
            .rev()
            .find(|(t, _)| *t <= now)
            .map(|(t, s)| (*s, *t))
    }

    /// Whether the order got past UNPAID/ON_HOLD by `now`: from then on the
    /// recipient address is visible.
    pub(crate) fn released_by(&self, now: i64) -> bool {
        self.transitions
            .iter()
            .any(|(t, s)| *t <= now && (Status::AwaitingShipment..=Status::Completed).contains(s))
    }

    /// Every `update_time` the order had at some moment of `[from, to]`,
    /// oldest first: the one it had at `from` (if it existed), then one per
    /// status change (or touch) until `to`.
    pub(crate) fn versions(&self, from: i64, to: i64) -> Vec<i64> {
        let first = self.state_at(from).map(|(_, since)| since);
        let later = self
            .transitions
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t > from && *t <= to);
        first.into_iter().chain(later).collect()
    }
}

#[test]
fn versions_are_the_update_times_seen_over_a_span() {
    let life = Timeline {
        created: 10,
        transitions: vec![
            (10, Status::Unpaid),
            (20, Status::AwaitingShipment),
            (30, Status::Cancelled),
        ],
        ..Timeline::default()
    };
    assert_eq!(life.versions(0, 100), [10, 20, 30]);
    assert_eq!(life.versions(15, 25), [10, 20]);
    assert_eq!(life.versions(20, 20), [20]);
    assert_eq!(life.versions(0, 5), Vec::<i64>::new());
    assert_eq!(life.state_at(25), Some((Status::AwaitingShipment, 20)));
    assert!(!life.released_by(19) && life.released_by(20));
}
