//! A request as the gateway sees it: method, path, the query decoded the
//! way the server decodes it (`+` is a space, the first value of a key
//! wins), headers and the body bytes exactly as received, and the
//! signature those give with [`tiktok_shop_api::sign::sign`], the same
//! function the client signs with (reference §1).

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, header};
use tiktok_shop_api::sign::{is_multipart, sign};

/// A request as the gateway sees it.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub method: Method,
    pub path: &'static str,
    /// Decoded query parameters, the first value of each key, in order.
    pub params: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ApiRequest {
    pub(crate) fn new(
        method: Method,
        path: &'static str,
        raw_query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        let mut params: Vec<(String, String)> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
            if !params.iter().any(|(k, _)| *k == key) {
                params.push((key.into_owned(), value.into_owned()));
            }
        }
        ApiRequest {
            method,
            path,
            params,
            headers,
            body,
        }
    }

    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn signature(&self, secret: &str) -> String {
        let query: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let content_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let body = (!self.body.is_empty() && !is_multipart(content_type)).then_some(&self.body[..]);
        sign(secret, self.path, &query, body)
    }
}

#[test]
fn a_raw_plus_decodes_as_a_space_and_repeated_keys_keep_the_first() {
    let request = ApiRequest::new(
        Method::POST,
        "/p",
        Some("page_token=a+b%2Bc&x=1&x=2"),
        HeaderMap::new(),
        Bytes::new(),
    );
    assert_eq!(request.param("page_token"), Some("a b+c"));
    assert_eq!(request.param("x"), Some("1"));
    let expected = sign("s", "/p", &[("page_token", "a b+c"), ("x", "1")], None);
    assert_eq!(request.signature("s"), expected);
}
