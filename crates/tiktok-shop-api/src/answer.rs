//! What one HTTP answer means: a success to parse, something to retry, an
//! answer the client can fix itself (expired token, stale timestamp), or a
//! failure that needs a person.

use std::time::Duration;

use serde_json::value::RawValue;

use crate::envelope::Envelope;
use crate::error::{ApiError, Rejection, Verdict, classify};
use crate::request::{Call, Target};
use crate::secret::redact;

const REFRESH_REFUSED_ADVICE: &str = "TIKTOK_REFRESH_TOKEN may be expired or revoked, or belong to \
     another app: have the seller authorize the app again, then set the new TIKTOK_ACCESS_TOKEN and \
     TIKTOK_REFRESH_TOKEN";

/// A success, or an answer only the client's outer loop can deal with
/// (by refreshing the token or re-stamping).
pub(super) enum Answer {
    Success {
        request_id: String,
        body: String,
    },
    TokenExpired(ApiError),
    Timestamp(ApiError),
    /// The access token was refused as invalid.
    TokenInvalid(ApiError),
    /// The token endpoint refused the refresh token (re-read the store, or
    /// the seller must authorize again).
    RefreshRefused(ApiError),
}

/// Why an attempt is worth repeating (the manifest counts each cause).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryCause {
    /// HTTP 429, 36009002 or 36009037: too many requests.
    Throttled,
    /// HTTP 5xx, 36009003, 36009007.
    ServerError,
    /// No answer: the connection failed or timed out.
    Network,
}

/// The outcome of one HTTP attempt.
pub(super) enum Attempt {
    Answer(Answer),
    Retry {
        error: ApiError,
        after: Option<Duration>,
        cause: RetryCause,
    },
    Fail(ApiError),
}

/// Decides what one HTTP answer means.
pub(super) fn judge(
    call: &Call,
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
) -> Attempt {
    let envelope = Envelope::parse(body);
    let success_status = (200..300).contains(&status);
    let (code, message, request_id) = match &envelope {
        Some(e) => (
            e.code,
            redact(e.message.as_deref().unwrap_or_default()),
            e.request_id.clone().unwrap_or_else(|| "none".to_owned()),
        ),
        None => (None, String::new(), "none".to_owned()),
    };
    if code == Some(0) && success_status {
        return Attempt::Answer(Answer::Success {
            request_id,
            body: body.to_owned(),
        });
    }
    if envelope.is_none() && success_status {
        return Attempt::Fail(ApiError::Malformed {
            call: call.what.clone(),
            request_id,
            reason: format!(
                "HTTP {status} with a body that is not an API envelope: {:?}",
                excerpt(body)
            ),
        });
    }
    let rejected = |problem: String, advice: String| match code {
        Some(code) => ApiError::Rejected(Box::new(Rejection {
            call: call.what.clone(),
            status,
            code,
            message: message.clone(),
            request_id: request_id.clone(),
            problem,
            advice,
        })),
        None => ApiError::Http {
            call: call.what.clone(),
            status,
            body: excerpt(body),
            advice: format!("{problem}: {advice}"),
        },
    };
    let is_refresh = matches!(call.target, Target::TokenRefresh);
    let verdict = classify(call.host(), status, code, &message);
    let transient = |kind: &str| {
        let api = code
            .map(|c| format!(", API code {c} {message:?}, request_id {request_id}"))
            .unwrap_or_default();
        ApiError::Transient {
            what: format!("{kind} (HTTP {status}{api})"),
            source: None,
        }
    };
    match verdict {
        Verdict::RateLimited => Attempt::Retry {
            error: transient("rate limited"),
            after: retry_after,
            cause: RetryCause::Throttled,
        },
        Verdict::Transient => Attempt::Retry {
            error: transient("the API failed"),
            after: retry_after,
            cause: RetryCause::ServerError,
        },
        _ if is_refresh && code.is_some() => Attempt::Answer(Answer::RefreshRefused(rejected(
            "the token refresh was refused".to_owned(),
            REFRESH_REFUSED_ADVICE.to_owned(),
        ))),
        Verdict::TokenExpired => Attempt::Answer(Answer::TokenExpired(rejected(
            "access token expired".to_owned(),
            "refresh it or set a new TIKTOK_ACCESS_TOKEN".to_owned(),
        ))),
        Verdict::TokenInvalid => Attempt::Answer(Answer::TokenInvalid(rejected(
            "access token invalid".to_owned(),
            "refresh it or set TIKTOK_ACCESS_TOKEN (and TIKTOK_REFRESH_TOKEN) to the shop's current tokens"
                .to_owned(),
        ))),
        Verdict::Timestamp => Attempt::Answer(Answer::Timestamp(rejected(
            "the API rejected the request timestamp".to_owned(),
            "check the system clock".to_owned(),
        ))),
        Verdict::Fatal { problem, advice } => Attempt::Fail(rejected(problem, advice)),
    }
}

pub(super) fn parse_success<T>(
    call: &Call,
    request_id: String,
    body: &str,
    parse: &impl Fn(String, Option<&RawValue>) -> Result<T, String>,
) -> Result<T, ApiError> {
    let malformed = |request_id: String, reason: String| ApiError::Malformed {
        call: call.what.clone(),
        request_id,
        reason,
    };
    let Some(envelope) = Envelope::parse(body) else {
        return Err(malformed(
            request_id,
            "the body is not an API envelope".to_owned(),
        ));
    };
    parse(request_id.clone(), envelope.data).map_err(|reason| malformed(request_id, reason))
}

/// The start of a body, on one line, with known secrets removed.
fn excerpt(body: &str) -> String {
    let line: String = body
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    redact(line.trim())
}

#[cfg(test)]
mod tests {
    use reqwest::Method;

    use super::*;
    use crate::request::SEARCH_PATH;
    use crate::secret::Secret;

    fn signed_call() -> Call {
        Call {
            what: "search orders of shop S".into(),
            pace: Some("S".into()),
            sent_generation: Default::default(),
            target: Target::Signed {
                method: Method::POST,
                path: SEARCH_PATH,
                query: Vec::new(),
                body: None,
            },
        }
    }

    #[test]
    fn answers_are_judged_by_status_and_code() {
        let call = signed_call();
        let ok = r#"{"code":0,"message":"Success","request_id":"R0","data":{}}"#;
        assert!(
            matches!(judge(&call, 200, None, ok), Attempt::Answer(Answer::Success { request_id, .. }) if request_id == "R0")
        );
        let limited =
            r#"{"code":36009002,"message":"Too many requests","request_id":"R1","data":null}"#;
        match judge(&call, 429, Some(Duration::from_secs(3)), limited) {
            Attempt::Retry {
                error,
                after,
                cause,
            } => {
                assert_eq!(after, Some(Duration::from_secs(3)));
                assert_eq!(cause, RetryCause::Throttled);
                let text = error.to_string();
                assert!(
                    text.contains("rate limited")
                        && text.contains("36009002")
                        && text.contains("R1"),
                    "{text}"
                );
            }
            _ => panic!("429 must be retried"),
        }
        assert!(matches!(
            judge(&call, 503, None, "Service Unavailable"),
            Attempt::Retry { .. }
        ));
        let expired = r#"{"code":105002,"message":"Expired credentials","request_id":"R2"}"#;
        assert!(matches!(
            judge(&call, 401, None, expired),
            Attempt::Answer(Answer::TokenExpired(_))
        ));
        let bad_sign = r#"{"code":106001,"message":"Invalid sign","request_id":"R3"}"#;
        match judge(&call, 401, None, bad_sign) {
            Attempt::Fail(error) => {
                let text = error.to_string();
                assert!(
                    text.contains("TIKTOK_APP_SECRET")
                        && text.contains("106001")
                        && text.contains("R3"),
                    "{text}"
                );
            }
            _ => panic!("106001 is fatal"),
        }
        assert!(matches!(
            judge(&call, 200, None, "<html>"),
            Attempt::Fail(ApiError::Malformed { .. })
        ));
    }

    #[test]
    fn refusals_of_the_token_refresh_never_show_its_secrets() {
        let secret = Secret::new("judge-test-refresh-secret");
        let call = Call {
            what: "refresh the access token".into(),
            pace: None,
            sent_generation: Default::default(),
            target: Target::TokenRefresh,
        };
        let body = format!(
            "Cannot GET /api/v2/token/refresh?refresh_token={}",
            secret.expose()
        );
        let Attempt::Fail(error) = judge(&call, 404, None, &body) else {
            panic!("404 is fatal")
        };
        let text = error.to_string();
        assert!(
            text.contains("TIKTOK_AUTH_BASE_URL") && !text.contains(secret.expose()),
            "{text}"
        );
        let refused = r#"{"code":36004004,"message":"invalid refresh token","request_id":"R4"}"#;
        let Attempt::Answer(Answer::RefreshRefused(error)) = judge(&call, 200, None, refused)
        else {
            panic!("a refused refresh is its own answer")
        };
        assert!(
            error.to_string().contains("authorize the app again"),
            "{error}"
        );
    }
}
