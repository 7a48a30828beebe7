//! Rejects Parquet (transform output): orders that could not be flattened.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::time::timestamp_type;

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("shop_cipher", DataType::Utf8, false),
        Field::new("order_id", DataType::Utf8, true),
        // A short, stable code (the manifest counts by it), e.g. `bad_json`.
        Field::new("reason", DataType::Utf8, false),
        // What exactly was wrong, for a person.
        Field::new("detail", DataType::Utf8, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("rejected_at", timestamp_type(), false),
        Field::new("payload", DataType::LargeUtf8, false),
    ]))
});

pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}
