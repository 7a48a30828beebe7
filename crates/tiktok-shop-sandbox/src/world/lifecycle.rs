//! The order lifecycle (API reference §7): how each order's life is
//! planned, once and deterministically, when it is generated: whether and
//! when it is paid, held, shipped, collected, delivered, completed or
//! cancelled. The same order then moves through its statuses as the clock
//! moves (see `timeline`).

use crate::world::rng::Rng;
use crate::world::status::{Initiator, Status};
use crate::world::timeline::{Cancellation, Deadlines, PackageTimes, Timeline};

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// No order changes status later than this after it was created; a search
/// for orders updated in `[a, b)` only needs orders created in `[a − this, b)`.
pub(crate) const MAX_LIFETIME: i64 = 40 * DAY;

/// `cancel_reason`s, as the API words them.
const NOT_PAID: &str = "Buyer did not pay on time";
const NOT_NEEDED: &str = "No longer needed";
const NEW_ADDRESS: &str = "Need to change delivery address";
const BETTER_PRICE: &str = "Better price available";
const OUT_OF_STOCK: &str = "Out of stock";
const NOT_SHIPPED: &str = "Package wasn't shipped on time";
const NOT_DELIVERED: &str = "Package delivery failed";

/// What shapes an order's lifecycle, decided by the generator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub on_hold_per_mille: u32,
    pub pre_order: bool,
    pub packages: usize,
}

impl Timeline {
    /// Plans the life of an order created at `created`.
    pub(crate) fn plan(rng: &mut Rng, created: i64, shape: Shape) -> Timeline {
        let mut timeline = Timeline {
            created,
            cancel_order_sla: created + DAY,
            packages: vec![PackageTimes::default(); shape.packages.max(1)],
            transitions: vec![(created, Status::Unpaid)],
            ..Timeline::default()
        };
        let roll = rng.below(1000);
        if roll < 40 {
            let deadline = timeline.cancel_order_sla;
            timeline.cancel_at(deadline, Initiator::System, NOT_PAID, None);
            return timeline;
        }
        if roll < 60 {
            let when = created + rng.range(2 * MINUTE, 2 * HOUR);
            timeline.cancel_at(when, Initiator::Buyer, NOT_NEEDED, None);
            return timeline;
        }
        let paid = created
            + if rng.chance(900) {
                rng.range(10, 30 * MINUTE)
            } else {
                rng.range(30 * MINUTE, 6 * HOUR)
            };
        timeline.paid = Some(paid);
        let mut ship_from = paid;
        if shape.pre_order {
            let release = paid + rng.range(5 * DAY, 12 * DAY);
            timeline.release_date = Some(release);
            ship_from = release - DAY;
        } else if rng.chance(shape.on_hold_per_mille) {
            ship_from = paid + HOUR;
        }
        if ship_from > paid {
            timeline.hold_until = Some(ship_from);
            timeline.transitions.push((paid, Status::OnHold));
            if rng.chance(80) {
                let when = paid + rng.range(MINUTE, ship_from - paid - 1);
                timeline.cancel_at(when, Initiator::Buyer, NEW_ADDRESS, None);
                return timeline;
            }
        }
        timeline
            .transitions
            .push((ship_from, Status::AwaitingShipment));
        timeline.ship(rng, ship_from);
        timeline
    }

    /// Everything from AWAITING_SHIPMENT on.
    fn ship(&mut self, rng: &mut Rng, ship_from: i64) {
        let handling_days = rng.range(2, 3);
        let rts_sla = ship_from + handling_days * DAY;
        let deadlines = Deadlines {
            handling_days,
            rts_sla,
            collection_due: rts_sla + 3 * DAY,
            delivery_due: rts_sla + 13 * DAY,
        };
        self.deadlines = Some(deadlines);
        let roll = rng.below(1000);
        if roll < 25 {
            let requested = ship_from + rng.range(HOUR, 20 * HOUR);
            let when = requested + rng.range(10 * MINUTE, 6 * HOUR);
            return self.cancel_at(when, Initiator::Buyer, BETTER_PRICE, Some(requested));
        }
        if roll < 35 {
            let when = ship_from + rng.range(HOUR, 30 * HOUR);
            return self.cancel_at(when, Initiator::Seller, OUT_OF_STOCK, None);
        }
        if roll < 40 {
            return self.cancel_at(rts_sla, Initiator::System, NOT_SHIPPED, None);
        }
        let lost = roll < 43;
        let mut rts = ship_from + rng.range(HOUR, 36 * HOUR);
        let packages = self.packages.len();
        for (i, package) in self.packages.iter_mut().enumerate() {
            if i > 0 {
                rts += rng.range(HOUR, 10 * HOUR);
            }
            package.rts = Some(rts);
        }
        if packages > 1 {
            let first = self.packages[0].rts.unwrap_or(rts);
            self.transitions.push((first, Status::PartiallyShipping));
        }
        self.transitions.push((rts, Status::AwaitingCollection));
        let pickup = rts + rng.range(2 * HOUR, 30 * HOUR);
        let (mut in_transit, mut last_delivery) = (pickup, pickup);
        for (i, package) in self.packages.iter_mut().enumerate() {
            in_transit = pickup + i as i64 * rng.range(0, 2 * HOUR);
            package.collected = Some(in_transit);
            if !lost {
                last_delivery = last_delivery.max(pickup + rng.range(DAY, 7 * DAY));
                package.delivered = Some(last_delivery);
            }
        }
        self.transitions.push((in_transit, Status::InTransit));
        if lost {
            return self.cancel_at(
                deadlines.delivery_due,
                Initiator::System,
                NOT_DELIVERED,
                None,
            );
        }
        self.transitions.push((last_delivery, Status::Delivered));
        let completed = last_delivery + rng.range(5 * DAY, 10 * DAY);
        self.completed = Some(completed);
        self.transitions.push((completed, Status::Completed));
    }

    fn cancel_at(
        &mut self,
        time: i64,
        by: Initiator,
        reason: &'static str,
        requested: Option<i64>,
    ) {
        self.transitions.push((time, Status::Cancelled));
        self.cancel = Some(Cancellation {
            time,
            by,
            reason,
            requested,
        });
    }
}

#[cfg(test)]
fn plans() -> impl Iterator<Item = Timeline> {
    (0..20_000u64).map(|i| {
        let shape = Shape {
            on_hold_per_mille: 300,
            pre_order: i % 50 == 0,
            packages: 1 + (i % 3 == 0) as usize,
        };
        Timeline::plan(&mut Rng::new(i), 1_700_000_000, shape)
    })
}

#[test]
fn transitions_move_forward_and_end_within_the_lifetime() {
    for t in plans() {
        assert!(
            t.transitions
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
            "{t:?}"
        );
        assert!(
            t.transitions.last().map_or(0, |x| x.0) - t.created <= MAX_LIFETIME,
            "{t:?}"
        );
        let last = t.transitions.last().map(|x| x.1);
        assert_eq!(t.cancel.is_some(), last == Some(Status::Cancelled));
        assert_eq!(t.completed.is_some(), last == Some(Status::Completed));
    }
}

#[test]
fn times_follow_the_status() {
    for t in plans() {
        let Some(deadlines) = t.deadlines else {
            continue;
        };
        for p in &t.packages {
            if let (Some(rts), Some(collected)) = (p.rts, p.collected) {
                assert!(
                    rts < collected
                        && rts < deadlines.rts_sla
                        && collected < deadlines.collection_due
                );
            }
            if let (Some(collected), Some(delivered)) = (p.collected, p.delivered) {
                assert!(collected < delivered && delivered < deadlines.delivery_due);
            }
        }
        assert_eq!(t.state_at(t.created - 1), None);
        assert_eq!(t.state_at(t.created), Some((Status::Unpaid, t.created)));
        if let Some(paid) = t.paid {
            assert!(!t.released_by(paid - 1));
        }
    }
}

#[test]
fn every_status_occurs() {
    let mut seen = std::collections::HashSet::new();
    for t in plans() {
        seen.extend(t.transitions.iter().map(|x| x.1));
    }
    assert_eq!(seen.len(), Status::ALL.len(), "{seen:?}");
}
