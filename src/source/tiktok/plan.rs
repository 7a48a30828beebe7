//! Which JSON keys the staged columns read, worked out once from the column
//! table, so each order is walked once: every key of an order (and of each
//! line item) is looked up in a map to the slot its value goes in (or, for
//! a value kept as JSON text, its text slot), and a key nobody reads is
//! noted as unmapped (how users learn TikTok added a field).
//!
//! Objects of one kind list their keys in one order, give or take a missing
//! optional field: each kind of object remembers the keys of the first one
//! read, and a [`Finder`] checks the key expected next before it hashes
//! (`plan/node.rs`).

mod node;

use std::sync::LazyLock;

use crate::schema::staged::{COLUMNS, Column, Origin, index_of};

pub(super) use node::{Entry, Finder, Node};

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
        let mut item = Node::under("line_items[].");
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
        let columns_where = |keep: fn(&Column) -> bool| -> Vec<usize> {
            (COLUMNS.iter().enumerate())
                .filter(|(_, c)| keep(c))
                .map(|(i, _)| i)
                .collect()
        };
        // The order's cells are set once and shared by its rows; a row has
        // its own cell of every other column.
        let order_columns = columns_where(|c| c.origin.is_order());
        let own_columns = columns_where(|c| !c.origin.is_order());
        let place = |column: usize| {
            own_columns
                .iter()
                .position(|&c| c == column)
                .expect("a row's own column")
        };
        let place_of = |read: Read| place(reads.iter().position(|r| *r == read).expect("planned"));
        // Set from the line item; flags and the hash last, over the row.
        let item_columns = (own_columns.iter())
            .filter(|&&c| !matches!(reads[c], Read::Flags | Read::RowHash))
            .map(|&column| (column, place(column)))
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
