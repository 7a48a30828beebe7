//! The usual order read without serde: one pass over the payload's bytes
//! straight into the plan's slots, for what nearly every payload is (an
//! object of objects, scalars where columns read, arrays only in
//! `line_items` and in values kept or skipped whole).
//!
//! It accepts only text serde_json accepts, and fills the slots as the
//! serde reader (`read.rs`) does. Anything else it gives up on ([`Bail`]):
//! invalid JSON, a key with an escape, an object or array where a column
//! reads a value, a number it does not parse as plainly as serde_json, a
//! surrogate escape, deep nesting; the serde reader then reads the payload
//! from the start and decides, with its own messages. So this reader needs
//! to be right only where it succeeds; `scan_tests.rs` holds both to the
//! same slots.

use std::borrow::Cow;

use super::plan::{Entry, Node, Plan};
use super::read::{Items, ItemsShape, Order};
use crate::source::json::{Json, Number};

/// The fast reader gave up; the serde reader decides.
#[derive(Debug)]
pub(super) struct Bail;

type Step<T = ()> = Result<T, Bail>;

/// Reads `payload` into the slots of `plan` (as [`Order::read`] does):
/// byte by byte, or with serde_json when the byte reader gives up.
pub(super) fn read<'a>(
    order: &mut Order<'a>,
    plan: &Plan,
    payload: &'a str,
) -> Result<bool, serde_json::Error> {
    order.clear(plan);
    match read_bytes(order, plan, payload) {
        Ok(()) => Ok(true),
        Err(Bail) => order.read(plan, payload),
    }
}

/// Reads `payload` into `order`, which the caller has emptied for `plan`.
pub(super) fn read_bytes<'a>(order: &mut Order<'a>, plan: &Plan, payload: &'a str) -> Step {
    let mut text = Text::new(payload);
    text.whitespace();
    text.eat(b'{')?;
    let Order {
        slots,
        texts,
        items,
        unmapped,
        item_unmapped,
    } = order;
    text.object(
        &plan.order,
        slots,
        texts,
        unmapped,
        Some((&plan.item, items, item_unmapped)),
    )?;
    text.end()
}

/// The payload and where the reader is in it.
struct Text<'a> {
    payload: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// Where `line_items` go, at the order's level.
type ItemsTarget<'s, 'a> = (&'s Node, &'s mut Items<'a>, &'s mut Vec<String>);

/// Deepest nesting a skipped value may have here (serde_json has no limit
/// for skipped values; deeper ones go to it).
const MAX_SKIP_DEPTH: u32 = 64;

impl<'a> Text<'a> {
    fn new(payload: &'a str) -> Text<'a> {
        Text {
            payload,
            bytes: payload.as_bytes(),
            at: 0,
        }
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Step {
        self.whitespace();
        match self.at == self.bytes.len() {
            true => Ok(()),
            false => Err(Bail),
        }
    }

    /// After a member or element: `true` past the `closing` bracket,
    /// `false` past a comma.
    fn close(&mut self, closing: u8) -> Step<bool> {
        self.whitespace();
        let closed = match self.peek() {
            Some(b',') => false,
            Some(b) if b == closing => true,
            _ => return Err(Bail),
        };
        self.at += 1;
        Ok(closed)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Step {
        match self.peek() == Some(byte) {
            true => {
                self.at += 1;
                Ok(())
            }
            false => Err(Bail),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        match self.bytes[self.at..].starts_with(word) {
            true => {
                self.at += word.len();
                Ok(())
            }
            false => Err(Bail),
        }
    }

    /// An object's members, after its `{`, into the slots `node` names.
    fn object(
        &mut self,
        node: &Node,
        slots: &mut [Option<Json<'a>>],
        texts: &mut [Option<&'a str>],
        unmapped: &mut Vec<String>,
        mut items: Option<ItemsTarget<'_, 'a>>,
    ) -> Step {
        let mut finder = node.finder();
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            finder.finish();
            return Ok(());
        }
        loop {
            self.whitespace();
            self.eat(b'"')?;
            let key = self.key()?;
            self.whitespace();
            self.eat(b':')?;
            self.whitespace();
            match finder.find(key) {
                Some(Entry::Slot(slot)) => slots[*slot] = Some(self.scalar()?),
                Some(Entry::Text(slot)) => {
                    let start = self.at;
                    self.skip_value()?;
                    let text = &self.payload[start..self.at];
                    texts[*slot] = (text != "null").then_some(text);
                }
                Some(Entry::Nested(inner)) => match self.peek() {
                    Some(b'{') => {
                        self.at += 1;
                        self.object(inner, slots, texts, unmapped, None)?;
                    }
                    _ => self.literal(b"null")?,
                },
                Some(Entry::Handled) => match &mut items {
                    Some((node, items, unmapped)) if matches!(items.shape, ItemsShape::Absent) => {
                        self.items(node, items, unmapped)?;
                    }
                    _ => self.skip_value()?,
                },
                None => {
                    unmapped.push(finder.path_of(key));
                    self.skip_value()?;
                }
            }
            if self.close(b'}')? {
                finder.finish();
                return Ok(());
            }
        }
    }

    /// `line_items`: null, or an array of objects each read into its own
    /// slots.
    fn items(&mut self, node: &Node, items: &mut Items<'a>, unmapped: &mut Vec<String>) -> Step {
        if self.peek() != Some(b'[') {
            return self.literal(b"null");
        }
        self.at += 1;
        items.shape = ItemsShape::Array { not_object: None };
        self.whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.whitespace();
            self.eat(b'{')?;
            let start = items.slots.len();
            items.slots.resize(start + items.width, None);
            let text_start = items.texts.len();
            items.texts.resize(text_start + items.text_width, None);
            self.object(
                node,
                &mut items.slots[start..],
                &mut items.texts[text_start..],
                unmapped,
                None,
            )?;
            items.count += 1;
            if self.close(b']')? {
                return Ok(());
            }
        }
    }

    /// A key, after its opening quote: one without escapes only.
    fn key(&mut self) -> Step<&'a str> {
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
    fn scalar(&mut self) -> Step<Json<'a>> {
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
    fn string(&mut self) -> Step<Cow<'a, str>> {
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

    /// Four hex digits, as serde_json reads them after `\u`.
    fn hex4(&mut self) -> Step<u16> {
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
    fn number(&mut self) -> Step<Json<'a>> {
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
    fn number_token(&mut self) -> &'a str {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.at += 1;
        }
        &self.payload[start..self.at]
    }

    /// Skips one value, checking it as serde_json checks a value it skips
    /// (any depth of nesting here up to [`MAX_SKIP_DEPTH`]).
    fn skip_value(&mut self) -> Step {
        // One bit per open container: set for an array.
        let mut open: u64 = 0;
        let mut depth = 0u32;
        loop {
            // A value.
            match self.peek().ok_or(Bail)? {
                b'"' => {
                    self.at += 1;
                    self.skip_string()?;
                }
                b'n' => self.literal(b"null")?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'-' | b'0'..=b'9' => {
                    if !is_number(self.number_token().as_bytes()) {
                        return Err(Bail);
                    }
                }
                bracket @ (b'[' | b'{') => {
                    if depth == MAX_SKIP_DEPTH {
                        return Err(Bail);
                    }
                    self.at += 1;
                    let array = bracket == b'[';
                    open = open << 1 | u64::from(array);
                    depth += 1;
                    self.whitespace();
                    let close = if array { b']' } else { b'}' };
                    // An empty one is closed below, as a value would be.
                    if self.peek() != Some(close) {
                        if !array {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                _ => return Err(Bail),
            }
            // After a value (or an empty container's opening): close what
            // ends here, then a comma leads to the next value.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let array = open & 1 == 1;
                self.whitespace();
                match (self.peek(), array) {
                    (Some(b']'), true) | (Some(b'}'), false) => {
                        self.at += 1;
                        open >>= 1;
                        depth -= 1;
                    }
                    (Some(b','), _) => {
                        self.at += 1;
                        self.whitespace();
                        if !array {
                            self.member_key()?;
                            self.whitespace();
                        }
                        break;
                    }
                    _ => return Err(Bail),
                }
            }
        }
    }

    /// A member's key and colon inside a skipped object.
    fn member_key(&mut self) -> Step {
        self.eat(b'"')?;
        self.skip_string()?;
        self.whitespace();
        self.eat(b':')?;
        self.whitespace();
        Ok(())
    }

    /// Skips a string after its opening quote: escapes checked as serde_json
    /// checks them when it skips (`\u` and four hex digits, any value).
    fn skip_string(&mut self) -> Step {
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
}

/// Where the first `"`, `\` or control character at or after `from` is
/// (`bytes.len()` when none): eight bytes a step.
fn special(bytes: &[u8], from: usize) -> usize {
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

/// Whether `token` is a JSON number: `-`? (`0` | [1-9][0-9]*) (`.`[0-9]+)?
/// ([eE][+-]?[0-9]+)?.
fn is_number(token: &[u8]) -> bool {
    let digits = |from: usize| {
        token[from.min(token.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut at = usize::from(token.first() == Some(&b'-'));
    match token.get(at) {
        Some(b'0') => at += 1,
        Some(b'1'..=b'9') => at += digits(at),
        _ => return false,
    }
    if token.get(at) == Some(&b'.') {
        let n = digits(at + 1);
        if n == 0 {
            return false;
        }
        at += 1 + n;
    }
    if let Some(b'e' | b'E') = token.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = token.get(at) {
            at += 1;
        }
        let n = digits(at);
        if n == 0 {
            return false;
        }
        at += n;
    }
    at == token.len()
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

    #[test]
    fn numbers_follow_the_json_grammar() {
        for good in ["0", "-0", "12", "1.5", "-0.25e+3", "1E9", "10e-2"] {
            assert!(is_number(good.as_bytes()), "{good}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.2.3", "--1", "1-2",
        ] {
            assert!(!is_number(bad.as_bytes()), "{bad}");
        }
    }
}
