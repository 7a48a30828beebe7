//! The HTTP side: the state every request shares, the routes, and the
//! steps every API request goes through before its endpoint sees it
//! (counting, injected faults, method, verification).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::any;
use chrono::Utc;

use super::auth::{ApiRequest, Scope, verify};
use super::endpoints;
use super::faults::{Fault, Faults};
use super::generator::{EPOCH, Generator, Shop};
use super::paging::PageTokens;
use super::response::{Reply, request_id};
use super::rng::{combine, hash_str};
use super::search::WindowCache;
use super::stats::{Stats, bump};
use super::tokens::{TokenPolicy, Tokens};
use super::{Clock, SandboxConfig};

pub(crate) const SEARCH_PATH: &str = "/order/202309/orders/search";
pub(crate) const SHOPS_PATH: &str = "/authorization/202309/shops";
pub(crate) const REFRESH_PATH: &str = "/api/v2/token/refresh";

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub clock: Mutex<Clock>,
    pub generator: Generator,
    pub shops: Vec<Shop>,
    pub tokens: Tokens,
    pub faults: Faults,
    pub stats: Stats,
    pub windows: WindowCache,
    pub page_tokens: PageTokens,
    requests: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Shared {
        let data_now = config.clock.now().timestamp();
        let opened = (data_now - i64::from(config.history_days) * 86_400).max(EPOCH);
        let generator = Generator {
            seed: config.seed,
            orders_per_day: config.orders_per_day,
            corrupt_every: config.corrupt_every,
            opened,
        };
        let shops = config
            .shops
            .iter()
            .enumerate()
            .map(|(index, cipher)| Shop {
                index,
                cipher: cipher.clone(),
                key: combine(config.seed, hash_str(cipher)),
            })
            .collect();
        let policy = TokenPolicy {
            seed: config.seed,
            lifetime_secs: config
                .access_token_lifetime
                .as_secs()
                .try_into()
                .unwrap_or(i64::MAX / 2),
            expire_after_requests: config.expire_token_after_requests,
            revoke_old: config.revoke_old_token_on_refresh,
            rotate_refresh: config.rotate_refresh_token,
        };
        let now = Utc::now().timestamp();
        Shared {
            tokens: Tokens::new(policy, &config.access_token, &config.refresh_token, now),
            faults: Faults::new(
                config.fail_first_n,
                config.fail_every_n,
                config.rate_limit_per_second,
            ),
            page_tokens: PageTokens {
                key: combine(config.seed, hash_str(&config.app_secret)),
            },
            clock: Mutex::new(config.clock),
            generator,
            shops,
            stats: Stats::default(),
            windows: WindowCache::default(),
            requests: AtomicU64::new(0),
            config,
        }
    }

    /// The sandbox clock ("now" of the data), in unix seconds.
    pub(crate) fn data_now(&self) -> i64 {
        self.clock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .now()
            .timestamp()
    }

    pub(crate) fn shop(&self, cipher: &str) -> Option<&Shop> {
        self.shops.iter().find(|s| s.cipher == cipher)
    }

    fn respond(&self, path: &str, reply: Reply) -> Response {
        if reply.code != 0 {
            bump(&self.stats.errors);
        }
        let sequence = self.requests.fetch_add(1, Ordering::Relaxed);
        let request_id = request_id(Utc::now(), self.config.seed, sequence);
        tracing::debug!(path, status = reply.status.as_u16(), code = reply.code, %request_id, "sandbox answered");
        reply.into_response(request_id)
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(SEARCH_PATH, any(search))
        .route(SHOPS_PATH, any(shops))
        .route(REFRESH_PATH, any(refresh))
        .fallback(not_found)
        .with_state(shared)
}

/// The gateway steps of a signed API request, then the endpoint.
fn signed(
    shared: &Shared,
    request: &ApiRequest,
    method: Method,
    scope: Scope,
    endpoint: impl FnOnce(&Shared, &ApiRequest, Option<&Shop>) -> Reply,
) -> Response {
    bump(&shared.stats.requests);
    if request.method != method {
        return shared.respond(request.path, Reply::wrong_method());
    }
    let app_key = request.param("app_key").unwrap_or("");
    let shop_cipher = request.param("shop_cipher").unwrap_or("");
    match shared.faults.check(app_key, shop_cipher, request.path) {
        Some(Fault::Unavailable) => {
            bump(&shared.stats.injected_failures);
            return shared.respond(request.path, Reply::unavailable());
        }
        Some(Fault::RateLimited) => {
            bump(&shared.stats.rate_limited);
            return shared.respond(request.path, Reply::rate_limited());
        }
        None => {}
    }
    let reply = match verify(shared, request, scope) {
        Ok(shop) => endpoint(shared, request, shop),
        Err(reply) => reply,
    };
    shared.respond(request.path, reply)
}

async fn search(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ApiRequest::new(method, SEARCH_PATH, query.as_deref(), headers, body);
    signed(
        &shared,
        &request,
        Method::POST,
        Scope::Shop,
        endpoints::search,
    )
}

async fn shops(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ApiRequest::new(method, SHOPS_PATH, query.as_deref(), headers, body);
    signed(
        &shared,
        &request,
        Method::GET,
        Scope::NoShop,
        |shared, _, _| endpoints::shops(shared),
    )
}

/// The token endpoint is unsigned and lives on the auth host (here the
/// same server), so it skips the gateway steps and the injected faults.
async fn refresh(
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
        endpoints::refresh(&shared, &request)
    } else {
        Reply::wrong_method()
    };
    shared.respond(REFRESH_PATH, reply)
}

async fn not_found(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    bump(&shared.stats.requests);
    shared.respond(uri.path(), Reply::not_found())
}
