//! Which JSON keys the staged columns read, worked out once from the column
//! table, so each order is walked once: every key of an order (and of each
//! line item) is looked up in a map to the slot its value goes in, and a key
//! nobody reads is noted as unmapped (how users learn TikTok added a field).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

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
    /// The JSON text of the order's value in this slot.
    OrderJson(usize),
    ItemJson(usize),
    /// The `address_name` of the district entry of this level.
    District(&'static str),
    /// The sum of `item_tax[].tax_amount` (the item's `item_tax` slot).
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
    keys: HashMap<&'static str, Entry, BuildHasherDefault<Fnv>>,
    prefix: String,
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
    /// One per column of [`COLUMNS`], in order.
    pub reads: Vec<Read>,
    /// The columns an order's own values fill, once per order.
    pub order_columns: Vec<usize>,
    /// The columns a row has its own cell of (its line item's, its flags
    /// and hash), in table order: a row holds only these.
    pub own_columns: Vec<usize>,
    /// The columns each line item fills, with their place in its row.
    pub item_columns: Vec<(usize, usize)>,
    /// The order slot of `recipient_address.district_info`.
    pub district_slot: usize,
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
        let mut order_slots = 0;
        let mut item_slots = 0;
        let slot = |node: &mut Node, count: &mut usize, path: &'static str| node.slot(path, count);
        let district_slot = slot(
            &mut order,
            &mut order_slots,
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
                    Read::OrderJson(slot(&mut order, &mut order_slots, path))
                }
                Origin::ItemJson(path) => Read::ItemJson(slot(&mut item, &mut item_slots, path)),
                Origin::District(level) => Read::District(level),
                Origin::ItemTaxTotal => {
                    Read::ItemTaxTotal(slot(&mut item, &mut item_slots, "item_tax"))
                }
                Origin::UnitQuantity => Read::UnitQuantity,
                Origin::Flags => Read::Flags,
                Origin::RowHash => Read::RowHash,
            })
            .collect();
        order.keys.insert("line_items", Entry::Handled);
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
            reads,
            order_columns,
            item_columns,
            own_columns,
            district_slot,
            hashed_own,
        }
    }
}

impl Node {
    /// The slot of the value at the `.`-separated `path`, made on first use.
    fn slot(&mut self, path: &'static str, count: &mut usize) -> usize {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        match rest {
            None => match self.keys.get(head) {
                Some(Entry::Slot(slot)) => *slot,
                _ => {
                    let slot = *count;
                    *count += 1;
                    self.keys.insert(head, Entry::Slot(slot));
                    slot
                }
            },
            Some(rest) => {
                let prefix = format!("{}{head}.", self.prefix);
                let entry = self.keys.entry(head).or_insert_with(|| {
                    Entry::Nested(Node {
                        prefix,
                        ..Node::default()
                    })
                });
                match entry {
                    Entry::Nested(node) => node.slot(rest, count),
                    _ => panic!("the column table reads {head} both whole and inside"),
                }
            }
        }
    }

    /// What `key` of this kind of object is for; `None` when no column
    /// reads it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.keys.get(key)
    }

    /// The path an unmapped `key` of this object is counted under.
    pub fn path_of(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
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
}
