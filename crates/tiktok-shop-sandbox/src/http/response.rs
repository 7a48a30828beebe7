//! The response envelope (reference §0, §6): `{"code", "message",
//! "request_id", "data"}` on success and error alike, `data: null` on
//! errors, the HTTP statuses seen in live traffic, and request ids shaped
//! like the real ones (`YYYYMMDDhhmmss` + 20 hex digits).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::world::rng::combine;

/// An answer before it gets its request id.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    /// JSON text of `data` (`null` on errors).
    pub data: String,
    /// Seconds for the `Retry-After` header, on throttled answers.
    pub retry_after: Option<u64>,
}

impl Reply {
    pub(crate) fn ok(data: Value) -> Reply {
        Reply::success("Success", data)
    }

    /// Success with `data` given as JSON text (orders pages).
    pub(crate) fn ok_text(data: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            code: 0,
            message: "Success".into(),
            data,
            retry_after: None,
        }
    }

    /// Success with the message the endpoint uses ("success" on the token host).
    pub(crate) fn success(message: &str, data: Value) -> Reply {
        Reply {
            status: StatusCode::OK,
            code: 0,
            message: message.to_owned(),
            data: data.to_string(),
            retry_after: None,
        }
    }

    pub(crate) fn error(status: StatusCode, code: u32, message: impl Into<String>) -> Reply {
        Reply {
            status,
            code,
            message: message.into(),
            data: "null".into(),
            retry_after: None,
        }
    }

    /// 36009004 for a bad or missing parameter (HTTP 400).
    pub(crate) fn invalid(message: impl Into<String>) -> Reply {
        Reply::error(StatusCode::BAD_REQUEST, 36_009_004, message)
    }

    pub(crate) fn not_found() -> Reply {
        Reply::error(
            StatusCode::NOT_FOUND,
            36_009_009,
            "Invalid path. The API path does not exist.",
        )
    }

    pub(crate) fn wrong_method() -> Reply {
        Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            36_009_010,
            "Invalid method. The API does not support this HTTP method.",
        )
    }

    /// 36009004 for a parameter error, its causes in parentheses.
    pub(crate) fn rejecting(error: &dyn std::error::Error) -> Reply {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message = format!("{message} ({cause})");
            source = cause.source();
        }
        Reply::invalid(message)
    }

    /// The token bucket of (app, shop, path) is empty (reference §8).
    pub(crate) fn rate_limited(retry_after: u64) -> Reply {
        let message = "Too many requests. You've made too many requests in a short period of time.";
        Reply {
            retry_after: Some(retry_after),
            ..Reply::error(StatusCode::TOO_MANY_REQUESTS, 36_009_002, message)
        }
    }

    /// The hourly quota of a test shop is used up (reference §11).
    pub(crate) fn quota_exceeded(retry_after: u64) -> Reply {
        let message = "Too many requests. The hourly request quota of this test shop is used up.";
        Reply {
            retry_after: Some(retry_after),
            ..Reply::error(StatusCode::TOO_MANY_REQUESTS, 36_009_037, message)
        }
    }

    pub(crate) fn unavailable() -> Reply {
        let message =
            "Internal error. The service is temporarily unavailable, please try again later.";
        Reply::error(StatusCode::SERVICE_UNAVAILABLE, 36_009_003, message)
    }

    pub(crate) fn into_response(self, request_id: String) -> Response {
        let body = format!(
            r#"{{"code":{},"data":{},"message":{},"request_id":{}}}"#,
            self.code,
            self.data,
            Value::String(self.message),
            Value::String(request_id)
        );
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A request id: the time, then 20 upper-case hex digits.
pub(crate) fn request_id(now: DateTime<Utc>, seed: u64, sequence: u64) -> String {
    let hash = combine(seed, sequence);
    let extra = combine(hash, 0x1D) & 0xFFFF;
    format!("{}{hash:016X}{extra:04X}", now.format("%Y%m%d%H%M%S"))
}

#[test]
fn request_ids_have_the_live_shape() {
    let now = DateTime::from_timestamp(1_646_639_340, 0).unwrap();
    let id = request_id(now, 1, 2);
    assert_eq!(id.len(), 34);
    assert!(id.starts_with("20220307074900"));
    assert!(
        id[14..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    );
    assert_ne!(id, request_id(now, 1, 3));
}

#[test]
fn the_envelope_is_json_with_null_data_on_errors() {
    let response = Reply::invalid("bad \"thing\"").into_response("X".into());
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let ok = Reply::ok(serde_json::json!({"a": 1}));
    assert_eq!(ok.code, 0);
    assert_eq!(ok.data, r#"{"a":1}"#);
}

#[test]
fn throttled_answers_say_when_to_retry() {
    let response = Reply::rate_limited(3).into_response("X".into());
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = response.headers().get(header::RETRY_AFTER);
    assert_eq!(retry_after.and_then(|v| v.to_str().ok()), Some("3"));
    let quota = Reply::quota_exceeded(60);
    assert_eq!(
        (quota.status, quota.code),
        (StatusCode::TOO_MANY_REQUESTS, 36_009_037)
    );
    let plain = Reply::invalid("x").into_response("X".into());
    assert!(plain.headers().get(header::RETRY_AFTER).is_none());
}
