//! One JSON value to one typed cell, exactly: money from decimal strings
//! without floats, times from unix seconds, text within its column's limit.

use serde_json::Value;

use crate::money;
use crate::schema::staged::Kind;

/// A typed value of one staged column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Text(String),
    /// Units of 10^-4 (Decimal128 with scale 4).
    Money(i128),
    /// Milliseconds since the epoch, UTC.
    Time(i64),
    Bool(bool),
    Int(i32),
}

/// Why a value could not become a cell: a stable reason code for the
/// manifest, and a detail for people.
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

/// Converts `value` (absent = `None`) for a column of `kind`.
pub fn convert(kind: Kind, value: Option<&Value>, column: &str) -> Result<Cell, Bad> {
    let value = match value {
        None | Some(Value::Null) => return Ok(Cell::Null),
        Some(v) => v,
    };
    match kind {
        Kind::Text(max) => text(value, column, max),
        Kind::Money => money_value(value, column),
        Kind::Time => time(value, column),
        Kind::Bool => match value {
            Value::Bool(b) => Ok(Cell::Bool(*b)),
            other => Err(Bad::new(
                "bad_bool",
                format!("{column}: {other} is not true or false"),
            )),
        },
        Kind::Int => match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => Ok(Cell::Int(n)),
            None => Err(Bad::new(
                "bad_int",
                format!("{column}: {value} is not a 32-bit integer"),
            )),
        },
    }
}

fn text(value: &Value, column: &str, max: u16) -> Result<Cell, Bad> {
    let text = match value {
        Value::String(s) => s.clone(),
        // Ids sometimes arrive as numbers; serde_json keeps integers exact.
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => {
            return Err(Bad::new(
                "bad_text",
                format!("{column}: expected text, got {other}"),
            ));
        }
    };
    // NVARCHAR(n) counts UTF-16 code units: an emoji takes two.
    let units = text.encode_utf16().count();
    if units > usize::from(max) {
        return Err(Bad::new(
            "text_too_long",
            format!("{column}: {units} UTF-16 code units, the column holds {max}"),
        ));
    }
    Ok(Cell::Text(text))
}

fn time(value: &Value, column: &str) -> Result<Cell, Bad> {
    let seconds = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    };
    match seconds {
        // 0 is how the API says "not yet".
        Some(0) => Ok(Cell::Null),
        Some(s) if s > 0 => s
            .checked_mul(1000)
            .map(Cell::Time)
            .ok_or_else(|| Bad::new("bad_time", format!("{column}: {s} is out of range"))),
        _ => Err(Bad::new(
            "bad_time",
            format!("{column}: {value} is not a unix time in seconds"),
        )),
    }
}

fn money_value(value: &Value, column: &str) -> Result<Cell, Bad> {
    let text = match value {
        Value::String(s) if s.trim().is_empty() => return Ok(Cell::Null),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(Bad::new(
                "bad_amount",
                format!("{column}: {other} is not an amount"),
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
    use serde_json::json;

    #[test]
    fn cells_follow_their_kind() {
        assert_eq!(
            convert(Kind::Time, Some(&json!(1619611561)), "t"),
            Ok(Cell::Time(1_619_611_561_000))
        );
        assert_eq!(convert(Kind::Time, Some(&json!(0)), "t"), Ok(Cell::Null));
        assert_eq!(
            convert(Kind::Time, Some(&json!("x")), "t")
                .unwrap_err()
                .reason,
            "bad_time"
        );
        assert_eq!(convert(Kind::Money, Some(&json!("")), "m"), Ok(Cell::Null));
        assert_eq!(
            convert(Kind::Money, Some(&json!("12,50")), "m")
                .unwrap_err()
                .reason,
            "bad_amount"
        );
        assert_eq!(
            convert(Kind::Bool, Some(&json!("yes")), "b")
                .unwrap_err()
                .reason,
            "bad_bool"
        );
        assert_eq!(
            convert(Kind::Text(32), Some(&json!(576461413038785752u64)), "id"),
            Ok(Cell::Text("576461413038785752".into()))
        );
        assert_eq!(
            convert(Kind::Text(3), Some(&json!("Nguyễn")), "n")
                .unwrap_err()
                .reason,
            "text_too_long"
        );
        assert_eq!(
            convert(Kind::Text(6), Some(&json!("Nguyễn")), "n"),
            Ok(Cell::Text("Nguyễn".into()))
        );
        assert_eq!(convert(Kind::Text(6), None, "n"), Ok(Cell::Null));
        assert_eq!(
            convert(Kind::Text(3), Some(&json!("a😀")), "n"),
            Ok(Cell::Text("a😀".into()))
        );
        assert_eq!(
            convert(Kind::Text(2), Some(&json!("a😀")), "n")
                .unwrap_err()
                .reason,
            "text_too_long"
        );
    }
}
