//! Get Order List semantics (reference §3): the body's filters, the sort,
//! and the window of matching orders at a snapshot time.
//!
//! A window is computed once per (query, snapshot second) by walking the
//! creation slots that can hold a match, and cached, so paging through ten
//! thousand orders regenerates nothing but the hundred orders of each page.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::generator::{Generator, Shop};
use super::lifecycle::MAX_LIFETIME;
use super::rng::{combine, hash_str};
use super::status::Status;

const CACHED_WINDOWS: usize = 32;

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

/// One matching order, as much as paging and counting need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub seq: u64,
    pub id: u64,
    pub lines: u32,
    pub corrupt: bool,
}

impl Filter {
    /// Parses the raw JSON body (empty means no filters).
    pub(crate) fn parse(body: &[u8]) -> Result<Filter, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Filter::default());
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| format!("Invalid request body: it is not valid JSON ({e})"))?;
        let Value::Object(map) = value else {
            return Err("Invalid request body: expected a JSON object".into());
        };
        let time = |key: &str| match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("Invalid param: {key} must be an integer (unix seconds)")),
        };
        let text = |key: &str| match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("Invalid param: {key} must be a string")),
        };
        let status = match text("order_status")? {
            None => None,
            Some(s) => Some(
                Status::parse(&s)
                    .ok_or_else(|| format!("Invalid param: order_status {s:?} is not a status"))?,
            ),
        };
        let shipping_type = text("shipping_type")?;
        if shipping_type
            .as_deref()
            .is_some_and(|s| s != "TIKTOK" && s != "SELLER")
        {
            return Err("Invalid param: shipping_type must be TIKTOK or SELLER".into());
        }
        let is_buyer_request_cancel = match map.get("is_buyer_request_cancel") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err("Invalid param: is_buyer_request_cancel must be a boolean".into());
            }
        };
        Ok(Filter {
            create_ge: time("create_time_ge")?,
            create_lt: time("create_time_lt")?,
            update_ge: time("update_time_ge")?,
            update_lt: time("update_time_lt")?,
            status,
            shipping_type,
            buyer_user_id: text("buyer_user_id")?,
            is_buyer_request_cancel,
        })
    }
}

/// `[ge, lt)` with the reference's defaults: only `ge` ⇒ `lt` = now; only
/// `lt` ⇒ `ge` = the shop's first order; neither ⇒ unbounded.
fn bounds(ge: Option<i64>, lt: Option<i64>, now: i64) -> (i64, i64) {
    match (ge, lt) {
        (None, None) => (i64::MIN, i64::MAX),
        (Some(ge), None) => (ge, now),
        (ge, Some(lt)) => (ge.unwrap_or(i64::MIN), lt),
    }
}

impl Query {
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

    /// Every matching order at `now`, sorted.
    pub(crate) fn window(&self, generator: &Generator, shop: &Shop, now: i64) -> Vec<Entry> {
        let f = &self.filter;
        let (update_ge, update_lt) = bounds(f.update_ge, f.update_lt, now);
        let (create_ge, create_lt) = bounds(f.create_ge, f.create_lt, now);
        let from = create_ge
            .max(update_ge.saturating_sub(MAX_LIFETIME))
            .max(generator.opened);
        let to = create_lt.min(update_lt).min(now.saturating_add(1));
        let mut found: Vec<(i64, Entry)> = Vec::new();
        if from >= to {
            return Vec::new();
        }
        for seq in generator.seqs_created_in(from, to) {
            let created = generator.create_time(shop, seq);
            if created < from || created >= to {
                continue;
            }
            let plan = generator.plan(shop, seq);
            let Some((status, updated)) = plan.timeline.state_at(now) else {
                continue;
            };
            let requested = plan
                .timeline
                .cancel
                .as_ref()
                .and_then(|c| c.requested)
                .is_some_and(|t| t <= now);
            let keep = updated >= update_ge
                && updated < update_lt
                && f.status.is_none_or(|s| s == status)
                && f.shipping_type
                    .as_deref()
                    .is_none_or(|s| s == plan.shipping_type)
                && f.buyer_user_id
                    .as_deref()
                    .is_none_or(|u| u == plan.buyer.user_id.to_string())
                && f.is_buyer_request_cancel.is_none_or(|b| b == requested);
            if keep {
                let key = if self.by_update_time {
                    updated
                } else {
                    created
                };
                let entry = Entry {
                    seq,
                    id: plan.id,
                    lines: plan.lines.len() as u32,
                    corrupt: plan.corrupt,
                };
                found.push((key, entry));
            }
        }
        found.sort_by_key(|(key, entry)| (*key, entry.id));
        if self.descending {
            found.reverse();
        }
        found.into_iter().map(|(_, entry)| entry).collect()
    }
}

/// A computed window, keyed by its query and snapshot second.
type Cached = ((Query, i64), Arc<Vec<Entry>>);

/// Recently computed windows, oldest first.
#[derive(Debug, Default)]
pub(crate) struct WindowCache {
    windows: Mutex<VecDeque<Cached>>,
}

impl WindowCache {
    pub(crate) fn get_or_compute(
        &self,
        query: &Query,
        now: i64,
        compute: impl FnOnce() -> Vec<Entry>,
    ) -> Arc<Vec<Entry>> {
        let key = (query.clone(), now);
        if let Some((_, window)) = self.lock().iter().find(|(k, _)| *k == key) {
            return Arc::clone(window);
        }
        let window = Arc::new(compute());
        let mut windows = self.lock();
        if windows.len() >= CACHED_WINDOWS {
            windows.pop_front();
        }
        windows.push_back((key, Arc::clone(&window)));
        window
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Cached>> {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_reject_bad_types() {
        let f =
            Filter::parse(br#"{"update_time_ge":1,"update_time_lt":2,"order_status":"COMPLETED"}"#)
                .unwrap();
        assert_eq!(
            (f.update_ge, f.update_lt, f.status),
            (Some(1), Some(2), Some(Status::Completed))
        );
        assert_eq!(Filter::parse(b"").unwrap(), Filter::default());
        assert!(
            Filter::parse(br#"{"update_time_ge":"1"}"#)
                .unwrap_err()
                .contains("update_time_ge")
        );
        assert!(Filter::parse(br#"{"order_status":"SHIPPED"}"#).is_err());
        assert!(Filter::parse(b"[1]").is_err());
        assert!(Filter::parse(b"{").is_err());
    }

    #[test]
    fn bounds_follow_the_reference_defaults() {
        assert_eq!(bounds(Some(5), None, 100), (5, 100));
        assert_eq!(bounds(None, Some(7), 100), (i64::MIN, 7));
        assert_eq!(bounds(None, None, 100), (i64::MIN, i64::MAX));
    }
}
