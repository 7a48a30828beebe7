//! One JSON value to one typed cell, exactly: money from decimal strings
//! without floats, times from unix seconds, text within its column's size.
//!
//! A value that cannot be represented at all (an amount that is not a
//! number) is a [`Bad`] and makes its order a reject. Anything a user would
//! rather have flagged than lost is not: a text longer than its column is
//! cut at a character boundary ([`Converted::Truncated`]); a flag, a time or
//! a number of the wrong type becomes null ([`Converted::Invalid`]). The
//! caller names both in the row's `etl_flags` and counts them.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;

use crate::money;
use crate::schema::staged::Kind;
use crate::source::json::Json;

/// A typed value of one staged column, borrowing text from the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell<'a> {
    Null,
    Text(Cow<'a, str>),
    /// Units of 10^-4 (Decimal128 with scale 4).
    Money(i128),
    /// Milliseconds since the epoch, UTC.
    Time(i64),
    Bool(bool),
    Int(i32),
}

impl Cell<'_> {
    /// The text of a text cell (tests, messages).
    pub fn into_owned_text(self) -> String {
        match self {
            Cell::Text(t) => t.into_owned(),
            other => format!("{other:?}"),
        }
    }

    /// Adds the cell's bytes to what a row's hash (`etl_row_hash`) covers:
    /// tagged by kind and length-prefixed, so no two different rows give
    /// the same bytes.
    pub fn hash_bytes(&self, bytes: &mut Vec<u8>) {
        match self {
            Cell::Null => bytes.push(0),
            Cell::Text(s) => {
                bytes.push(1);
                bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
                bytes.extend_from_slice(s.as_bytes());
            }
            Cell::Money(v) => {
                bytes.push(2);
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            Cell::Time(v) => {
                bytes.push(3);
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            Cell::Bool(b) => bytes.extend_from_slice(&[4, u8::from(*b)]),
            Cell::Int(v) => {
                bytes.push(5);
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// Why a record cannot be staged: a stable reason code for the manifest,
/// and a detail for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    pub reason: &'static str,
    pub detail: String,
}

impl Bad {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Bad {
            reason,
            detail: detail.into(),
        }
    }
}

/// A converted value, and whether it had to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Converted<'a> {
    Cell(Cell<'a>),
    /// A text cut to the column's size.
    Truncated(Cell<'a>),
    /// A value of the wrong type, stored as null.
    Invalid,
}

/// Converts `value` (absent = `None`) for a column of `kind`.
pub fn convert<'a>(
    kind: Kind,
    value: Option<&Json<'a>>,
    column: &str,
) -> Result<Converted<'a>, Bad> {
    let value = match value {
        None | Some(Json::Null) => return Ok(Converted::Cell(Cell::Null)),
        Some(v) => v,
    };
    Ok(match kind {
        Kind::Text(max) => text(value, max),
        Kind::Money => Converted::Cell(money_value(value, column)?),
        Kind::Time => time(value),
        Kind::Bool => match value {
            Json::Bool(b) => Converted::Cell(Cell::Bool(*b)),
            _ => Converted::Invalid,
        },
        Kind::Int => match value {
            Json::Number(n) => match n.as_i64().and_then(|n| i32::try_from(n).ok()) {
                Some(n) => Converted::Cell(Cell::Int(n)),
                None => Converted::Invalid,
            },
            _ => Converted::Invalid,
        },
    })
}

fn text<'a>(value: &Json<'a>, max: u16) -> Converted<'a> {
    let text: Cow<'a, str> = match value {
        Json::String(s) => s.clone(),
        // Ids sometimes arrive as numbers; integers are kept exact.
        Json::Number(n) => Cow::Owned(n.to_string()),
        Json::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        _ => return Converted::Invalid,
    };
    match fit(&text, usize::from(max)) {
        None => Converted::Cell(Cell::Text(text)),
        Some(cut) => Converted::Truncated(Cell::Text(match text {
            Cow::Borrowed(s) => Cow::Borrowed(&s[..cut]),
            Cow::Owned(mut s) => {
                s.truncate(cut);
                Cow::Owned(s)
            }
        })),
    }
}

/// `None` when `text` fits in `max` UTF-16 code units (how NVARCHAR counts);
/// otherwise the byte length of its longest prefix that fits and ends at a
/// grapheme boundary (never inside a surrogate pair, an emoji sequence or
/// between a letter and its combining marks).
pub fn fit(text: &str, max: usize) -> Option<usize> {
    // A UTF-8 string never has more UTF-16 units than bytes.
    if text.len() <= max || text.encode_utf16().count() <= max {
        return None;
    }
    let mut units = 0;
    let mut cut = 0;
    for (start, grapheme) in text.grapheme_indices(true) {
        let width = grapheme.encode_utf16().count();
        if units + width > max {
            break;
        }
        units += width;
        cut = start + grapheme.len();
    }
    Some(cut)
}

fn time<'a>(value: &Json<'a>) -> Converted<'a> {
    let seconds = match value {
        Json::Number(n) => n.as_i64(),
        Json::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    };
    match seconds {
        // 0 is how the API says "not yet".
        Some(0) => Converted::Cell(Cell::Null),
        Some(s) if s > 0 => match s.checked_mul(1000) {
            Some(ms) => Converted::Cell(Cell::Time(ms)),
            None => Converted::Invalid,
        },
        _ => Converted::Invalid,
    }
}

fn money_value<'a>(value: &Json<'a>, column: &str) -> Result<Cell<'a>, Bad> {
    let text: Cow<'_, str> = match value {
        Json::String(s) if s.trim().is_empty() => return Ok(Cell::Null),
        Json::String(s) => Cow::Borrowed(s.as_ref()),
        Json::Number(n) => Cow::Owned(n.to_string()),
        other => {
            return Err(Bad::new(
                "bad_amount",
                format!("{column}: {} is not an amount", other.to_json_text()),
            ));
        }
    };
    money::parse(&text)
        .map(Cell::Money)
        .map_err(|why| Bad::new("bad_amount", format!("{column}: {text:?} {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json<'_> {
        Json::parse(text).unwrap()
    }

    fn cell<'a>(c: Result<Converted<'a>, Bad>) -> Cell<'a> {
        match c.unwrap() {
            Converted::Cell(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cells_follow_their_kind() {
        assert_eq!(
            cell(convert(Kind::Time, Some(&json("1619611561")), "t")),
            Cell::Time(1_619_611_561_000)
        );
        assert_eq!(cell(convert(Kind::Time, Some(&json("0")), "t")), Cell::Null);
        assert_eq!(
            convert(Kind::Time, Some(&json("\"x\"")), "t"),
            Ok(Converted::Invalid)
        );
        assert_eq!(
            cell(convert(Kind::Money, Some(&json("\"\"")), "m")),
            Cell::Null
        );
        assert_eq!(
            cell(convert(Kind::Money, Some(&json("\"21.3\"")), "m")),
            Cell::Money(213_000)
        );
        assert_eq!(
            convert(Kind::Money, Some(&json("\"12,50\"")), "m")
                .unwrap_err()
                .reason,
            "bad_amount"
        );
        assert_eq!(
            convert(Kind::Bool, Some(&json("\"yes\"")), "b"),
            Ok(Converted::Invalid)
        );
        assert_eq!(
            cell(convert(
                Kind::Text(32),
                Some(&json("576461413038785752")),
                "id"
            )),
            Cell::Text("576461413038785752".into())
        );
        assert_eq!(cell(convert(Kind::Text(6), None, "n")), Cell::Null);
        assert_eq!(
            cell(convert(Kind::Int, Some(&json("300")), "i")),
            Cell::Int(300)
        );
        assert_eq!(
            convert(Kind::Int, Some(&json("3000000000")), "i"),
            Ok(Converted::Invalid)
        );
        assert_eq!(
            convert(Kind::Text(6), Some(&json("{}")), "n"),
            Ok(Converted::Invalid)
        );
    }

    #[test]
    fn long_text_is_cut_at_a_grapheme_boundary_in_utf16_units() {
        fn t(value: &'static str, max: u16) -> Converted<'static> {
            convert(Kind::Text(max), Some(&json(value)), "n").unwrap()
        }
        assert_eq!(
            t("\"Nguyễn\"", 6),
            Converted::Cell(Cell::Text("Nguyễn".into()))
        );
        assert_eq!(
            t("\"Nguyễn\"", 3),
            Converted::Truncated(Cell::Text("Ngu".into()))
        );
        // An emoji is two UTF-16 units: never cut in half.
        assert_eq!(
            t("\"a😀b\"", 2),
            Converted::Truncated(Cell::Text("a".into()))
        );
        assert_eq!(
            t("\"a😀b\"", 3),
            Converted::Truncated(Cell::Text("a😀".into()))
        );
        // A letter and its combining accent stay together.
        let combining = "\"xe\u{0301}\u{0301}y\"";
        assert_eq!(
            t(combining, 2),
            Converted::Truncated(Cell::Text("x".into()))
        );
        assert_eq!(
            t(combining, 4),
            Converted::Truncated(Cell::Text("xe\u{0301}\u{0301}".into()))
        );
        // A family emoji joined with ZWJ is one grapheme of 8 units.
        let family = "\"👨\u{200D}👩\u{200D}👧z\"";
        assert_eq!(t(family, 7), Converted::Truncated(Cell::Text("".into())));
        assert_eq!(fit("abc", 3), None);
    }
}
