//! The orders a query matches at a "now", sorted as the API sorts them.
//!
//! Untouched orders are found by walking the creation slots that can hold
//! a match: no order changes later than `MAX_LIFETIME` after its creation,
//! so a search for updates in `[a, b)` only needs orders created in
//! `[a − MAX_LIFETIME, b)`. Orders the overlay edited (bursts, live updates)
//! may have been touched long after that, so they are looked at one by one,
//! with their edited timeline, and skipped by the walk.

use crate::world::generator::Generator;
use crate::world::lifecycle::MAX_LIFETIME;
use crate::world::overlay::ShopEdits;
use crate::world::plan::{OrderPlan, Shop};
use crate::world::query::{Query, bounds};
use crate::world::status::Status;
use crate::world::timeline::Timeline;

/// One matching order, as much as paging, counting and oracles need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub seq: u64,
    pub id: u64,
    pub lines: u32,
    pub corrupt: bool,
    pub status: Status,
    pub update_time: i64,
}

/// The `[ge, lt)` ranges a query covers at `now`.
struct Ranges {
    create: (i64, i64),
    update: (i64, i64),
}

/// Every order of `shop` that `query` matches at `now`, sorted by the
/// query's key (then id, so ties always come out in the same order).
pub(crate) fn window(
    generator: &Generator,
    shop: &Shop,
    edits: &ShopEdits,
    query: &Query,
    now: i64,
) -> Vec<Entry> {
    let f = &query.filter;
    let ranges = Ranges {
        create: bounds(f.create_ge, f.create_lt, now),
        update: bounds(f.update_ge, f.update_lt, now),
    };
    let from = ranges
        .create
        .0
        .max(ranges.update.0.saturating_sub(MAX_LIFETIME))
        .max(generator.opened);
    let to = ranges
        .create
        .1
        .min(ranges.update.1)
        .min(now.saturating_add(1));
    let mut found: Vec<(i64, Entry)> = Vec::new();
    if from < to {
        for seq in generator.seqs_created_in(from, to) {
            let created = generator.create_time(shop, seq);
            if created < from || created >= to || edits.contains_key(&seq) {
                continue;
            }
            let plan = generator.plan(shop, seq);
            found.extend(evaluate(query, &ranges, seq, &plan, &plan.timeline, now));
        }
    }
    for (seq, timeline) in edits {
        let created = timeline.created;
        if created < ranges.create.0 || created >= ranges.create.1 {
            continue;
        }
        let plan = generator.plan(shop, *seq);
        found.extend(evaluate(query, &ranges, *seq, &plan, timeline, now));
    }
    found.sort_by_key(|(key, entry)| (*key, entry.id));
    if query.descending {
        found.reverse();
    }
    found.into_iter().map(|(_, entry)| entry).collect()
}

/// The order's sort key and entry if it matches the query at `now`.
fn evaluate(
    query: &Query,
    ranges: &Ranges,
    seq: u64,
    plan: &OrderPlan,
    timeline: &Timeline,
    now: i64,
) -> Option<(i64, Entry)> {
    let f = &query.filter;
    let (status, updated) = timeline.state_at(now)?;
    let requested = timeline
        .cancel
        .as_ref()
        .and_then(|c| c.requested)
        .is_some_and(|t| t <= now);
    let keep = updated >= ranges.update.0
        && updated < ranges.update.1
        && f.status.is_none_or(|s| s == status)
        && f.shipping_type
            .as_deref()
            .is_none_or(|s| s == plan.shipping_type)
        && f.buyer_user_id
            .as_deref()
            .is_none_or(|u| u == plan.buyer.user_id.to_string())
        && f.is_buyer_request_cancel.is_none_or(|b| b == requested);
    let key = if query.by_update_time {
        updated
    } else {
        timeline.created
    };
    keep.then_some((
        key,
        Entry {
            seq,
            id: plan.id,
            lines: plan.lines.len() as u32,
            corrupt: plan.corrupt,
            status,
            update_time: updated,
        },
    ))
}
