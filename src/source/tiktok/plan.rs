//! Which JSON keys the staged columns read, worked out once from the column
//! table, so each order is walked once: every key of an order (and of each
//! line item) is looked up in a map to the slot its value goes in (or, for
//! a value kept as JSON text, its text slot), and a key nobody reads is
//! noted as unmapped (how users learn TikTok added a field).
//!
//! Objects of one kind list their keys in one order, give or take a missing
//! optional field: each kind of object remembers the keys of the first one
//! read, and a [`Finder`] checks the key expected next before it hashes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{LazyLock, OnceLock};

use crate::schema::staged::{COLUMNS, Origin, index_of};

/// How each column's value is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    RunId,
    Shop,
    /// The order's value in this slot, converted to the column's kind.
    Order(usize),
    /// The line item's value in this slot.
    Item(usize),
    /// The JSON text of the order's value in this text slot.
    OrderJson(usize),
    ItemJson(usize),
    /// The `address_name` of the district entry of this level.
    District(&'static str),
    /// The sum of `item_tax[].tax_amount` (the item's `item_tax` text slot).
    ItemTaxTotal(usize),
    UnitQuantity,
    Flags,
    RowHash,
}

/// Which cells a column's value is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Once per order, shared by its rows.
    Order,
    /// In each line item's row.
    Item,
    /// Last, over the finished row (flags, hash).
    Row,
}

impl Read {
    fn level(self) -> Level {
        match self {
            Read::Order(_) | Read::OrderJson(_) | Read::District(_) => Level::Order,
            Read::Item(_)
            | Read::ItemJson(_)
            | Read::ItemTaxTotal(_)
            | Read::RunId
            | Read::Shop
            | Read::UnitQuantity => Level::Item,
            Read::Flags | Read::RowHash => Level::Row,
        }
    }
}

/// The keys of one kind of object (the order, a line item, `payment`, …),
/// and the path to it that unmapped keys are named under (`payment.`).
#[derive(Debug, Default)]
pub(super) struct Node {
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
pub(super) struct Fnv(u64);

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
pub(super) enum Entry {
    Slot(usize),
    /// A value kept as JSON text, in this text slot.
    Text(usize),
    Nested(Node),
    /// Read by the flattener itself (`line_items`).
    Handled,
}

#[derive(Debug)]
pub(super) struct Plan {
    pub order: Node,
    pub item: Node,
    pub order_slots: usize,
    pub item_slots: usize,
    pub order_texts: usize,
    pub item_texts: usize,
    /// One per column of [`COLUMNS`], in order.
    pub reads: Vec<Read>,
    /// The columns an order's own values fill, once per order.
    pub order_columns: Vec<usize>,
    /// The columns a row has its own cell of (its line item's, its flags
    /// and hash), in table order: a row holds only these.
    pub own_columns: Vec<usize>,
    /// The columns each line item fills, with their place in its row.
    pub item_columns: Vec<(usize, usize)>,
    /// The order's text slot of `recipient_address.district_info`.
    pub district_text: usize,
    /// The places in a row of the item id, the flags and the hash.
    pub item_id: usize,
    pub flags: usize,
    pub hash: usize,
    /// The places in a row its hash covers. The hash covers every content
    /// column (not the run id, not the hash itself): the order's columns,
    /// hashed once per order, then these.
    pub hashed_own: Vec<usize>,
}

/// The plan of the staged table.
pub(super) static PLAN: LazyLock<Plan> = LazyLock::new(Plan::new);

impl Plan {
    fn new() -> Plan {
        let mut order = Node::default();
        let mut item = Node {
            prefix: "line_items[].".to_owned(),
            ..Node::default()
        };
        let (mut order_slots, mut item_slots) = (0, 0);
        let (mut order_texts, mut item_texts) = (0, 0);
        let slot = |node: &mut Node, count: &mut usize, path| node.slot(path, count, Entry::Slot);
        let text = |node: &mut Node, count: &mut usize, path| node.slot(path, count, Entry::Text);
        let district_text = text(
            &mut order,
            &mut order_texts,
            "recipient_address.district_info",
        );
        let reads: Vec<Read> = COLUMNS
            .iter()
            .map(|c| match c.origin {
                Origin::RunId => Read::RunId,
                Origin::Shop => Read::Shop,
                Origin::Order(path) => Read::Order(slot(&mut order, &mut order_slots, path)),
                Origin::Item(path) => Read::Item(slot(&mut item, &mut item_slots, path)),
                Origin::OrderJson(path) => {
                    Read::OrderJson(text(&mut order, &mut order_texts, path))
                }
                Origin::ItemJson(path) => Read::ItemJson(text(&mut item, &mut item_texts, path)),
                Origin::District(level) => Read::District(level),
                Origin::ItemTaxTotal => {
                    Read::ItemTaxTotal(text(&mut item, &mut item_texts, "item_tax"))
                }
                Origin::UnitQuantity => Read::UnitQuantity,
                Origin::Flags => Read::Flags,
                Origin::RowHash => Read::RowHash,
            })
            .collect();
        order.insert("line_items", Entry::Handled);
        let columns_where = |keep: fn(Level) -> bool| -> Vec<usize> {
            (reads.iter().enumerate())
                .filter(|(_, r)| keep(r.level()))
                .map(|(i, _)| i)
                .collect()
        };
        let order_columns = columns_where(|level| level == Level::Order);
        let own_columns = columns_where(|level| level != Level::Order);
        let place = |column: usize| {
            own_columns
                .iter()
                .position(|&c| c == column)
                .expect("a row's own column")
        };
        let place_of = |read: Read| place(reads.iter().position(|r| *r == read).expect("planned"));
        let item_columns = (columns_where(|level| level == Level::Item).into_iter())
            .map(|column| (column, place(column)))
            .collect();
        let hashed_own = (own_columns.iter().enumerate())
            .filter(|(_, c)| !matches!(reads[**c], Read::RunId | Read::RowHash))
            .map(|(place, _)| place)
            .collect();
        Plan {
            item_id: place(index_of("item_id").expect("the table has item_id")),
            flags: place_of(Read::Flags),
            hash: place_of(Read::RowHash),
            order,
            item,
            order_slots,
            item_slots,
            order_texts,
            item_texts,
            reads,
            order_columns,
            item_columns,
            own_columns,
            district_text,
            hashed_own,
        }
    }
}

impl Node {
    /// The slot of the value at the `.`-separated `path`, made on first use
    /// with the next number of `count`; `kind` says which kind of slot
    /// (`Entry::Slot` or `Entry::Text`).
    fn slot(&mut self, path: &'static str, count: &mut usize, kind: fn(usize) -> Entry) -> usize {
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

    fn insert(&mut self, key: &'static str, entry: Entry) {
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
pub(super) struct Finder<'n> {
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
    fn every_column_is_planned_and_keys_are_found_by_path() {
        let plan = &*PLAN;
        assert_eq!(plan.reads.len(), COLUMNS.len());
        assert_eq!(
            plan.order_columns.len() + plan.own_columns.len(),
            COLUMNS.len()
        );
        assert!(matches!(plan.order.entry("id"), Some(Entry::Slot(_))));
        assert!(matches!(
            plan.order.entry("line_items"),
            Some(Entry::Handled)
        ));
        let Some(Entry::Nested(payment)) = plan.order.entry("payment") else {
            panic!("payment is read inside")
        };
        assert!(matches!(payment.entry("tax"), Some(Entry::Slot(_))));
        assert_eq!(payment.path_of("new_fee"), "payment.new_fee");
        assert_eq!(plan.item.path_of("new_flag"), "line_items[].new_flag");
        assert!(plan.order.entry("surprise").is_none());
        assert_eq!(plan.own_columns[plan.item_id], index_of("item_id").unwrap());
        assert!(
            !plan.hashed_own.contains(&plan.hash),
            "the hash does not cover itself"
        );
    }

    #[test]
    fn finders_find_the_same_entries_in_any_key_order() {
        let plan = Plan::new();
        let node = &plan.item;
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
