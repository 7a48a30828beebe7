//! Raw Parquet (extract output): one row per order, the payload kept whole.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::time::timestamp_type;

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("shop_cipher", DataType::Utf8, false),
        Field::new("order_id", DataType::Utf8, false),
        Field::new("order_status", DataType::Utf8, true),
        Field::new("create_time", timestamp_type(), true),
        Field::new("update_time", timestamp_type(), true),
        Field::new("extracted_at", timestamp_type(), true),
        Field::new("request_id", DataType::Utf8, true),
        Field::new("payload", DataType::LargeUtf8, false),
    ]))
});

/// The raw schema (`docs/contracts.md`, "Raw Parquet").
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}
