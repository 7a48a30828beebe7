//! The routes: which handler answers which path. Each handler turns the
//! HTTP request into an `ApiRequest`, runs it through the gateway to its
//! endpoint, and sends the answer.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::any;

use crate::http::gateway::{respond, signed};
use crate::http::refresh::refresh;
use crate::http::request::ApiRequest;
use crate::http::response::Reply;
use crate::http::search::search;
use crate::http::shared::Shared;
use crate::http::shops::shops;
use crate::http::stats::bump;
use crate::http::verify::Scope;

const SEARCH_PATH: &str = "/order/202309/orders/search";
const SHOPS_PATH: &str = "/authorization/202309/shops";
const REFRESH_PATH: &str = "/api/v2/token/refresh";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(SEARCH_PATH, any(search_orders))
        .route(SHOPS_PATH, any(authorized_shops))
        .route(REFRESH_PATH, any(refresh_token))
        .fallback(not_found)
        .with_state(shared)
}

async fn search_orders(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ApiRequest::new(method, SEARCH_PATH, query.as_deref(), headers, body);
    let reply = signed(&shared, &request, Method::POST, Scope::Shop, search);
    respond(&shared, SEARCH_PATH, reply).await
}

async fn authorized_shops(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ApiRequest::new(method, SHOPS_PATH, query.as_deref(), headers, body);
    let reply = signed(
        &shared,
        &request,
        Method::GET,
        Scope::NoShop,
        |shared, _, _| shops(shared),
    );
    respond(&shared, SHOPS_PATH, reply).await
}

/// The token endpoint is unsigned and lives on the auth host (here the
/// same server), so it skips the gateway steps and the injected faults.
async fn refresh_token(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
) -> Response {
    bump(&shared.stats.requests);
    let request = ApiRequest::new(
        method,
        REFRESH_PATH,
        query.as_deref(),
        HeaderMap::new(),
        Bytes::new(),
    );
    let reply = if request.method == Method::GET {
        refresh(&shared, &request)
    } else {
        Reply::wrong_method()
    };
    respond(&shared, REFRESH_PATH, reply).await
}

async fn not_found(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    bump(&shared.stats.requests);
    respond(&shared, uri.path(), Reply::not_found()).await
}
