//! What a Get Order List search asks for (reference §3): the shop, the
//! body's filters and the sort. Reading them from a request is the HTTP
//! layer's job; finding the orders they match is `window`'s.

use crate::world::rng::{combine, hash_str};
use crate::world::status::Status;

/// The body filters; `ge` bounds are inclusive, `lt` bounds exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Filter {
    pub create_ge: Option<i64>,
    pub create_lt: Option<i64>,
    pub update_ge: Option<i64>,
    pub update_lt: Option<i64>,
    pub status: Option<Status>,
    pub shipping_type: Option<String>,
    pub buyer_user_id: Option<String>,
    pub is_buyer_request_cancel: Option<bool>,
}

/// A search: shop, filters and order of results.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Query {
    pub shop: usize,
    pub filter: Filter,
    pub by_update_time: bool,
    pub descending: bool,
}

/// `[ge, lt)` with the reference's defaults: only `ge` ⇒ `lt` = now; only
/// `lt` ⇒ `ge` = the shop's first order; neither ⇒ unbounded.
pub(crate) fn bounds(ge: Option<i64>, lt: Option<i64>, now: i64) -> (i64, i64) {
    match (ge, lt) {
        (None, None) => (i64::MIN, i64::MAX),
        (Some(ge), None) => (ge, now),
        (ge, Some(lt)) => (ge.unwrap_or(i64::MIN), lt),
    }
}

impl Query {
    /// The ETL's search: orders of shop `shop` updated in `[since, until)`,
    /// oldest update first.
    pub(crate) fn updated_in(shop: usize, since: i64, until: i64) -> Query {
        Query {
            shop,
            filter: Filter {
                update_ge: Some(since),
                update_lt: Some(until),
                ..Filter::default()
            },
            by_update_time: true,
            descending: false,
        }
    }

    /// Identifies the query inside page tokens.
    pub(crate) fn fingerprint(&self) -> u64 {
        let f = &self.filter;
        let opt = |v: Option<i64>| v.map_or(u64::MAX, |x| x as u64);
        let mut h = combine(
            self.shop as u64,
            u64::from(self.by_update_time) << 1 | u64::from(self.descending),
        );
        for v in [f.create_ge, f.create_lt, f.update_ge, f.update_lt] {
            h = combine(h, opt(v));
        }
        h = combine(h, f.status.map_or(99, |s| s as u64));
        h = combine(h, f.shipping_type.as_deref().map_or(1, hash_str));
        h = combine(h, f.buyer_user_id.as_deref().map_or(1, hash_str));
        combine(h, f.is_buyer_request_cancel.map_or(2, u64::from))
    }
}

#[test]
fn bounds_follow_the_reference_defaults() {
    assert_eq!(bounds(Some(5), None, 100), (5, 100));
    assert_eq!(bounds(None, Some(7), 100), (i64::MIN, 7));
    assert_eq!(bounds(None, None, 100), (i64::MIN, i64::MAX));
}

#[test]
fn fingerprints_tell_queries_apart() {
    let a = Query::updated_in(0, 10, 20);
    assert_eq!(a.fingerprint(), Query::updated_in(0, 10, 20).fingerprint());
    assert_ne!(a.fingerprint(), Query::updated_in(1, 10, 20).fingerprint());
    assert_ne!(a.fingerprint(), Query::updated_in(0, 10, 21).fingerprint());
    let descending = Query {
        descending: true,
        ..a.clone()
    };
    assert_ne!(a.fingerprint(), descending.fingerprint());
}
