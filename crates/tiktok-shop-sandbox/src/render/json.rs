//! A small JSON text writer for the orders the sandbox serves.
//!
//! Building `serde_json::Value` trees for ten thousand orders, copying them
//! into an envelope and printing them cost more than everything else the
//! sandbox does (tens of ms per page in debug builds, where tests run).
//! Writing the text directly keeps paging fast and keeps fields in the
//! order they were written, as in the API's own responses.

use std::fmt::Write;

/// A JSON object being written.
#[derive(Debug)]
pub(crate) struct Obj {
    text: String,
    first: bool,
}

impl Obj {
    pub(crate) fn new() -> Self {
        Obj {
            text: String::from("{"),
            first: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.text.push(',');
        }
        self.first = false;
        push_quoted(&mut self.text, key);
        self.text.push(':');
    }

    pub(crate) fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        push_quoted(&mut self.text, value);
    }

    pub(crate) fn int(&mut self, key: &str, value: i64) {
        self.key(key);
        let _ = write!(self.text, "{value}");
    }

    pub(crate) fn bool(&mut self, key: &str, value: bool) {
        self.key(key);
        self.text.push_str(if value { "true" } else { "false" });
    }

    /// A value that is JSON text already (an object or array).
    pub(crate) fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.text.push_str(json);
    }

    pub(crate) fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    pub(crate) fn opt_int(&mut self, key: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.int(key, value);
        }
    }

    pub(crate) fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// A JSON array of values that are JSON text already.
pub(crate) fn array<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut text = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(item.as_ref());
    }
    text.push(']');
    text
}

fn push_quoted(text: &mut String, value: &str) {
    text.push('"');
    let mut start = 0;
    for (i, byte) in value.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1F => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, so both slices end on char boundaries.
        text.push_str(&value[start..i]);
        if escaped.is_empty() {
            let _ = write!(text, "\\u{byte:04x}");
        } else {
            text.push_str(escaped);
        }
        start = i + 1;
    }
    text.push_str(&value[start..]);
    text.push('"');
}

#[cfg(test)]
use serde_json::{Value, json};

#[test]
fn writes_valid_json_in_field_order() {
    let mut o = Obj::new();
    o.str("name", "Nguyễn \"An\"\n\u{1}");
    o.int("n", -5);
    o.bool("ok", true);
    o.opt_str("absent", None);
    o.opt_int("t", Some(7));
    o.raw("list", &array([r#""a""#, "1"]));
    o.raw("empty", &array(Vec::<String>::new()));
    let text = o.finish();
    assert!(text.starts_with(r#"{"name":"#));
    let value: Value = serde_json::from_str(&text).unwrap();
    let expected = json!({"name": "Nguyễn \"An\"\n\u{1}", "n": -5, "ok": true, "t": 7, "list": ["a", 1], "empty": []});
    assert_eq!(value, expected);
    assert_eq!(Obj::new().finish(), "{}");
}
