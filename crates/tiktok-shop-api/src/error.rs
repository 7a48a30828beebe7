//! What can go wrong talking to the API, and what each failure means for the
//! run: [`classify`] turns an HTTP status and an API `code` into a verdict
//! (retry, refresh the token, re-stamp, or stop), following §6 of the API
//! reference. Every message names the API code, message and `request_id`
//! (what TikTok support asks for) and says what to do; none holds a secret.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A base URL, a credential or the HTTP client cannot be used.
    #[error("{0}")]
    Config(String),

    /// The HTTP client cannot be set up (no TLS roots, no resources).
    #[error("cannot set up the HTTP client")]
    Client(#[source] reqwest::Error),

    /// A URL built from a base URL cannot be parsed.
    #[error("{what} is not a valid URL ({url:?})")]
    Url {
        what: &'static str,
        url: String,
        #[source]
        source: url::ParseError,
    },

    /// A secret's `_FILE` cannot be read.
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),

    /// The API answered with an error code that a retry will not fix.
    #[error("{0}")]
    Rejected(Box<Rejection>),

    /// An HTTP error without an API envelope (a proxy, a wrong base URL).
    #[error("{call}: HTTP {status} without an API response ({body:?}): {advice}")]
    Http {
        call: String,
        status: u16,
        body: String,
        advice: String,
    },

    /// A success response that does not have the documented shape.
    #[error(
        "{call}: the response (request_id {request_id}) does not have the documented shape: {reason}; \
         report it to the maintainers of this tool with the request_id"
    )]
    Malformed {
        call: String,
        request_id: String,
        reason: String,
    },

    /// One transient failure (network, HTTP 5xx, rate limit); retried, and
    /// kept as the cause of [`ApiError::Exhausted`] when retries run out.
    #[error("{what}")]
    Transient {
        what: String,
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The API throttled the call and asked to wait longer than a run
    /// should (an hourly quota, as test shops have).
    #[error(
        "{call}: the API's quota is used up and it asks to wait {} s; a later retry of the stage will \
         go on (test shops get about 1,000 requests an hour)",
        retry_after.as_secs()
    )]
    Quota {
        call: String,
        retry_after: Duration,
        #[source]
        last: Box<ApiError>,
    },

    /// The token store could not be read.
    #[error("cannot read the token store")]
    TokenStore {
        #[source]
        source: crate::tokens::BoxError,
    },

    /// Transient failures outlasted every retry.
    #[error(
        "{call}: gave up after {attempts} attempts over {:.1} s (the API is unreachable, failing or rate limiting; \
         a later retry may succeed)",
        elapsed.as_secs_f64()
    )]
    Exhausted {
        call: String,
        attempts: u32,
        elapsed: Duration,
        #[source]
        last: Box<ApiError>,
    },
}

impl ApiError {
    /// Whether a later attempt may succeed without anyone changing anything
    /// (network, 5xx, rate limits that outlasted the retries).
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Transient { .. }
            | ApiError::Exhausted { .. }
            | ApiError::Quota { .. }
            | ApiError::TokenStore { .. } => true,
            ApiError::Config(_)
            | ApiError::Client(_)
            | ApiError::Url { .. }
            | ApiError::Secret(_)
            | ApiError::Rejected(_)
            | ApiError::Http { .. }
            | ApiError::Malformed { .. } => false,
        }
    }

    /// The same rejection told differently (what happened, what to do).
    pub(crate) fn reworded(
        self,
        problem: impl Into<String>,
        advice: impl Into<String>,
    ) -> ApiError {
        match self {
            ApiError::Rejected(mut rejection) => {
                rejection.problem = problem.into();
                rejection.advice = advice.into();
                ApiError::Rejected(rejection)
            }
            other => other,
        }
    }
}

/// An API error code, with everything support needs and what to do.
#[derive(Debug)]
pub struct Rejection {
    /// What was being done, e.g. `search orders of shop GCP_…`.
    pub call: String,
    pub status: u16,
    pub code: i64,
    /// The API's message, with any known secret redacted.
    pub message: String,
    pub request_id: String,
    /// What happened, in our words.
    pub problem: String,
    /// What to do about it.
    pub advice: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Rejection {
            call,
            status,
            code,
            message,
            request_id,
            problem,
            advice,
        } = self;
        write!(
            f,
            "{call}: {problem}: {advice} (API code {code}, message {message:?}, request_id {request_id}, HTTP {status})"
        )
    }
}

/// What to do about one API answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// HTTP 429 or 36009002: wait (honouring Retry-After) and retry.
    RateLimited,
    /// 5xx, 36009003, 36009007: wait and retry.
    Transient,
    /// 105002: refresh the access token once, then retry.
    TokenExpired,
    /// 36009004 about the timestamp: re-stamp and retry once.
    Timestamp,
    /// 36009004 about the access token: fatal, unless the token was replaced
    /// by a refresh while the request was on its way (the old one revoked).
    TokenInvalid,
    /// Retrying will not help.
    Fatal { problem: String, advice: String },
}

/// The environment variable behind the host a call went to, for advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Host {
    Api,
    Auth,
}

impl Host {
    fn variable(self) -> &'static str {
        match self {
            Host::Api => "TIKTOK_API_BASE_URL",
            Host::Auth => "TIKTOK_AUTH_BASE_URL",
        }
    }
}

fn fatal(problem: &str, advice: impl Into<String>) -> Verdict {
    Verdict::Fatal {
        problem: problem.to_owned(),
        advice: advice.into(),
    }
}

/// Classifies an answer: `code` is `None` when the body is not an API envelope.
pub(crate) fn classify(host: Host, status: u16, code: Option<i64>, message: &str) -> Verdict {
    if let Some(code) = code {
        if let Some(verdict) = classify_code(code, message) {
            return verdict;
        }
    }
    match status {
        429 => Verdict::RateLimited,
        408 | 500..=599 => Verdict::Transient,
        300..=399 => fatal(
            "the API host answered with a redirect",
            format!(
                "check {}: it must be the API host itself, with https://",
                host.variable()
            ),
        ),
        404 => fatal(
            "nothing answers at this path",
            format!(
                "check {}: it must be the host alone, without a path",
                host.variable()
            ),
        ),
        _ => match code {
            Some(_) => fatal(
                "the API refused the request",
                "see the API's message; a retry will not help until it is fixed",
            ),
            None => fatal(
                "the answer is not a TikTok Shop API response",
                format!("check {} (and any proxy in between)", host.variable()),
            ),
        },
    }
}

/// The verdict an API code decides alone, whatever the HTTP status.
fn classify_code(code: i64, message: &str) -> Option<Verdict> {
    Some(match code {
        // 36009037: the hourly quota of sandbox and test shops (§11).
        36009002 | 36009037 => Verdict::RateLimited,
        36009003 | 36009007 => Verdict::Transient,
        105002 => Verdict::TokenExpired,
        36009004 => classify_invalid(message),
        106001 => fatal(
            "the API rejected the request signature",
            "check TIKTOK_APP_SECRET: it must be the app secret (Partner Center > App > App secret) of the app \
             whose key is TIKTOK_APP_KEY",
        ),
        105005 => fatal(
            "the access token lacks the scope seller.order.info",
            "enable the order information scope (seller.order.info) for the app in Partner Center, have the \
             seller authorize the app again, then set the new TIKTOK_ACCESS_TOKEN and TIKTOK_REFRESH_TOKEN",
        ),
        101000 => fatal(
            "the access token does not match the shop cipher",
            "check TIKTOK_SHOP_CIPHER against the shops `tiktok-etl check` lists for this token, and that the \
             token is a seller's token for that shop",
        ),
        106013 => fatal(
            "the API requires a shop cipher",
            "set TIKTOK_SHOP_CIPHER (`tiktok-etl check` lists the ciphers of the shops the token may read)",
        ),
        36009033 => fatal(
            "this machine's IP address is not in the app's IP allow-list",
            "add this host's outgoing IP address to the app's IP allow-list in Partner Center, or run from a \
             host that is on it",
        ),
        36009009 | 36009010 | 36009014 => fatal(
            "the API does not know this endpoint or version",
            "check TIKTOK_API_BASE_URL (default https://open-api.tiktokglobalshop.com)",
        ),
        36009022 | 36009023 => fatal(
            "the API did not accept the request's format",
            "this is a bug in this tool: report it with the request_id",
        ),
        _ => return None,
    })
}

/// 36009004 covers several problems; only the message tells them apart.
fn classify_invalid(message: &str) -> Verdict {
    let lower = message.to_ascii_lowercase();
    if lower.contains("timestamp") {
        Verdict::Timestamp
    } else if lower.contains("access token")
        || lower.contains("access_token")
        || lower.contains("access-token")
        || lower.contains("credentials")
    {
        Verdict::TokenInvalid
    } else if lower.contains("app_key") || lower.contains("app key") {
        fatal(
            "the app key was rejected",
            "check TIKTOK_APP_KEY (--app-key): it must be your Partner Center app's key",
        )
    } else {
        fatal(
            "the API rejected the request as invalid",
            "see the API's message; a retry will not help until it is fixed",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(status: u16, code: Option<i64>, message: &str) -> Verdict {
        classify(Host::Api, status, code, message)
    }

    fn fatal_text(v: Verdict) -> String {
        match v {
            Verdict::Fatal { problem, advice } => format!("{problem}: {advice}"),
            other => panic!("expected a fatal verdict, got {other:?}"),
        }
    }

    #[test]
    fn retryable_answers_are_retried() {
        assert_eq!(verdict(429, None, ""), Verdict::RateLimited);
        assert_eq!(
            verdict(429, Some(36009002), "Too many requests"),
            Verdict::RateLimited
        );
        assert_eq!(
            verdict(200, Some(36009002), "Too many requests"),
            Verdict::RateLimited
        );
        assert_eq!(
            verdict(429, Some(36009037), "test shop quota exceeded"),
            Verdict::RateLimited
        );
        assert_eq!(verdict(503, None, ""), Verdict::Transient);
        assert_eq!(
            verdict(502, Some(36009003), "Internal error"),
            Verdict::Transient
        );
        assert_eq!(
            verdict(200, Some(36009003), "Internal error"),
            Verdict::Transient
        );
        assert_eq!(
            verdict(200, Some(36009007), "Request timeout"),
            Verdict::Transient
        );
        assert_eq!(verdict(500, Some(12345), "whatever"), Verdict::Transient);
    }

    #[test]
    fn token_and_timestamp_problems_have_their_own_verdicts() {
        assert_eq!(
            verdict(200, Some(105002), "Expired credentials"),
            Verdict::TokenExpired
        );
        let msg = "Invalid timestamp. The timestamp is more than 5 minutes old.";
        assert_eq!(verdict(400, Some(36009004), msg), Verdict::Timestamp);
    }

    #[test]
    fn fatal_answers_say_what_to_do() {
        for message in [
            "Invalid credentials. The 'x-tts-access-token' header is invalid.",
            "Invalid access_token",
        ] {
            assert_eq!(verdict(400, Some(36009004), message), Verdict::TokenInvalid);
        }
        let table: [(u16, i64, &str, &str); 7] = [
            (401, 106001, "Invalid sign", "TIKTOK_APP_SECRET"),
            (400, 36009004, "Invalid app_key", "TIKTOK_APP_KEY"),
            (
                400,
                36009004,
                "shop_cipher is not expected",
                "see the API's message",
            ),
            (
                200,
                105005,
                "Access denied: missing scope",
                "seller.order.info",
            ),
            (
                200,
                101000,
                "shop_cipher and token mismatch",
                "TIKTOK_SHOP_CIPHER",
            ),
            (200, 106013, "shop_cipher is required", "TIKTOK_SHOP_CIPHER"),
            (403, 36009033, "IP not in allow list", "allow-list"),
        ];
        for (status, code, message, expected) in table {
            let text = fatal_text(verdict(status, Some(code), message));
            assert!(text.contains(expected), "{code} {message:?}: {text}");
        }
        assert!(fatal_text(verdict(200, Some(99999999), "odd")).contains("API's message"));
    }

    #[test]
    fn non_api_answers_point_at_the_base_url() {
        assert!(fatal_text(verdict(404, None, "")).contains("TIKTOK_API_BASE_URL"));
        assert!(fatal_text(verdict(403, None, "")).contains("TIKTOK_API_BASE_URL"));
        assert!(fatal_text(verdict(301, None, "")).contains("redirect"));
        let auth = classify(Host::Auth, 404, None, "");
        assert!(fatal_text(auth).contains("TIKTOK_AUTH_BASE_URL"));
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        let rejected = ApiError::Rejected(Box::new(Rejection {
            call: "c".into(),
            status: 401,
            code: 106001,
            message: "Invalid sign".into(),
            request_id: "R1".into(),
            problem: "p".into(),
            advice: "a".into(),
        }));
        assert!(!rejected.is_retryable());
        let text = rejected.to_string();
        assert!(
            text.contains("106001") && text.contains("Invalid sign") && text.contains("R1"),
            "{text}"
        );
        let exhausted = ApiError::Exhausted {
            call: "c".into(),
            attempts: 6,
            elapsed: Duration::from_secs(3),
            last: Box::new(ApiError::Transient {
                what: "HTTP 503".into(),
                source: None,
            }),
        };
        assert!(exhausted.is_retryable());
    }
}
