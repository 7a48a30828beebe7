//! What the sandbox holds, for tests to judge a run against: how many
//! orders and line items a window holds now, which orders it holds now,
//! and which orders it held at any moment since the sandbox started. The
//! answers come from the order world itself, not from what was served, so
//! they hold whatever the client did.

use chrono::{DateTime, Utc};

use crate::sandbox::Sandbox;
use crate::world::history::passages;
use crate::world::query::Query;
use crate::world::window::Entry;

/// What the generator holds for a shop and an `update_time` window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    pub orders: u64,
    pub line_items: u64,
    /// Orders whose `total_amount` is malformed on purpose.
    pub corrupt_orders: u64,
}

/// An order as a search of the window returns it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderVersion {
    pub order_id: String,
    pub update_time: i64,
    /// E.g. `AWAITING_SHIPMENT`.
    pub status: String,
}

/// One order's passage through a window since the sandbox started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowHistory {
    pub order_id: String,
    /// Every `update_time` the order had while it was in the window, oldest
    /// first (never empty). A lossless extraction holds one of these.
    pub update_times: Vec<i64>,
    /// Whether the order had more than one `update_time` since the sandbox
    /// started, inside the window or not. An order that never changed has
    /// exactly one, and every lossless extraction returns it with it.
    pub changed: bool,
    /// Its `update_time` now, if that is in the window; `None` when it has
    /// left the window (updated past its end): a client that reached it
    /// only afterwards cannot have seen it, a lossless one that reached it
    /// before holds one of `update_times`.
    pub current: Option<i64>,
}

impl Sandbox {
    /// What a search of `shop` for `update_time` in `[since, until)` returns
    /// at the sandbox clock's "now" (zero for an unknown shop).
    pub fn expected(&self, shop: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> Expected {
        let entries = self.window_now(shop, since, until);
        Expected {
            orders: entries.len() as u64,
            line_items: entries.iter().map(|e| u64::from(e.lines)).sum(),
            corrupt_orders: entries.iter().filter(|e| e.corrupt).count() as u64,
        }
    }

    /// Line items of the orders of `shop` updated in `[since, until)`.
    pub fn expected_line_items(
        &self,
        shop: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> u64 {
        self.expected(shop, since, until).line_items
    }

    /// The orders of `shop` whose `update_time` is in `[since, until)` at
    /// the sandbox clock's "now", with that `update_time` and their status,
    /// in the order a search sorted by `update_time` ascending returns them
    /// (ties by id). Empty for an unknown shop. Asking does not move the
    /// clock or update orders.
    pub fn orders_in_window(
        &self,
        shop: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<OrderVersion> {
        self.window_now(shop, since, until)
            .into_iter()
            .map(|e| OrderVersion {
                order_id: e.id.to_string(),
                update_time: e.update_time,
                status: e.status.as_str().to_owned(),
            })
            .collect()
    }

    /// Every order of `shop` whose `update_time` was in `[since, until)` at
    /// any moment of the data clock between the sandbox's start and its
    /// "now", with every `update_time` it had while in the window, ordered
    /// by order id. With a frozen clock and no live paging this is
    /// [`Sandbox::orders_in_window`], one version each. It assumes the data
    /// clock never went back (by [`Sandbox::set_clock`]) over edited orders.
    pub fn orders_ever_in_window(
        &self,
        shop: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<WindowHistory> {
        let shared = &self.shared;
        let Some(shop) = shared.orders.shop(shop) else {
            return Vec::new();
        };
        let window = (since.timestamp(), until.timestamp());
        passages(&shared.orders, shop, window, shared.clock.span())
            .into_iter()
            .map(|p| WindowHistory {
                order_id: p.id.to_string(),
                update_times: p.in_window,
                changed: p.changed,
                current: p.current,
            })
            .collect()
    }

    fn window_now(&self, shop: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Entry> {
        let shared = &self.shared;
        let Some(shop) = shared.orders.shop(shop) else {
            return Vec::new();
        };
        let query = Query::updated_in(shop.index, since.timestamp(), until.timestamp());
        shared.orders.window(&query, shop, shared.clock.now_secs())
    }
}
