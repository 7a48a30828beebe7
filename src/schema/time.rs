//! The one time type of every stage: UTC milliseconds.

use arrow::datatypes::{DataType, TimeUnit};

/// `Timestamp(Millisecond, "UTC")`: Parquet has no seconds unit, and DuckDB,
/// pandas and Spark read millisecond UTC timestamps as timestamps.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}
