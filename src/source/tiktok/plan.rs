//! Which JSON keys the staged columns read, worked out once from the column
//! table, so each order is walked once: every key of an order (and of each
//! line item) is looked up in a map to the slot its value goes in, and a key
//! nobody reads is noted as unmapped (how users learn TikTok added a field).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::schema::staged::{COLUMNS, Origin};
use crate::source::json::Json;

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

/// The keys of one kind of object (the order, a line item, `payment`, …).
#[derive(Debug, Default)]
pub(super) struct Node {
    keys: HashMap<&'static str, Entry, BuildHasherDefault<Fnv>>,
}

/// FNV-1a: every key of every order is looked up, and the keys are short
/// and ours (no untrusted input chooses the table's keys), so a simple
/// hash beats the default SipHash, which resists flooding we cannot meet.
#[derive(Debug)]
pub(super) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug)]
enum Entry {
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
    /// The columns an order's own values fill, and those each line item
    /// fills: each row visits only its own.
    pub order_columns: Vec<usize>,
    pub item_columns: Vec<usize>,
    /// The order slot of `recipient_address.district_info`.
    pub district_slot: usize,
}

/// The plan of the staged table.
pub(super) static PLAN: LazyLock<Plan> = LazyLock::new(Plan::new);

impl Plan {
    fn new() -> Plan {
        let mut order = Node::default();
        let mut item = Node::default();
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
        let columns_of = |level: Level| -> Vec<usize> {
            (reads.iter().enumerate())
                .filter(|(_, r)| r.level() == level)
                .map(|(i, _)| i)
                .collect()
        };
        let order_columns = columns_of(Level::Order);
        let item_columns = columns_of(Level::Item);
        Plan {
            order,
            item,
            order_slots,
            item_slots,
            reads,
            order_columns,
            item_columns,
            district_slot,
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
                let entry = self
                    .keys
                    .entry(head)
                    .or_insert_with(|| Entry::Nested(Node::default()));
                match entry {
                    Entry::Nested(node) => node.slot(rest, count),
                    _ => panic!("the column table reads {head} both whole and inside"),
                }
            }
        }
    }

    /// Puts each value of `object` in its slot; every key not in the plan
    /// is added to `unmapped` as a path under `prefix` (e.g. `payment.`),
    /// which is left as it was given.
    pub fn resolve<'o, 'a>(
        &self,
        object: &'o [(std::borrow::Cow<'a, str>, Json<'a>)],
        slots: &mut [Option<&'o Json<'a>>],
        prefix: &mut String,
        unmapped: &mut Vec<String>,
    ) {
        for (key, value) in object {
            match self.keys.get(key.as_ref()) {
                Some(Entry::Slot(slot)) => slots[*slot] = Some(value),
                // A null or odd value where an object was expected: its
                // fields are simply absent.
                Some(Entry::Nested(node)) => {
                    if let Some(inner) = value.as_object() {
                        let outer = prefix.len();
                        prefix.push_str(key);
                        prefix.push('.');
                        node.resolve(inner, slots, prefix, unmapped);
                        prefix.truncate(outer);
                    }
                }
                Some(Entry::Handled) => {}
                None => unmapped.push(format!("{prefix}{key}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_planned_and_unknown_keys_are_named_by_path() {
        let plan = &*PLAN;
        assert_eq!(plan.reads.len(), COLUMNS.len());
        let order = Json::parse(
            r#"{"id":"1","payment":{"tax":"1.2","brand_new_fee":"3"},"line_items":[],"surprise":{"x":1},
                "recipient_address":{"name":"A","district_info":[]}}"#,
        )
        .unwrap();
        let mut slots = vec![None; plan.order_slots];
        let mut unmapped = Vec::new();
        plan.order.resolve(
            order.as_object().unwrap(),
            &mut slots,
            &mut String::new(),
            &mut unmapped,
        );
        assert_eq!(unmapped, ["payment.brand_new_fee", "surprise"]);
        let id_slot = plan
            .reads
            .iter()
            .zip(COLUMNS)
            .find_map(|(r, c)| (c.name == "order_id").then_some(*r));
        let Some(Read::Order(id_slot)) = id_slot else {
            panic!("order_id reads an order slot")
        };
        assert_eq!(slots[id_slot].and_then(Json::as_str), Some("1"));
        assert!(slots[plan.district_slot].is_some());
    }
}
