//! Checking a signed request the way the API gateway does (reference §1,
//! §2, §6), in its order: app_key, sign and timestamp present, timestamp
//! fresh, signature right, access token valid, shop_cipher as the endpoint
//! wants it.

use axum::http::StatusCode;

use crate::http::request::ApiRequest;
use crate::http::response::Reply;
use crate::http::shared::Shared;
use crate::http::stats::bump;
use crate::http::tokens::TokenCheck;
use crate::world::plan::Shop;

/// Requests may be stamped this far behind or ahead of the server.
const MAX_AGE_SECS: i64 = 300;
const MAX_AHEAD_SECS: i64 = 30;

/// Whether an endpoint is shop-scoped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Order APIs: shop_cipher required (106013 without it).
    Shop,
    /// authorization/*: shop_cipher rejected (36009004).
    NoShop,
}

/// Checks everything but the endpoint's own parameters; returns the shop
/// for shop-scoped endpoints.
pub(crate) fn verify<'a>(
    shared: &'a Shared,
    request: &ApiRequest,
    scope: Scope,
) -> Result<Option<&'a Shop>, Reply> {
    let config = &shared.config;
    let app_key = request
        .param("app_key")
        .ok_or_else(|| Reply::invalid("Invalid app_key: app_key is a required field."))?;
    if app_key != config.app_key {
        return Err(Reply::invalid(
            "Invalid app_key. The app_key does not exist or is not online.",
        ));
    }
    let Some(given_sign) = request.param("sign") else {
        return Err(Reply::invalid("Invalid sign: sign is a required field."));
    };
    check_timestamp(request.param("timestamp"), chrono::Utc::now().timestamp())?;
    if given_sign != request.signature(&config.app_secret) {
        bump(&shared.stats.signature_failures);
        return Err(Reply::error(
            StatusCode::UNAUTHORIZED,
            106_001,
            "Invalid sign. Please check the signature algorithm.",
        ));
    }
    let token = request
        .headers
        .get("x-tts-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match shared.tokens.check(token, chrono::Utc::now().timestamp()) {
        TokenCheck::Valid => {}
        TokenCheck::Expired => {
            bump(&shared.stats.expired_token_rejections);
            let message = "Expired credentials. The access token has expired, please refresh it.";
            return Err(Reply::error(StatusCode::UNAUTHORIZED, 105_002, message));
        }
        TokenCheck::Invalid => {
            bump(&shared.stats.token_failures);
            let message = "Invalid credentials. The 'x-tts-access-token' header is invalid.";
            return Err(Reply::error(StatusCode::UNAUTHORIZED, 36_009_004, message));
        }
    }
    let cipher = request.param("shop_cipher");
    match (scope, cipher) {
        (Scope::NoShop, None) => Ok(None),
        (Scope::NoShop, Some(_)) => Err(Reply::invalid(
            "Invalid shop_cipher: this API does not accept a shop_cipher.",
        )),
        (Scope::Shop, None | Some("")) => Err(Reply::error(
            StatusCode::BAD_REQUEST,
            106_013,
            "shop_cipher required",
        )),
        (Scope::Shop, Some(cipher)) => match shared.orders.shop(cipher) {
            Some(shop) => Ok(Some(shop)),
            None if cipher.starts_with("GCP_") || cipher.starts_with("ROW_") => Err(Reply::error(
                StatusCode::FORBIDDEN,
                101_000,
                "The shop_cipher does not match the access token: the shop has not authorized this app.",
            )),
            None => Err(Reply::invalid(
                "Invalid shop_cipher. The shop_cipher is not valid.",
            )),
        },
    }
}

/// The request's timestamp must be unix seconds within the window.
fn check_timestamp(timestamp: Option<&str>, now: i64) -> Result<(), Reply> {
    let fresh = timestamp
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| t >= now - MAX_AGE_SECS && t <= now + MAX_AHEAD_SECS);
    if fresh {
        Ok(())
    } else {
        Err(Reply::invalid(
            "Invalid timestamp. The timestamp must be unix seconds, at most 5 minutes before and 30 seconds after the server time.",
        ))
    }
}

#[test]
fn timestamps_are_checked_against_the_window() {
    assert!(check_timestamp(Some("1000"), 1000).is_ok());
    assert!(check_timestamp(Some("700"), 1000).is_ok());
    assert!(check_timestamp(Some("699"), 1000).is_err());
    assert!(check_timestamp(Some("1030"), 1000).is_ok());
    assert!(check_timestamp(Some("1031"), 1000).is_err());
    assert!(check_timestamp(Some("1000000"), 1000).is_err());
    assert!(check_timestamp(Some("soon"), 1000).is_err());
    assert!(
        check_timestamp(None, 1000)
            .unwrap_err()
            .message
            .contains("timestamp")
    );
}
