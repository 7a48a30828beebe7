//! The byte reader's lexing: where it is in the payload, and one token at
//! a time (whitespace, punctuation, keys, strings, numbers, literals), each
//! accepted only as serde_json would accept it.

use std::borrow::Cow;

use crate::source::json::{Json, Number};

/// The fast reader gave up; the serde reader decides.
#[derive(Debug)]
pub(crate) struct Bail;

pub(super) type Step<T = ()> = Result<T, Bail>;

/// The payload and where the reader is in it.
pub(super) struct Text<'a> {
    pub(super) payload: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Text<'a> {
    pub(super) fn new(payload: &'a str) -> Text<'a> {
        Text {
            payload,
            bytes: payload.as_bytes(),
            at: 0,
        }
    }

    /// Only whitespace is left.
    pub(super) fn end(&mut self) -> Step {
        self.whitespace();
        match self.at == self.bytes.len() {
            true => Ok(()),
            false => Err(Bail),
        }
    }

    /// After a member or element: `true` past the `closing` bracket,
    /// `false` past a comma.
    pub(super) fn close(&mut self, closing: u8) -> Step<bool> {
        self.whitespace();
        let closed = match self.peek() {
            Some(b',') => false,
            Some(b) if b == closing => true,
            _ => return Err(Bail),
        };
        self.at += 1;
        Ok(closed)
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    pub(super) fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    pub(super) fn eat(&mut self, byte: u8) -> Step {
        match self.peek() == Some(byte) {
            true => {
                self.at += 1;
                Ok(())
            }
            false => Err(Bail),
        }
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Step {
        match self.bytes[self.at..].starts_with(word) {
            true => {
                self.at += word.len();
                Ok(())
            }
            false => Err(Bail),
        }
    }

    /// A key, after its opening quote: one without escapes only.
    pub(super) fn key(&mut self) -> Step<&'a str> {
        let start = self.at;
        self.at = special(self.bytes, start);
        match self.peek() {
            Some(b'"') => {
                self.at += 1;
                Ok(&self.payload[start..self.at - 1])
            }
            _ => Err(Bail),
        }
    }

    /// A string, null, boolean or number where a column reads a value.
    pub(super) fn scalar(&mut self) -> Step<Json<'a>> {
        match self.peek() {
            Some(b'"') => {
                self.at += 1;
                self.string().map(Json::String)
            }
            Some(b'n') => self.literal(b"null").map(|()| Json::Null),
            Some(b't') => self.literal(b"true").map(|()| Json::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Json::Bool(false)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Bail),
        }
    }

    /// A string's value, after its opening quote: borrowed from the
    /// payload unless it has escapes.
    pub(super) fn string(&mut self) -> Step<Cow<'a, str>> {
        let start = self.at;
        self.at = special(self.bytes, start);
        match self.peek() {
            Some(b'"') => {
                self.at += 1;
                return Ok(Cow::Borrowed(&self.payload[start..self.at - 1]));
            }
            Some(b'\\') => {}
            _ => return Err(Bail),
        }
        let mut value = String::from(&self.payload[start..self.at]);
        loop {
            // At a backslash: the escape letter, then past it.
            self.at += 1;
            let letter = self.peek().ok_or(Bail)?;
            self.at += 1;
            value.push(match letter {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                // Surrogates (pairs or lone) go to serde_json.
                b'u' => char::from_u32(u32::from(self.hex4()?)).ok_or(Bail)?,
                _ => return Err(Bail),
            });
            let run = self.at;
            self.at = special(self.bytes, run);
            value.push_str(&self.payload[run..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(value));
                }
                Some(b'\\') => {}
                _ => return Err(Bail),
            }
        }
    }

    /// Skips a string after its opening quote: escapes checked as serde_json
    /// checks them when it skips (`\u` and four hex digits, any value).
    pub(super) fn skip_string(&mut self) -> Step {
        loop {
            self.at = special(self.bytes, self.at);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek().ok_or(Bail)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            self.at += 1;
                            self.hex4()?;
                        }
                        _ => return Err(Bail),
                    }
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Four hex digits, as serde_json reads them after `\u`.
    pub(super) fn hex4(&mut self) -> Step<u16> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or(Bail)?;
        let mut unit = 0u16;
        for &digit in digits {
            let value = (digit as char).to_digit(16).ok_or(Bail)?;
            unit = unit << 4 | value as u16;
        }
        self.at += 4;
        Ok(unit)
    }

    /// A number as serde_json gives it: plain non-negative integers read
    /// here, any other (negative, fraction, exponent, 20 digits) by
    /// serde_json itself from its text.
    pub(super) fn number(&mut self) -> Step<Json<'a>> {
        let token = self.number_token();
        let plain = token.len() <= 19
            && token.bytes().all(|b| b.is_ascii_digit())
            && (token.len() == 1 || !token.starts_with('0'));
        if plain {
            let value = token
                .bytes()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return Ok(Json::Number(Number::UInt(value)));
        }
        Json::parse(token).map_err(|_| Bail)
    }

    /// The characters a number can be made of, from here.
    pub(super) fn number_token(&mut self) -> &'a str {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.at += 1;
        }
        &self.payload[start..self.at]
    }
}

/// Where the first `"`, `\` or control character at or after `from` is
/// (`bytes.len()` when none): eight bytes a step.
pub(super) fn special(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A byte's high bit is set where it is zero (or below 0x20); the
        // lowest such byte is always a true match.
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word);
        let found = found & HIGH;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_finds_the_first_quote_backslash_or_control_character() {
        for text in [
            "abcdefghijklmnop\"",
            "abc\\defghijklmnop\"",
            "ab\u{1}",
            "héllo wörld, ça va \"",
            "",
            "no end at all, anywhere here",
        ] {
            let expected = text
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(text.len());
            assert_eq!(special(text.as_bytes(), 0), expected, "{text:?}");
        }
        // Bytes just above the bounds are not special.
        assert_eq!(special(b" !#[]^_`\x7f\xc3", 0), 10);
    }
}
