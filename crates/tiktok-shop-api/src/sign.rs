//! Request signing (API reference §1): one function shared by the client,
//! which signs, and the sandbox, which verifies.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature of a request: lower-case hex HMAC-SHA256 over
/// `secret + path + sorted(key + value) + body + secret`, keyed by `secret`.
///
/// `query` holds decoded values; `sign` and `access_token` are skipped.
/// `body` is the exact bytes sent, or `None` for no body and multipart
/// uploads (whose bodies are not signed).
pub fn sign(secret: &str, path: &str, query: &[(&str, &str)], body: Option<&[u8]>) -> String {
    let mut params: Vec<&(&str, &str)> = query
        .iter()
        .filter(|(k, _)| *k != "sign" && *k != "access_token")
        .collect();
    params.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(secret.as_bytes());
    mac.update(path.as_bytes());
    for (key, value) in params {
        mac.update(key.as_bytes());
        mac.update(value.as_bytes());
    }
    if let Some(body) = body {
        mac.update(body);
    }
    mac.update(secret.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a content type's body is left out of the signature.
pub fn is_multipart(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("multipart/form-data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vectors of the API reference, §9.
    #[test]
    fn official_doc_vector() {
        let q = [("app_key", "29a39d"), ("timestamp", "1623812664")];
        assert_eq!(
            sign("e59af819cc", "/authorization/202309/shops", &q, None),
            "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
        );
    }

    #[test]
    fn ecomphp_vector() {
        assert_eq!(
            sign("app_secret", "/test-api", &[("foo", "bar")], None),
            "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
        );
    }

    const SKIT_QUERY: [(&str, &str); 3] = [
        ("app_key", "68xu9ks5p4i8"),
        ("shop_cipher", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"),
        ("timestamp", "1696909648"),
    ];

    #[test]
    fn skit_get_and_post_vectors() {
        let path = "/event/202309/webhooks";
        assert_eq!(
            sign("e59af819cc", path, &SKIT_QUERY, None),
            "ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37"
        );
        let body = br#"{"event_type":"PACKAGE_UPDATE","address":"https://partner.tiktokshop.com"}"#;
        assert_eq!(
            sign("e59af819cc", path, &SKIT_QUERY, Some(body)),
            "701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7"
        );
        let reordered =
            br#"{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}"#;
        assert_eq!(
            sign("e59af819cc", path, &SKIT_QUERY, Some(reordered)),
            "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a"
        );
    }

    #[test]
    fn v1_access_token_in_query_is_ignored() {
        let q = [
            ("app_key", "6abc123def456"),
            ("timestamp", "1717200000"),
            ("shop_cipher", "ROW_TestCipher001"),
            ("ids", "576461413038785752,576461413038785753"),
            ("access_token", "TTP_ignored"),
        ];
        assert_eq!(
            sign("s3cr3t_app_secret_0001", "/order/202309/orders", &q, None),
            "be9040372bb6734562f68822aa617e55513a32c3edbb95aa16873ba33854bc61"
        );
    }

    #[test]
    fn v2_search_page_two_signs_the_decoded_token_and_body() {
        let q = [
            ("app_key", "6abc123def456"),
            ("timestamp", "1717203661"),
            ("shop_cipher", "ROW_TestCipher001"),
            ("page_size", "50"),
            ("sort_field", "update_time"),
            ("sort_order", "ASC"),
            ("page_token", "aGVsbG8+d29y/bGQ="),
        ];
        let body = br#"{"order_status":"AWAITING_SHIPMENT","update_time_ge":1717200000,"update_time_lt":1717203600}"#;
        assert_eq!(
            sign(
                "s3cr3t_app_secret_0001",
                "/order/202309/orders/search",
                &q,
                Some(body)
            ),
            "a96b10e73bb717112fa96a1c154f709daa756745943e4b0f8c070b5bacf6bda3"
        );
    }

    #[test]
    fn v3_exact_body_bytes_with_utf8() {
        let q = [
            ("timestamp", "1717286399"),
            ("page_size", "100"),
            ("app_key", "29a39d"),
            ("shop_cipher", "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3"),
        ];
        let body = "{\"create_time_ge\": 1717200000, \"create_time_lt\": 1717286400, \"buyer_user_id\": \"7213489962827123654\", \"note\": \"caf\u{e9}\"}";
        assert_eq!(
            sign(
                "another-secret-XYZ",
                "/order/202309/orders/search",
                &q,
                Some(body.as_bytes())
            ),
            "6f480ea241ea0db2e12ef18faaeb2b05191874676772cf6c0d15e6705e9e3565"
        );
    }

    #[test]
    fn v4_multipart_body_is_not_signed() {
        assert!(is_multipart("multipart/form-data; boundary=X"));
        assert!(!is_multipart("application/json"));
        let q = [("app_key", "6abc123def456"), ("timestamp", "1717200000")];
        assert_eq!(
            sign(
                "s3cr3t_app_secret_0001",
                "/product/202309/images/upload",
                &q,
                None
            ),
            "a87ecfe8c2dea0746a847a74a2f10872b8861d1e5f1751346643e24fa93a7891"
        );
    }
}
