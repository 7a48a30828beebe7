//! What an `update_time` window of a shop held over the sandbox's life, for
//! tests that judge an extractor: which orders were in it at any moment of
//! a span of data time, and with which `update_time`s. Every timeline
//! (edited or not) tells its order's whole history, so the answer comes
//! from the timelines alone, without recording what was served.

use std::collections::BTreeSet;

use crate::world::lifecycle::MAX_LIFETIME;
use crate::world::orders::Orders;
use crate::world::plan::Shop;
use crate::world::timeline::Timeline;

/// One order's passage through a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Passage {
    pub id: u64,
    /// The `update_time`s it had while in the window, oldest first.
    pub in_window: Vec<i64>,
    /// Whether it had more than one `update_time` over the span (inside
    /// the window or not): false means a client could only ever see it as
    /// it is now.
    pub changed: bool,
    /// Its `update_time` at the end of the span, if that is in the window
    /// (`None`: it has left the window).
    pub current: Option<i64>,
}

/// Every order of `shop` whose `update_time` was in `[since, until)` at
/// some moment of the data-time span `[from, to]`, in order of id.
pub(crate) fn passages(
    orders: &Orders,
    shop: &Shop,
    (since, until): (i64, i64),
    (from, to): (i64, i64),
) -> Vec<Passage> {
    let generator = orders.generator;
    let edited = orders.edited(shop);
    let edited_seqs: BTreeSet<u64> = edited.iter().map(|(seq, _)| *seq).collect();
    let mut found = Vec::new();
    // An untouched order's update times lie within MAX_LIFETIME of its
    // creation; edited ones are looked at separately.
    let first = since.saturating_sub(MAX_LIFETIME).max(generator.opened);
    let last = until.min(to.saturating_add(1));
    for seq in generator.seqs_created_in(first, last) {
        let created = generator.create_time(shop, seq);
        if created < first || created >= last || edited_seqs.contains(&seq) {
            continue;
        }
        let plan = generator.plan(shop, seq);
        found.extend(passage(plan.id, &plan.timeline, (since, until), (from, to)));
    }
    for (seq, timeline) in &edited {
        let id = generator.plan(shop, *seq).id;
        found.extend(passage(id, timeline, (since, until), (from, to)));
    }
    found.sort_by_key(|p| p.id);
    found
}

fn passage(
    id: u64,
    timeline: &Timeline,
    (since, until): (i64, i64),
    span: (i64, i64),
) -> Option<Passage> {
    let versions = timeline.versions(span.0, span.1);
    let in_window: Vec<i64> = versions
        .iter()
        .copied()
        .filter(|t| *t >= since && *t < until)
        .collect();
    let changed = versions.len() > 1;
    let current = versions
        .last()
        .copied()
        .filter(|t| *t >= since && *t < until);
    (!in_window.is_empty()).then_some(Passage {
        id,
        in_window,
        changed,
        current,
    })
}

#[cfg(test)]
use crate::world::{generator::Generator, query::Query};

#[test]
fn a_frozen_span_holds_exactly_the_current_window() {
    let now = 1_795_586_400;
    let generator = Generator {
        seed: 9,
        orders_per_day: 300,
        corrupt_every: None,
        opened: now - 60 * 86_400,
    };
    let orders = Orders::new(generator, &["GCP_A".to_owned()]);
    let shop = orders.shops[0].clone();
    let window = (now - 2 * 86_400, now - 86_400);
    let current = orders.window(&Query::updated_in(0, window.0, window.1), &shop, now);
    let held = passages(&orders, &shop, window, (now, now));
    let mut ids: Vec<u64> = current.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    assert_eq!(held.iter().map(|p| p.id).collect::<Vec<_>>(), ids);
    assert!(held.iter().all(|p| !p.changed && p.in_window.len() == 1));
    assert!(held.iter().all(|p| p.current == Some(p.in_window[0])));
}

#[test]
fn over_a_span_an_order_counts_with_every_version_in_the_window() {
    let now = 1_795_586_400;
    let generator = Generator {
        seed: 9,
        orders_per_day: 300,
        corrupt_every: None,
        opened: now - 60 * 86_400,
    };
    let orders = Orders::new(generator, &["GCP_A".to_owned()]);
    let shop = orders.shops[0].clone();
    let window = (now - 86_400, now + 86_400);
    let current = orders.window(&Query::updated_in(0, window.0, window.1), &shop, now);
    let victim = current[0];
    assert!(orders.edit(&shop, victim.seq, |t| t.touch(now + 60)));
    let held = passages(&orders, &shop, window, (now, now + 120));
    let passage = held.iter().find(|p| p.id == victim.id);
    let expected = vec![victim.update_time, now + 60];
    assert_eq!(
        passage.map(|p| (&p.in_window, p.changed)),
        Some((&expected, true))
    );
    assert!(held.len() >= current.len());
    let gone = passages(&orders, &shop, (window.0, now + 30), (now, now + 120));
    let left = gone.iter().find(|p| p.id == victim.id).map(|p| p.current);
    assert_eq!(left, Some(None), "touched after the window's end: it left");
}
