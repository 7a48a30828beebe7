//! POST /order/202309/orders/search, after the gateway checks passed: the
//! result of the query, cut into the page the token points at.
//!
//! By default a query's pages are cut from one snapshot, the result at the
//! time of its first page, so paging never misses or repeats an order. In
//! live paging (like the real API) every page is cut from the live result
//! at that request's "now", after the live updates of that request, and the
//! token is only a position in it. Either way `total_count` is the size of
//! the result the page was cut from, and a result cap stops serving past
//! the cap without changing `total_count`.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::http::paging::Cursor;
use crate::http::request::ApiRequest;
use crate::http::response::Reply;
use crate::http::search_request::SearchRequest;
use crate::http::shared::Shared;
use crate::http::stats::{add, bump};
use crate::render::json::{Obj, array};
use crate::render::order::render;
use crate::world::plan::Shop;
use crate::world::query::{Filter, Query, bounds};
use crate::world::window::Entry;

pub(crate) fn search(shared: &Shared, request: &ApiRequest, shop: Option<&Shop>) -> Reply {
    let Some(shop) = shop else {
        return Reply::error(StatusCode::BAD_REQUEST, 106_013, "shop_cipher required");
    };
    let search = match SearchRequest::parse(request, shop.index) {
        Ok(search) => search,
        Err(error) => return Reply::rejecting(&error),
    };
    let fingerprint = search.query.fingerprint();
    let cursor = match search.page_token {
        None => None,
        Some(token) => match shared.page_tokens.decode(token) {
            Some(cursor) if cursor.fingerprint == fingerprint => Some(cursor),
            _ => {
                return Reply::invalid(
                    "Invalid param: page_token is invalid or belongs to another query.",
                );
            }
        },
    };
    let (now, result) = result(shared, shop, &search.query, cursor);
    let cursor = cursor.unwrap_or(Cursor {
        now,
        offset: 0,
        fingerprint,
    });
    page(shared, shop, &result, cursor, search.page_size, now)
}

/// The "now" the page is cut at and the result it is cut from.
fn result(
    shared: &Shared,
    shop: &Shop,
    query: &Query,
    cursor: Option<Cursor>,
) -> (i64, Arc<Vec<Entry>>) {
    let orders = &shared.orders;
    if let Some(churn) = &shared.churn {
        let step = churn.step(orders, &shared.clock, shop, query);
        add(&shared.stats.live_updates, u64::from(step.updated));
        return (step.now, Arc::new(orders.window(query, shop, step.now)));
    }
    let now = cursor.map_or_else(|| shared.clock.now_secs(), |c| c.now);
    let version = orders.version();
    let f = &query.filter;
    let only_update_range = query.by_update_time
        && f == &Filter {
            update_ge: f.update_ge,
            update_lt: f.update_lt,
            ..Filter::default()
        };
    if only_update_range {
        let range = bounds(f.update_ge, f.update_lt, now);
        let all = Query::updated_in(shop.index, i64::MIN, i64::MAX);
        let window = shared.windows.updated_in(query, range, now, version, || {
            orders.window(&all, shop, now)
        });
        return (now, window);
    }
    let window = shared
        .windows
        .get_or_compute(query, now, version, || orders.window(query, shop, now));
    (now, window)
}

/// The page at `cursor` of `result`, rendered at `now`.
fn page(
    shared: &Shared,
    shop: &Shop,
    result: &[Entry],
    cursor: Cursor,
    size: u32,
    now: i64,
) -> Reply {
    let servable = shared
        .config
        .result_cap
        .map_or(result.len(), |cap| result.len().min(cap as usize));
    let start = (cursor.offset as usize).min(servable);
    let end = (start + size as usize).min(servable);
    if end < result.len() && end == servable {
        bump(&shared.stats.capped_pages);
    }
    let mut orders = Vec::with_capacity(end - start);
    for entry in &result[start..end] {
        let plan = shared.orders.plan(shop, entry.seq);
        if let Some(order) = render(&plan, shop, now) {
            shared
                .stats
                .served(plan.id, entry.update_time, plan.lines.iter().map(|l| l.id));
            orders.push(order);
        }
    }
    let next_page_token = if end < servable {
        shared.page_tokens.encode(Cursor {
            offset: end as u32,
            ..cursor
        })
    } else {
        String::new()
    };
    bump(&shared.stats.pages_served);
    let mut data = Obj::new();
    data.raw("orders", &array(orders));
    data.str("next_page_token", &next_page_token);
    data.int("total_count", result.len() as i64);
    Reply::ok_text(data.finish())
}
