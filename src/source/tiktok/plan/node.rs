//! One kind of JSON object's keys (the order, a line item, `payment`, …):
//! what each key is for, looked up by a hash made for short keys, and the
//! order such objects usually list them in, checked before any hashing.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// The keys of one kind of object (the order, a line item, `payment`, …),
/// and the path to it that unmapped keys are named under (`payment.`).
#[derive(Debug, Default)]
pub(crate) struct Node {
    entries: Vec<Entry>,
    /// Each key's place in `entries`.
    keys: HashMap<&'static str, usize, BuildHasherDefault<Fnv>>,
    prefix: String,
    usual: OnceLock<Usual>,
}

/// The keys of the first object of a kind read, in its order.
#[derive(Debug)]
struct Usual {
    /// Each key with its place in `entries` (`None`: no column reads it).
    keys: Vec<(Box<str>, Option<usize>)>,
    /// Where each entry's key is among `keys`, if there.
    position: Vec<Option<usize>>,
}

/// FNV-1a, a word at a time: every key of every order is looked up, and
/// the table's keys are short and ours (no untrusted input chooses them),
/// so a simple hash beats the default SipHash, which resists flooding we
/// cannot meet.
#[derive(Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    /// 8 bytes a step (a key takes two or three steps instead of a dozen),
    /// the last few bytes one by one.
    fn write(&mut self, bytes: &[u8]) {
        const PRIME: u64 = 0x0100_0000_01b3;
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            self.0 = (self.0 ^ word).wrapping_mul(PRIME).rotate_left(23);
        }
        for &b in words.remainder() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug)]
pub(crate) enum Entry {
    Slot(usize),
    /// A value kept as JSON text, in this text slot.
    Text(usize),
    Nested(Node),
    /// Read by the flattener itself (`line_items`).
    Handled,
}

impl Node {
    /// The keys of objects found at `prefix` (`line_items[].`).
    pub(super) fn under(prefix: &str) -> Node {
        Node {
            prefix: prefix.to_owned(),
            ..Node::default()
        }
    }

    /// The slot of the value at the `.`-separated `path`, made on first use
    /// with the next number of `count`; `kind` says which kind of slot
    /// (`Entry::Slot` or `Entry::Text`).
    pub(super) fn slot(
        &mut self,
        path: &'static str,
        count: &mut usize,
        kind: fn(usize) -> Entry,
    ) -> usize {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        let Some(rest) = rest else {
            if let Some(known) = self.entry(head) {
                return match (known, kind(0)) {
                    (Entry::Slot(slot), Entry::Slot(_)) | (Entry::Text(slot), Entry::Text(_)) => {
                        *slot
                    }
                    _ => panic!("the column table reads {head} in two ways"),
                };
            }
            *count += 1;
            self.insert(head, kind(*count - 1));
            return *count - 1;
        };
        if self.entry(head).is_none() {
            let prefix = format!("{}{head}.", self.prefix);
            self.insert(
                head,
                Entry::Nested(Node {
                    prefix,
                    ..Node::default()
                }),
            );
        }
        match &mut self.entries[self.keys[head]] {
            Entry::Nested(node) => node.slot(rest, count, kind),
            _ => panic!("the column table reads {head} both whole and inside"),
        }
    }

    pub(super) fn insert(&mut self, key: &'static str, entry: Entry) {
        self.keys.insert(key, self.entries.len());
        self.entries.push(entry);
    }

    /// What `key` of this kind of object is for; `None` when no column
    /// reads it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.keys.get(key).map(|&at| &self.entries[at])
    }

    /// Finds the keys of one object of this kind, one after the other.
    pub fn finder(&self) -> Finder<'_> {
        Finder {
            node: self,
            next: 0,
            seen: self.usual.get().is_none().then(Vec::new),
        }
    }

    /// The path an unmapped `key` of this object is counted under.
    pub fn path_of(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// Finds the keys of one object in the order its kind usually has them,
/// falling back to the table; while its kind has no usual order yet, notes
/// this object's (see [`Finder::finish`]).
pub(crate) struct Finder<'n> {
    node: &'n Node,
    /// Where in the usual order the next key is expected.
    next: usize,
    seen: Option<Vec<(Box<str>, Option<usize>)>>,
}

impl<'n> Finder<'n> {
    /// What the object's next key, `key`, is for (as [`Node::entry`]).
    pub fn find(&mut self, key: &str) -> Option<&'n Entry> {
        let node = self.node;
        if let Some(usual) = node.usual.get() {
            // The expected key, or the one after it (an optional key may
            // be missing).
            for (ahead, (usual_key, at)) in usual.keys.iter().skip(self.next).take(2).enumerate() {
                if **usual_key == *key {
                    self.next += ahead + 1;
                    return at.map(|at| &node.entries[at]);
                }
            }
            // Elsewhere: expect what usually follows it.
            let at = node.keys.get(key).copied()?;
            if let Some(position) = usual.position[at] {
                self.next = position + 1;
            }
            return Some(&node.entries[at]);
        }
        let at = node.keys.get(key).copied();
        if let Some(seen) = &mut self.seen {
            seen.push((key.into(), at));
        }
        at.map(|at| &node.entries[at])
    }

    /// The path an unmapped `key` of the object is counted under.
    pub fn path_of(&self, key: &str) -> String {
        self.node.path_of(key)
    }

    /// Ends the object: its keys become its kind's usual order if it has
    /// none yet (the first object with a key wins: an empty one, such as a
    /// `payment: {}`, teaches nothing; the order only saves time).
    pub fn finish(self) {
        if let Some(keys) = self.seen
            && !keys.is_empty()
        {
            let mut position = vec![None; self.node.entries.len()];
            for (place, (_, at)) in keys.iter().enumerate() {
                if let Some(at) = at {
                    position[*at].get_or_insert(place);
                }
            }
            let _ = self.node.usual.set(Usual { keys, position });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finders_find_the_same_entries_in_any_key_order() {
        let mut node = Node::under("line_items[].");
        let mut count = 0;
        for key in ["id", "sku_id", "product_name", "sale_price", "currency"] {
            node.slot(key, &mut count, Entry::Slot);
        }
        let node = &node;
        let same = |found: Option<&Entry>, key: &str| match (found, node.entry(key)) {
            (None, None) => true,
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            _ => false,
        };
        // An empty object teaches nothing; the next sets the usual order;
        // the others miss keys, add unknown ones, and swap them around.
        let objects: [&[&str]; 6] = [
            &[],
            &["id", "sku_id", "product_name", "sale_price", "currency"],
            &["id", "product_name", "currency"],
            &[
                "id",
                "brand_new",
                "sku_id",
                "sale_price",
                "other",
                "currency",
            ],
            &["currency", "sale_price", "id", "sku_id", "product_name"],
            &[],
        ];
        for keys in objects {
            let mut finder = node.finder();
            for key in keys {
                assert!(same(finder.find(key), key), "{key} in {keys:?}");
            }
            finder.finish();
        }
        let usual: Vec<&str> = (node.usual.get().expect("learned").keys.iter())
            .map(|(key, _)| &**key)
            .collect();
        assert_eq!(
            usual, objects[1],
            "the first object's order with a key is kept"
        );
    }
}
