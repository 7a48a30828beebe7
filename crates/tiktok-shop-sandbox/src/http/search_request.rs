//! What a Get Order List request asks for (reference §3), read from its
//! query and JSON body and checked in the API's order: page size, sort,
//! body filters. Each mistake is an error whose text is the API's message
//! for it (answered as 36009004).

use serde_json::{Map, Value};

use crate::http::request::ApiRequest;
use crate::world::query::{Filter, Query};
use crate::world::status::Status;

/// A checked search: the query, the page size and the page token.
#[derive(Debug)]
pub(crate) struct SearchRequest<'a> {
    pub query: Query,
    pub page_size: u32,
    /// `None` for the first page.
    pub page_token: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SearchError {
    #[error("Invalid param: page_size is required and must be an integer from 1 to 100.")]
    PageSize,
    #[error("Invalid param: sort_field must be create_time or update_time.")]
    SortField,
    #[error("Invalid param: sort_order must be ASC or DESC.")]
    SortOrder,
    #[error("Invalid request body: it is not valid JSON")]
    NotJson(#[source] serde_json::Error),
    #[error("Invalid request body: expected a JSON object")]
    NotAnObject,
    #[error("Invalid param: {0} must be an integer (unix seconds)")]
    NotSeconds(&'static str),
    #[error("Invalid param: {0} must be a string")]
    NotText(&'static str),
    #[error("Invalid param: order_status {0:?} is not a status")]
    UnknownStatus(String),
    #[error("Invalid param: shipping_type must be TIKTOK or SELLER")]
    ShippingType,
    #[error("Invalid param: is_buyer_request_cancel must be a boolean")]
    NotBoolean,
}

impl<'a> SearchRequest<'a> {
    /// The search `request` makes of shop number `shop`.
    pub(crate) fn parse(request: &'a ApiRequest, shop: usize) -> Result<Self, SearchError> {
        let page_size = match request.param("page_size").map(str::parse::<u32>) {
            Some(Ok(size @ 1..=100)) => size,
            _ => return Err(SearchError::PageSize),
        };
        let by_update_time = match request.param("sort_field") {
            None | Some("create_time") => false,
            Some("update_time") => true,
            Some(_) => return Err(SearchError::SortField),
        };
        let descending = match request.param("sort_order") {
            None | Some("DESC") => true,
            Some("ASC") => false,
            Some(_) => return Err(SearchError::SortOrder),
        };
        let query = Query {
            shop,
            filter: parse_filter(&request.body)?,
            by_update_time,
            descending,
        };
        let page_token = request.param("page_token").filter(|t| !t.is_empty());
        Ok(SearchRequest {
            query,
            page_size,
            page_token,
        })
    }
}

/// The body's filters (an empty body means none).
pub(crate) fn parse_filter(body: &[u8]) -> Result<Filter, SearchError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Filter::default());
    }
    let value: Value = serde_json::from_slice(body).map_err(SearchError::NotJson)?;
    let Value::Object(map) = value else {
        return Err(SearchError::NotAnObject);
    };
    let status = match text(&map, "order_status")? {
        None => None,
        Some(s) => Some(Status::parse(&s).ok_or(SearchError::UnknownStatus(s))?),
    };
    let shipping_type = text(&map, "shipping_type")?;
    if shipping_type
        .as_deref()
        .is_some_and(|s| s != "TIKTOK" && s != "SELLER")
    {
        return Err(SearchError::ShippingType);
    }
    let is_buyer_request_cancel = match map.get("is_buyer_request_cancel") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(SearchError::NotBoolean),
    };
    Ok(Filter {
        create_ge: seconds(&map, "create_time_ge")?,
        create_lt: seconds(&map, "create_time_lt")?,
        update_ge: seconds(&map, "update_time_ge")?,
        update_lt: seconds(&map, "update_time_lt")?,
        status,
        shipping_type,
        buyer_user_id: text(&map, "buyer_user_id")?,
        is_buyer_request_cancel,
    })
}

fn seconds(map: &Map<String, Value>, key: &'static str) -> Result<Option<i64>, SearchError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or(SearchError::NotSeconds(key)),
    }
}

fn text(map: &Map<String, Value>, key: &'static str) -> Result<Option<String>, SearchError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(SearchError::NotText(key)),
    }
}

#[test]
fn filters_parse_and_reject_bad_types() {
    let body = br#"{"update_time_ge":1,"update_time_lt":2,"order_status":"COMPLETED"}"#;
    let f = parse_filter(body).unwrap();
    assert_eq!(
        (f.update_ge, f.update_lt, f.status),
        (Some(1), Some(2), Some(Status::Completed))
    );
    assert_eq!(parse_filter(b"").unwrap(), Filter::default());
    let wrong = parse_filter(br#"{"update_time_ge":"1"}"#).unwrap_err();
    assert!(wrong.to_string().contains("update_time_ge"), "{wrong}");
    assert!(matches!(
        parse_filter(br#"{"order_status":"SHIPPED"}"#),
        Err(SearchError::UnknownStatus(_))
    ));
    assert!(matches!(
        parse_filter(b"[1]"),
        Err(SearchError::NotAnObject)
    ));
    let broken = parse_filter(b"{").unwrap_err();
    assert!(
        std::error::Error::source(&broken).is_some(),
        "the JSON error is kept"
    );
}

#[test]
fn page_size_and_sort_are_checked_first() {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method};
    let request = |query: &str, body: &'static str| {
        let body = Bytes::from_static(body.as_bytes());
        ApiRequest::new(Method::POST, "/p", Some(query), HeaderMap::new(), body)
    };
    let bad_size = request("page_size=0", "{");
    assert!(matches!(
        SearchRequest::parse(&bad_size, 0),
        Err(SearchError::PageSize)
    ));
    let bad_sort = request("page_size=5&sort_order=UP", "");
    assert!(matches!(
        SearchRequest::parse(&bad_sort, 0),
        Err(SearchError::SortOrder)
    ));
    let good = request("page_size=5&sort_field=update_time&page_token=", "");
    let search = SearchRequest::parse(&good, 3).unwrap();
    assert_eq!(
        (search.page_size, search.page_token, search.query.shop),
        (5, None, 3)
    );
    assert!(search.query.by_update_time && search.query.descending);
}
