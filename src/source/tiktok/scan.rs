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
//!
//! This file walks the structure (objects into slots, line items, values
//! skipped whole); `scan/lex.rs` reads the tokens.

mod lex;

use lex::{Bail, Step, Text};

use super::order::{Items, ItemsShape, Order};
use super::plan::{Entry, Node, Plan};
use crate::source::json::Json;

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

/// Where `line_items` go, at the order's level.
type ItemsTarget<'s, 'a> = (&'s Node, &'s mut Items<'a>, &'s mut Vec<String>);

/// Deepest nesting a skipped value may have here (serde_json has no limit
/// for skipped values; deeper ones go to it).
const MAX_SKIP_DEPTH: u32 = 64;

impl<'a> Text<'a> {
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
