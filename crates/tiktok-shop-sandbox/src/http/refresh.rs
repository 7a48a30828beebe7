//! GET /api/v2/token/refresh (reference §2, §11): unsigned, the secret in
//! the query. Issues a new access token (and, rotating, a new refresh
//! token) with absolute expiry times, or refuses the refresh token with the
//! code the live API uses for its case.

use axum::http::StatusCode;
use serde_json::json;

use crate::http::request::ApiRequest;
use crate::http::response::Reply;
use crate::http::shared::Shared;
use crate::http::stats::bump;
use crate::http::tokens::Refresh;
use crate::render::ids::named_id;
use crate::world::markets::home_region;

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
    let refresh_token = request.param("refresh_token").unwrap_or("");
    let issued = match shared.tokens.refresh(refresh_token, now) {
        Refresh::Issued(issued) => issued,
        refused => {
            bump(&shared.stats.refresh_rejections);
            return refusal(&refused);
        }
    };
    bump(&shared.stats.token_refreshes);
    let region = shared
        .orders
        .shops
        .first()
        .map_or("US", |s| home_region(s.index));
    Reply::success(
        "success",
        json!({
            "access_token": issued.access_token,
            "access_token_expire_in": issued.access_token_expire_in,
            "refresh_token": issued.refresh_token,
            "refresh_token_expire_in": issued.refresh_token_expire_in,
            "open_id": named_id(7_010_000_000_000_000_000, &config.app_key),
            "seller_name": "Sandbox Seller",
            "seller_base_region": region,
            "user_type": 0,
            "granted_scopes": ["seller.authorization.info", "seller.order.info", "seller.fulfillment.basic"],
        }),
    )
}

/// The answer to a refused refresh token. A token never issued keeps the
/// sandbox's historical 36004004; the two codes seen live (§11) are used
/// for a rotated-out token and an expired one.
fn refusal(refresh: &Refresh) -> Reply {
    let (code, message) = match refresh {
        Refresh::Replaced => (36_004_005, "can not find related auth record"),
        Refresh::Expired => (36_004_001, "rt has expired"),
        Refresh::Unknown | Refresh::Issued(_) => (
            36_004_004,
            "Invalid refresh_token. It was never issued for this app; authorize the shop again.",
        ),
    };
    Reply::error(StatusCode::BAD_REQUEST, code, message)
}

#[test]
fn each_refusal_has_its_live_code() {
    let codes: Vec<u32> = [Refresh::Replaced, Refresh::Expired, Refresh::Unknown]
        .iter()
        .map(|r| refusal(r).code)
        .collect();
    assert_eq!(codes, [36_004_005, 36_004_001, 36_004_004]);
    assert_eq!(
        refusal(&Refresh::Replaced).message,
        "can not find related auth record"
    );
}
