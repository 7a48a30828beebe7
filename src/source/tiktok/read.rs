//! One order's payload read straight into the plan's slots (`plan.rs`),
//! without a tree of the whole order: each key is looked up in its kind of
//! object as the text goes by; a value a column reads is kept (its text
//! borrowed from the payload), a value kept as JSON text is kept as the
//! payload has it, an object the plan looks inside is read into the same
//! slots, and any other key is skipped and its path noted.
//!
//! The buffers are kept from one order to the next, so reading an order
//! allocates only for what the payload cannot lend (text with escapes).
//!
//! This is the serde reader: `scan.rs` reads the usual payload (all of the
//! benchmark's) byte by byte into the same slots, and hands this reader
//! whatever it gives up on.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::plan::{Entry, Finder, Node, Plan};
use crate::source::json::{Json, JsonVisitor};

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
    /// Reads `payload` into the slots of `plan` with serde_json: `Ok(false)`
    /// when it is JSON but not an object.
    pub fn read(&mut self, plan: &Plan, payload: &'a str) -> Result<bool, serde_json::Error> {
        self.clear(plan);
        let mut deserializer = serde_json::Deserializer::from_str(payload);
        let shape = Fields {
            node: &plan.order,
            slots: &mut self.slots,
            texts: &mut self.texts,
            unmapped: &mut self.unmapped,
            items: Some(ItemsSeed {
                node: &plan.item,
                items: &mut self.items,
                unmapped: &mut self.item_unmapped,
            }),
        }
        .deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(matches!(shape, Shape::Object))
    }

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

/// What a value read as an object turned out to be.
enum Shape<'a> {
    Object,
    /// Not an object: the value, for a message that names it.
    Other(Json<'a>),
}

/// Reads an object's keys into `slots` as `node` says.
struct Fields<'s, 'a> {
    node: &'s Node,
    slots: &'s mut [Option<Json<'a>>],
    texts: &'s mut [Option<&'a str>],
    unmapped: &'s mut Vec<String>,
    /// Where `line_items` goes (the order's own keys only).
    items: Option<ItemsSeed<'s, 'a>>,
}

impl<'de> DeserializeSeed<'de> for Fields<'_, 'de> {
    type Value = Shape<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Shape<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Builds each scalar (and null) with [`JsonVisitor`], as the visitor's
/// value `From` it: the kinds a reader of objects or arrays does not expect.
macro_rules! scalars {
    () => {
        scalars! {
            visit_unit();
            visit_bool(v: bool);
            visit_i64(v: i64);
            visit_u64(v: u64);
            visit_f64(v: f64);
            visit_borrowed_str(v: &'de str);
            visit_str(v: &str);
            visit_string(v: String);
        }
    };
    ($($method:ident($($arg:ident: $ty:ty)?);)*) => {
        $(fn $method<E: de::Error>(self $(, $arg: $ty)?) -> Result<Self::Value, E> {
            JsonVisitor.$method($($arg)?).map(Self::Value::from)
        })*
    };
}

impl<'de> From<Json<'de>> for Shape<'de> {
    fn from(value: Json<'de>) -> Shape<'de> {
        Shape::Other(value)
    }
}

impl<'de> Visitor<'de> for Fields<'_, 'de> {
    type Value = Shape<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Shape<'de>, A::Error> {
        let mut finder = self.node.finder();
        while let Some(key) = map.next_key_seed(KeySeed(&mut finder))? {
            match key {
                Key::Known(Entry::Slot(slot)) => self.slots[*slot] = Some(map.next_value()?),
                Key::Known(Entry::Text(slot)) => {
                    let text = map.next_value::<&'de RawValue>()?.get();
                    self.texts[*slot] = (text != "null").then_some(text);
                }
                // A null or odd value where an object was expected: its
                // fields are simply absent.
                Key::Known(Entry::Nested(node)) => {
                    map.next_value_seed(Fields {
                        node,
                        slots: &mut *self.slots,
                        texts: &mut *self.texts,
                        unmapped: &mut *self.unmapped,
                        items: None,
                    })?;
                }
                // The first `line_items` counts, as a lookup would find it.
                Key::Known(Entry::Handled) => match &mut self.items {
                    Some(items) if matches!(items.items.shape, ItemsShape::Absent) => {
                        items.items.shape = map.next_value_seed(items.reborrow())?;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
                Key::Unknown(path) => {
                    self.unmapped.push(path);
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        finder.finish();
        Ok(Shape::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shape<'de>, A::Error> {
        JsonVisitor.visit_seq(seq).map(Shape::Other)
    }

    scalars!();
}

/// An object key: what the plan does with it, or its path when nothing.
enum Key<'s> {
    Known(&'s Entry),
    Unknown(String),
}

struct KeySeed<'f, 's>(&'f mut Finder<'s>);

impl<'de, 's> DeserializeSeed<'de> for KeySeed<'_, 's> {
    type Value = Key<'s>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'s>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 's> Visitor<'de> for KeySeed<'_, 's> {
    type Value = Key<'s>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'s>, E> {
        Ok(match self.0.find(key) {
            Some(entry) => Key::Known(entry),
            None => Key::Unknown(self.0.path_of(key)),
        })
    }
}

/// Reads `line_items`: each element into its own slots.
struct ItemsSeed<'s, 'a> {
    node: &'s Node,
    items: &'s mut Items<'a>,
    unmapped: &'s mut Vec<String>,
}

impl<'a> ItemsSeed<'_, 'a> {
    fn reborrow(&mut self) -> ItemsSeed<'_, 'a> {
        ItemsSeed {
            node: self.node,
            items: &mut *self.items,
            unmapped: &mut *self.unmapped,
        }
    }
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, 'de> {
    type Value = ItemsShape<'de>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<ItemsShape<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> From<Json<'de>> for ItemsShape<'de> {
    fn from(value: Json<'de>) -> ItemsShape<'de> {
        match value {
            Json::Null => ItemsShape::Absent,
            other => ItemsShape::Other(other),
        }
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, 'de> {
    type Value = ItemsShape<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemsShape<'de>, A::Error> {
        let items = self.items;
        let mut not_object = None;
        loop {
            let start = items.slots.len();
            items.slots.resize(start + items.width, None);
            let text_start = items.texts.len();
            items.texts.resize(text_start + items.text_width, None);
            let fields = Fields {
                node: self.node,
                slots: &mut items.slots[start..],
                texts: &mut items.texts[text_start..],
                unmapped: &mut *self.unmapped,
                items: None,
            };
            match seq.next_element_seed(fields)? {
                None => {
                    items.slots.truncate(start);
                    items.texts.truncate(text_start);
                    break;
                }
                Some(Shape::Object) => {}
                Some(Shape::Other(value)) => {
                    not_object.get_or_insert((items.count, value));
                }
            }
            items.count += 1;
        }
        Ok(ItemsShape::Array { not_object })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ItemsShape<'de>, A::Error> {
        JsonVisitor.visit_map(map).map(ItemsShape::Other)
    }

    scalars!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::staged::{COLUMNS, index_of};
    use crate::source::tiktok::plan::{PLAN, Read};

    #[test]
    fn values_kept_as_json_are_kept_as_sent() {
        let plan = &*PLAN;
        let column = |name| index_of(name).expect("the table keeps it as JSON");
        let (Read::OrderJson(packages), Read::ItemJson(item_tax)) = (
            plan.reads[column("package_ids")],
            plan.reads[column("item_tax")],
        ) else {
            panic!("kept as JSON text")
        };
        let mut order = Order::default();
        let payload = r#"{"packages": [ {"id": "1\u00e9", "n": 1.50} ],
            "line_items":[{"id":"7","item_tax":null},{"id":"8","item_tax":[{"tax_amount":"1"}]}]}"#;
        assert!(order.read(plan, payload).unwrap());
        assert_eq!(
            order.texts[packages],
            Some(r#"[ {"id": "1\u00e9", "n": 1.50} ]"#),
            "spaces, escapes and digits as the payload has them"
        );
        assert_eq!(order.item(0).1[item_tax], None, "null is absent");
        assert_eq!(order.item(1).1[item_tax], Some(r#"[{"tax_amount":"1"}]"#));
        // Only the syntax is checked: a number no f64 holds is kept too.
        assert!(order.read(plan, r#"{"packages":[1e400]}"#).unwrap());
        assert_eq!(order.texts[packages], Some("[1e400]"));
    }

    #[test]
    fn values_go_to_their_slots_and_unknown_keys_are_named_by_path() {
        let plan = &*PLAN;
        let mut order = Order::default();
        let payload = r#"{"id":"1","payment":{"tax":"1.2","brand_new_fee":"3"},"line_items":[{"id":"7","x":[1]},{"id":"8","x":2}],"surprise":{"x":1},
                "recipient_address":{"name":"A","district_info":[]}}"#;
        assert!(order.read(plan, payload).unwrap());
        assert_eq!(order.unmapped, ["payment.brand_new_fee", "surprise"]);
        assert_eq!(order.item_unmapped, ["line_items[].x", "line_items[].x"]);
        assert_eq!(order.items.count, 2);
        assert!(matches!(
            order.items.shape,
            ItemsShape::Array { not_object: None }
        ));
        let slots = &order.slots;
        let id_slot = plan
            .reads
            .iter()
            .zip(COLUMNS)
            .find_map(|(r, c)| (c.name == "order_id").then_some(*r));
        let Some(Read::Order(id_slot)) = id_slot else {
            panic!("order_id reads an order slot")
        };
        assert_eq!(slots[id_slot].as_ref().and_then(Json::as_str), Some("1"));
        assert_eq!(order.texts[plan.district_text], Some("[]"));
        let item_id = |item| {
            let Read::Item(slot) = plan.reads[plan.own_columns[plan.item_id]] else {
                panic!("item_id reads an item slot")
            };
            order.item(item).0[slot].as_ref().and_then(Json::as_str)
        };
        assert_eq!((item_id(0), item_id(1)), (Some("7"), Some("8")));

        assert!(!order.read(plan, "[1]").unwrap(), "not an object");
        assert!(
            order.read(plan, r#"{"id":"1"} x"#).is_err(),
            "text after the value"
        );
        order
            .read(plan, r#"{"line_items":[{"id":"1"},3,"a"],"line_items":7}"#)
            .unwrap();
        assert_eq!(order.items.count, 3);
        assert!(
            matches!(
                &order.items.shape,
                ItemsShape::Array {
                    not_object: Some((1, Json::Number(_)))
                }
            ),
            "the first line_items counts; its first element not an object is named"
        );
        order.read(plan, r#"{"line_items":{"id":"1"}}"#).unwrap();
        assert!(matches!(
            &order.items.shape,
            ItemsShape::Other(Json::Object(_))
        ));
        order
            .read(plan, r#"{"line_items":null,"payment":7}"#)
            .unwrap();
        assert!(matches!(&order.items.shape, ItemsShape::Absent));
        assert!(
            order.slots.iter().all(Option::is_none) && order.texts.iter().all(Option::is_none),
            "slots start empty each time"
        );
    }
}
