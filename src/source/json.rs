//! An order's JSON as a tree that borrows from the payload text.
//!
//! `serde_json::Value` copies every string and keeps objects in maps; an
//! order has a hundred fields, most of them short strings read once. This
//! tree borrows every string that has no escape, keeps objects as the list
//! of pairs the text has (the flattener looks keys up through a plan made
//! once, see `plan.rs`). Values kept whole as JSON text (item taxes,
//! package ids) are not parsed into it: the reader keeps their text as the
//! payload has it.

use std::borrow::Cow;
use std::fmt;
use std::io::Write as _;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// The number as JSON would write it (integers exact).
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    UInt(u64),
    Float(f64),
}

impl Number {
    /// The number as an `i64` when its JSON text is one (what parsing its
    /// [`Display`](fmt::Display) text as an `i64` gives, without the text).
    pub fn as_i64(&self) -> Option<i64> {
        // 2^53: below it every integer is an f64 and printed as itself.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        match *self {
            Number::Int(n) => Some(n),
            Number::UInt(n) => i64::try_from(n).ok(),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < EXACT => Some(f as i64),
            // Rare: printed with the fewest digits that read back as f.
            Number::Float(_) => self.to_string().parse().ok(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(n) => write!(f, "{n}"),
            Number::UInt(n) => write!(f, "{n}"),
            // Rust prints the shortest text that reads back as the same f64.
            Number::Float(n) => write!(f, "{n}"),
        }
    }
}

impl<'a> Json<'a> {
    /// Parses `text` (one JSON value).
    pub fn parse(text: &'a str) -> Result<Json<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Json<'a>)]> {
        match self {
            Json::Object(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The first value of `key` in an object.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.as_object()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// Compact JSON text of the value.
    pub fn to_json_text(&self) -> String {
        let mut out = Vec::new();
        self.write(&mut out);
        // Only UTF-8 went in; the fallback cannot happen.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Json::Number(n) => {
                let _ = write!(out, "{n}");
            }
            // serde_json escapes exactly as JSON requires, straight into `out`.
            Json::String(s) => {
                let _ = serde_json::to_writer(&mut *out, s.as_ref());
            }
            Json::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Json::Object(pairs) => {
                out.push(b'{');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let _ = serde_json::to_writer(&mut *out, key.as_ref());
                    out.push(b':');
                    value.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Json<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json<'a>, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Builds a [`Json`] of whatever value comes (for readers that keep a
/// value whole, or name it in a message).
pub(crate) struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Number::Int(n)))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Number::UInt(n)))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Number::Float(n)))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        // Orders are read into slots (`tiktok/read.rs`); what comes here is
        // small (a district entry, an item tax): grown from a few pairs, it
        // stays in the allocator's fast per-thread cache.
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(key) = map.next_key::<Key<'de>>()? {
            pairs.push((key.0, map.next_value()?));
        }
        Ok(Json::Object(pairs))
    }
}

/// An object key, borrowed when it has no escape.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> de::Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'a>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Whether `text` is one JSON value (cheap check used by tests).
#[cfg(test)]
fn is_json(text: &str) -> bool {
    serde_json::from_str::<&serde_json::value::RawValue>(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_borrow_unless_escaped_and_numbers_stay_exact() {
        let text = r#"{"id":"576461413038785752","n":9223372036854775807,"f":12.5,"s":"caf\u00e9","a":[1,{"b":null}],"t":true}"#;
        let json = Json::parse(text).unwrap();
        assert!(matches!(
            json.get("id"),
            Some(Json::String(Cow::Borrowed("576461413038785752")))
        ));
        assert!(matches!(json.get("s"), Some(Json::String(Cow::Owned(s))) if s == "café"));
        assert_eq!(
            json.get("n"),
            Some(&Json::Number(Number::UInt(9223372036854775807)))
        );
        assert_eq!(
            json.get("f").map(|v| v.to_json_text()).as_deref(),
            Some("12.5")
        );
        assert_eq!(json.get("a").unwrap().to_json_text(), r#"[1,{"b":null}]"#);
        assert_eq!(json.get("missing"), None);
        assert!(is_json(&json.to_json_text()));
        assert!(Json::parse("{not json").is_err());
    }

    #[test]
    fn a_number_is_an_i64_exactly_when_its_text_parses_as_one() {
        let numbers = [
            "0",
            "-0",
            "1619611561",
            "-5",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "18446744073709551615",
            "1619611561.0",
            "1619611561.5",
            "-0.0",
            "1e3",
            "1e19",
            "-9.223372036854775808e18",
            "9.223372036854775807e18",
            "0.1",
            "123456789012345678901234567890",
        ];
        for text in numbers {
            let Json::Number(n) = Json::parse(text).unwrap() else {
                panic!("{text} is a number")
            };
            assert_eq!(n.as_i64(), n.to_string().parse::<i64>().ok(), "{text}");
        }
    }
}
