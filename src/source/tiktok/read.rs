//! One order's payload read straight into the plan's slots (`plan.rs`) of
//! an [`Order`] (`order.rs`), without a tree of the whole order: each key
//! is looked up in its kind of object as the text goes by; a value a
//! column reads is kept (its text borrowed from the payload), a value kept
//! as JSON text is kept as the payload has it, an object the plan looks
//! inside is read into the same slots, and any other key is skipped and
//! its path noted.
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

use super::order::{Items, ItemsShape, Order};
use super::plan::{Entry, Finder, Node, Plan};
use crate::source::json::{Json, JsonVisitor};

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
#[path = "read_tests.rs"]
mod tests;
