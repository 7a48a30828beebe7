//! The response envelope `{code, message, request_id, data}` and the `data`
//! of each endpoint we call.
//!
//! Orders are kept as the exact bytes the API sent ([`RawValue`]): the raw
//! Parquet stores them byte for byte, and only the few fields extract needs
//! (`id`, `status`, the times) are read out of them. Ids stay strings.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::secret::Secret;

/// The envelope every endpoint answers with, success or error.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<'a> {
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
}

impl<'a> Envelope<'a> {
    /// `None` when the text is not an envelope at all (an HTML error page).
    pub fn parse(text: &'a str) -> Option<Envelope<'a>> {
        serde_json::from_str::<Envelope>(text)
            .ok()
            .filter(|e| e.code.is_some())
    }
}

/// One page of `POST /order/202309/orders/search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrdersPage {
    /// `request_id` of the page, kept with every order for support tickets.
    pub request_id: String,
    pub orders: Vec<RawOrder>,
    /// `None` on the last page (the API sends an empty string).
    pub next_page_token: Option<String>,
    pub total_count: Option<u64>,
}

/// One order: the fields extract needs, and the object exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOrder {
    /// The order id, a 64-bit number kept as the API's string.
    pub id: String,
    pub status: Option<String>,
    /// Unix seconds.
    pub create_time: Option<i64>,
    /// Unix seconds.
    pub update_time: Option<i64>,
    /// The order object's JSON text, byte for byte as returned.
    pub payload: String,
}

/// A shop the access token may read (`GET /authorization/202309/shops`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AuthorizedShop {
    pub id: String,
    pub name: String,
    /// e.g. `GB`, `US`.
    pub region: String,
    /// `LOCAL` or `CROSS_BORDER`.
    pub seller_type: String,
    /// The shop cipher the order APIs take.
    pub cipher: String,
    pub code: String,
}

/// A token refresh's `data`. The tokens are wrapped at once so that they can
/// never be printed.
#[derive(Debug)]
pub(crate) struct TokenGrant {
    pub access_token: Secret,
    /// Absolute unix time (seconds), not a duration.
    pub access_token_expire_in: Option<i64>,
    pub refresh_token: Option<Secret>,
    pub refresh_token_expire_in: Option<i64>,
}

#[derive(Deserialize)]
struct OrdersData<'a> {
    #[serde(borrow, default)]
    orders: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Deserialize)]
struct OrderHead<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<&'a RawValue>,
    #[serde(borrow, default)]
    create_time: Option<&'a RawValue>,
    #[serde(borrow, default)]
    update_time: Option<&'a RawValue>,
}

pub(crate) fn orders_page(
    request_id: String,
    data: Option<&RawValue>,
) -> Result<OrdersPage, String> {
    let data = data.ok_or("`data` is missing")?;
    let parsed: OrdersData = serde_json::from_str(data.get())
        .map_err(|e| format!("`data` is not an order list: {e}"))?;
    let orders = parsed
        .orders
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, raw)| raw_order(raw).map_err(|e| format!("order #{} of the page: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OrdersPage {
        request_id,
        orders,
        next_page_token: parsed.next_page_token.filter(|t| !t.is_empty()),
        total_count: parsed.total_count,
    })
}

fn raw_order(raw: &RawValue) -> Result<RawOrder, String> {
    let head: OrderHead =
        serde_json::from_str(raw.get()).map_err(|e| format!("not a JSON object: {e}"))?;
    let id = head
        .id
        .and_then(id_text)
        .ok_or("`id` is missing or not a string of digits")?;
    Ok(RawOrder {
        id,
        status: head
            .status
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok()),
        create_time: head.create_time.and_then(seconds),
        update_time: head.update_time.and_then(seconds),
        payload: raw.get().to_owned(),
    })
}

/// An id as text: the API's string, or the digits of a JSON integer (never
/// through a float, which would round 19-digit ids).
fn id_text(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    let id = if text.starts_with('"') {
        serde_json::from_str::<String>(text).ok()?
    } else {
        text.to_owned()
    };
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

/// Unix seconds, from a JSON integer or a string of digits; anything else is
/// left out (the payload still has it).
fn seconds(raw: &RawValue) -> Option<i64> {
    let text = raw.get();
    let digits = if text.starts_with('"') {
        serde_json::from_str::<String>(text).ok()?
    } else {
        text.to_owned()
    };
    digits.parse().ok()
}

pub(crate) fn authorized_shops(data: Option<&RawValue>) -> Result<Vec<AuthorizedShop>, String> {
    #[derive(Deserialize)]
    struct ShopsData {
        #[serde(default)]
        shops: Option<Vec<AuthorizedShop>>,
    }
    let data = data.ok_or("`data` is missing")?;
    let parsed: ShopsData =
        serde_json::from_str(data.get()).map_err(|e| format!("`data` is not a shop list: {e}"))?;
    Ok(parsed.shops.unwrap_or_default())
}

pub(crate) fn token_grant(data: Option<&RawValue>) -> Result<TokenGrant, String> {
    #[derive(Deserialize)]
    struct GrantData {
        access_token: Option<String>,
        access_token_expire_in: Option<i64>,
        refresh_token: Option<String>,
        refresh_token_expire_in: Option<i64>,
    }
    let data = data.ok_or("`data` is missing")?;
    // serde's messages can quote values, and these values are tokens: say
    // only which field is wrong.
    let parsed: GrantData = serde_json::from_str(data.get()).map_err(|_| {
        "`data` does not have access_token (string) and access_token_expire_in (integer)".to_owned()
    })?;
    let access_token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or("`data.access_token` is missing or empty")?;
    Ok(TokenGrant {
        access_token: Secret::new(access_token),
        access_token_expire_in: parsed.access_token_expire_in,
        refresh_token: parsed
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(Secret::new),
        refresh_token_expire_in: parsed.refresh_token_expire_in,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn official_search_sample_keeps_the_order_bytes_and_string_ids() {
        let text = sample("order_202309_orders_search.response.json");
        let envelope = Envelope::parse(&text).unwrap();
        assert_eq!(envelope.code, Some(0));
        let request_id = envelope.request_id.clone().unwrap();
        assert_eq!(request_id, "202203070749000101890810281E8C70B7");
        let page = orders_page(request_id, envelope.data).unwrap();
        assert_eq!(page.total_count, Some(22113));
        assert_eq!(
            page.next_page_token.as_deref(),
            Some(
                "6AsPQsUMvH3RkchNUPPh22NROHkE0D8pmq/N5M1kHYcZmtRyv9aVrNv65W7Q6tFA+7D1ud64MPNz5OaT"
            )
        );
        assert_eq!(page.orders.len(), 1);
        let order = &page.orders[0];
        assert_eq!(order.id, "576461413038785752");
        assert_eq!(order.status.as_deref(), Some("UNPAID"));
        assert_eq!(order.create_time, Some(1619611561));
        assert_eq!(order.update_time, Some(1619621355));
        // The exact bytes of the object in the file: from its `{` to its `}`.
        let start = text
            .find("{\n        \"id\": \"576461413038785752\"")
            .unwrap();
        let end_marker = "\"instore_pickup_sla_time\": 1784090976\n      }";
        let end = text.find(end_marker).unwrap() + end_marker.len();
        assert_eq!(order.payload, &text[start..end]);
        assert!(
            order
                .payload
                .contains("\"first_name_local_script\": \"ジョン\"")
        );
    }

    #[test]
    fn absent_or_empty_orders_and_empty_token_mean_a_last_empty_page() {
        for data in [
            r#"{"total_count":0}"#,
            r#"{"orders":[],"next_page_token":"","total_count":0}"#,
            r#"{"orders":null}"#,
        ] {
            let raw: Box<RawValue> = serde_json::from_str(data).unwrap();
            let page = orders_page("R".into(), Some(&raw)).unwrap();
            assert!(page.orders.is_empty(), "{data}");
            assert_eq!(page.next_page_token, None, "{data}");
        }
        assert!(
            orders_page("R".into(), None)
                .unwrap_err()
                .contains("`data` is missing")
        );
    }

    #[test]
    fn ids_are_never_rounded_and_bad_ids_are_refused() {
        let data = r#"{"orders":[{"id":9223372036854775807,"create_time":"1700000000"},{"id":"576461413038785753"}]}"#;
        let raw: Box<RawValue> = serde_json::from_str(data).unwrap();
        let page = orders_page("R".into(), Some(&raw)).unwrap();
        assert_eq!(page.orders[0].id, "9223372036854775807");
        assert_eq!(page.orders[0].create_time, Some(1700000000));
        assert_eq!(
            page.orders[0].payload,
            r#"{"id":9223372036854775807,"create_time":"1700000000"}"#
        );
        assert_eq!(page.orders[1].id, "576461413038785753");
        for bad in [
            r#"{"orders":[{"status":"UNPAID"}]}"#,
            r#"{"orders":[{"id":5.7e17}]}"#,
            r#"{"orders":[{"id":""}]}"#,
        ] {
            let raw: Box<RawValue> = serde_json::from_str(bad).unwrap();
            let err = orders_page("R".into(), Some(&raw)).unwrap_err();
            assert!(
                err.contains("order #1") && err.contains("`id`"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn error_envelopes_parse_and_non_envelopes_do_not() {
        let text =
            r#"{"code":36009004,"data":null,"message":"Invalid timestamp","request_id":"R9"}"#;
        let e = Envelope::parse(text).unwrap();
        assert_eq!(
            (e.code, e.message.as_deref(), e.request_id.as_deref()),
            (Some(36009004), Some("Invalid timestamp"), Some("R9"))
        );
        assert!(e.data.is_none());
        assert!(Envelope::parse("<html>502 Bad Gateway</html>").is_none());
        assert!(Envelope::parse(r#"{"error":"nope"}"#).is_none());
    }

    #[test]
    fn shops_sample_lists_the_cipher() {
        let text = sample("authorization_202309_shops.response.json");
        let envelope = Envelope::parse(&text).unwrap();
        let shops = authorized_shops(envelope.data).unwrap();
        assert_eq!(
            shops,
            [AuthorizedShop {
                id: "7000714532876273420".into(),
                name: "Maomao beauty shop".into(),
                region: "GB".into(),
                seller_type: "CROSS_BORDER".into(),
                cipher: "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3".into(),
                code: "CNGBCBA4LLU8".into(),
            }]
        );
    }

    #[test]
    fn token_refresh_sample_gives_secret_tokens_and_absolute_expiry() {
        let text = sample("token_refresh.response.json");
        let envelope = Envelope::parse(&text).unwrap();
        let grant = token_grant(envelope.data).unwrap();
        assert!(
            grant
                .access_token
                .expose()
                .starts_with("TTP_Fw8rBwAAAAAkW03F")
        );
        assert_eq!(grant.access_token_expire_in, Some(1660556783));
        assert_eq!(grant.refresh_token_expire_in, Some(1691487031));
        let printed = format!("{grant:?}");
        assert!(!printed.contains("TTP_"), "{printed}");
        let bad: Box<RawValue> = serde_json::from_str(
            r#"{"access_token":"TTP_secret_value","access_token_expire_in":"soon"}"#,
        )
        .unwrap();
        let err = token_grant(Some(&bad)).unwrap_err();
        assert!(!err.contains("TTP_secret_value"), "{err}");
    }
}
