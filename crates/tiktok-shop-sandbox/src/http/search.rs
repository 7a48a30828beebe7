//! The three endpoints the ETL uses, after the gateway checks passed:
//! Get Order List (paged search), Get Authorized Shops, and token refresh.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::ApiRequest;
use super::generator::Shop;
use super::json::{Obj, array};
use super::markets::home_region;
use super::paging::Cursor;
use super::render::{named_id, render};
use super::response::Reply;
use super::rng::{Rng, hash_str};
use super::search::{Filter, Query};
use super::server::Shared;
use super::stats::bump;

/// POST /order/202309/orders/search.
pub(crate) fn search(shared: &Shared, request: &ApiRequest, shop: Option<&Shop>) -> Reply {
    let Some(shop) = shop else {
        return Reply::error(StatusCode::BAD_REQUEST, 106_013, "shop_cipher required");
    };
    let page_size = match request.param("page_size").map(str::parse::<u32>) {
        Some(Ok(size @ 1..=100)) => size,
        _ => {
            return Reply::invalid(
                "Invalid param: page_size is required and must be an integer from 1 to 100.",
            );
        }
    };
    let by_update_time = match request.param("sort_field") {
        None | Some("create_time") => false,
        Some("update_time") => true,
        Some(_) => {
            return Reply::invalid("Invalid param: sort_field must be create_time or update_time.");
        }
    };
    let descending = match request.param("sort_order") {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(_) => return Reply::invalid("Invalid param: sort_order must be ASC or DESC."),
    };
    let filter = match Filter::parse(&request.body) {
        Ok(filter) => filter,
        Err(message) => return Reply::invalid(message),
    };
    let query = Query {
        shop: shop.index,
        filter,
        by_update_time,
        descending,
    };
    let fingerprint = query.fingerprint();
    let cursor = match request.param("page_token").filter(|t| !t.is_empty()) {
        None => Cursor {
            now: shared.data_now(),
            offset: 0,
            fingerprint,
        },
        Some(token) => match shared.page_tokens.decode(token) {
            Some(cursor) if cursor.fingerprint == fingerprint => cursor,
            _ => {
                return Reply::invalid(
                    "Invalid param: page_token is invalid or belongs to another query.",
                );
            }
        },
    };
    let window = shared.windows.get_or_compute(&query, cursor.now, || {
        query.window(&shared.generator, shop, cursor.now)
    });
    let start = (cursor.offset as usize).min(window.len());
    let end = (start + page_size as usize).min(window.len());
    let mut orders = Vec::with_capacity(end - start);
    for entry in &window[start..end] {
        let plan = shared.generator.plan(shop, entry.seq);
        if let Some(order) = render(&plan, shop, cursor.now) {
            shared
                .stats
                .served(plan.id, plan.lines.iter().map(|l| l.id));
            orders.push(order);
        }
    }
    let next_page_token = if end < window.len() {
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
    data.int("total_count", window.len() as i64);
    Reply::ok_text(data.finish())
}

/// GET /authorization/202309/shops.
pub(crate) fn shops(shared: &Shared) -> Reply {
    let shops: Vec<Value> = shared
        .shops
        .iter()
        .map(|shop| {
            let region = home_region(shop.index);
            let mut rng = Rng::new(hash_str(&shop.cipher));
            let code: String = (0..12).map(|_| char::from(*rng.pick(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))).collect();
            json!({
                "id": named_id(7_000_000_000_000_000_000, &shop.cipher),
                "name": format!("Sandbox Shop {} ({region})", shop.index + 1),
                "region": region,
                "seller_type": if shop.cipher.starts_with("GCP_") { "CROSS_BORDER" } else { "LOCAL" },
                "cipher": shop.cipher,
                "code": code,
            })
        })
        .collect();
    Reply::ok(json!({ "shops": shops }))
}

/// GET /api/v2/token/refresh (unsigned; the secret is in the query).
pub(crate) fn refresh(shared: &Shared, request: &ApiRequest) -> Reply {
    let config = &shared.config;
    if request.param("app_key") != Some(config.app_key.as_str()) {
        return Reply::invalid("Invalid app_key. The app_key does not exist or is not online.");
    }
    if request.param("app_secret") != Some(config.app_secret.as_str()) {
        return Reply::invalid("Invalid app_secret. The app_secret does not match the app_key.");
    }
    if request.param("grant_type") != Some("refresh_token") {
        return Reply::invalid("Invalid grant_type. grant_type must be refresh_token.");
    }
    let now = chrono::Utc::now().timestamp();
    let Some(issued) = shared
        .tokens
        .refresh(request.param("refresh_token").unwrap_or(""), now)
    else {
        let message = "Invalid refresh_token. It is unknown, expired or was replaced; authorize the shop again.";
        return Reply::error(StatusCode::BAD_REQUEST, 36_004_004, message);
    };
    bump(&shared.stats.token_refreshes);
    Reply::success(
        "success",
        json!({
            "access_token": issued.access_token,
            "access_token_expire_in": issued.access_expires,
            "refresh_token": issued.refresh_token,
            "refresh_token_expire_in": issued.refresh_expires,
            "open_id": named_id(7_010_000_000_000_000_000, &config.app_key),
            "seller_name": "Sandbox Seller",
            "seller_base_region": shared.shops.first().map_or("US", |s| home_region(s.index)),
            "user_type": 0,
            "granted_scopes": ["seller.authorization.info", "seller.order.info", "seller.fulfillment.basic"],
        }),
    )
}
