//! What one order's payload holds, by slot: the values the columns read
//! and the texts kept whole, for the order and for each of its line items.
//! Both readers fill it (`read.rs`, `scan.rs`); the flattener reads it.

use super::plan::Plan;
use crate::source::json::Json;

/// What one order's payload holds, by slot.
#[derive(Debug, Default)]
pub(super) struct Order<'a> {
    pub slots: Vec<Option<Json<'a>>>,
    /// The JSON text of each value kept as text, by text slot (`None`:
    /// absent or null).
    pub texts: Vec<Option<&'a str>>,
    pub items: Items<'a>,
    /// Paths of the order's keys no column reads, one per key met.
    pub unmapped: Vec<String>,
    /// The same for line items' keys (`line_items[].…`), one per item.
    pub item_unmapped: Vec<String>,
}

/// The order's `line_items`.
#[derive(Debug, Default)]
pub(super) struct Items<'a> {
    /// The slots of each line item (`width` of them), one item after the
    /// other; the same for text slots.
    pub(super) slots: Vec<Option<Json<'a>>>,
    pub(super) width: usize,
    pub(super) texts: Vec<Option<&'a str>>,
    pub(super) text_width: usize,
    pub count: usize,
    pub shape: ItemsShape<'a>,
}

#[derive(Debug, Default)]
pub(super) enum ItemsShape<'a> {
    /// No `line_items`, or null.
    #[default]
    Absent,
    /// An array; the first of its elements that is not an object, if any,
    /// with its position.
    Array {
        not_object: Option<(usize, Json<'a>)>,
    },
    /// Something else, kept for the message.
    Other(Json<'a>),
}

impl<'a> Order<'a> {
    /// Empties the slots for an order of `plan` (buffers kept).
    pub(super) fn clear(&mut self, plan: &Plan) {
        self.slots.clear();
        self.slots.resize(plan.order_slots, None);
        self.texts.clear();
        self.texts.resize(plan.order_texts, None);
        self.items.slots.clear();
        self.items.width = plan.item_slots;
        self.items.texts.clear();
        self.items.text_width = plan.item_texts;
        self.items.count = 0;
        self.items.shape = ItemsShape::Absent;
        self.unmapped.clear();
        self.item_unmapped.clear();
    }

    /// The slots and text slots of line item `index` (below
    /// [`Items::count`]).
    pub fn item(&self, index: usize) -> (&[Option<Json<'a>>], &[Option<&'a str>]) {
        let (width, text_width) = (self.items.width, self.items.text_width);
        (
            &self.items.slots[index * width..(index + 1) * width],
            &self.items.texts[index * text_width..(index + 1) * text_width],
        )
    }
}
