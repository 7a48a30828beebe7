//! The steps every signed API request goes through before its endpoint
//! sees it, in the gateway's order: counted, method checked, injected
//! 503s, the test-shop quota, the rate limit, then verification. And the
//! last step of every answer: a request id, the added latency, counting.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::http::Method;
use axum::response::Response;
use chrono::Utc;

use crate::http::request::ApiRequest;
use crate::http::response::{Reply, request_id};
use crate::http::shared::Shared;
use crate::http::stats::bump;
use crate::http::verify::{Scope, verify};
use crate::world::plan::Shop;

/// The gateway steps of a signed API request, then the endpoint.
pub(crate) fn signed(
    shared: &Shared,
    request: &ApiRequest,
    method: Method,
    scope: Scope,
    endpoint: impl FnOnce(&Shared, &ApiRequest, Option<&Shop>) -> Reply,
) -> Reply {
    bump(&shared.stats.requests);
    if request.method != method {
        return Reply::wrong_method();
    }
    if shared.faults.fails() {
        bump(&shared.stats.injected_failures);
        return Reply::unavailable();
    }
    if let Err(reply) = throttle(shared, request) {
        return reply;
    }
    match verify(shared, request, scope) {
        Ok(shop) => endpoint(shared, request, shop),
        Err(reply) => reply,
    }
}

/// The quota of the (app, shop), then the bucket of the (app, shop, path).
fn throttle(shared: &Shared, request: &ApiRequest) -> Result<(), Reply> {
    let app_key = request.param("app_key").unwrap_or("");
    let shop_cipher = request.param("shop_cipher").unwrap_or("");
    let now = Instant::now();
    if let Err(wait) = shared.quota.take((app_key, shop_cipher), now) {
        bump(&shared.stats.rate_limited);
        bump(&shared.stats.quota_rejections);
        return Err(Reply::quota_exceeded(wait));
    }
    if let Err(wait) = shared
        .limiter
        .take((app_key, shop_cipher, request.path), now)
    {
        bump(&shared.stats.rate_limited);
        return Err(Reply::rate_limited(wait));
    }
    Ok(())
}

/// Turns a reply into the response, after the configured latency.
pub(crate) async fn respond(shared: &Shared, path: &str, reply: Reply) -> Response {
    if reply.code != 0 {
        bump(&shared.stats.errors);
    }
    let sequence = shared.responses.fetch_add(1, Ordering::Relaxed);
    let request_id = request_id(Utc::now(), shared.config.seed, sequence);
    let delay = shared.latency.of(sequence);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    tracing::debug!(path, status = reply.status.as_u16(), code = reply.code, %request_id, "sandbox answered");
    reply.into_response(request_id)
}
