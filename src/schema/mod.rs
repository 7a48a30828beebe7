//! The Arrow schemas that are the contract between the stages.
//!
//! Each is built once ([`raw::schema`], [`staged::schema`],
//! [`rejects::schema`]) and checked on every write and every read by
//! [`check`], whose error names exactly what differs.

pub mod raw;
pub mod rejects;
pub mod staged;

use arrow::datatypes::{DataType, Schema};

#[derive(Debug, thiserror::Error)]
#[error("{what} does not have the expected schema: {}; re-run the stage that wrote it with this version of the tool", differences.join("; "))]
pub struct SchemaError {
    pub what: String,
    pub differences: Vec<String>,
}

/// Compares `actual` to `expected` by column name, type and nullability.
/// Field order is not checked: readers look columns up by name.
pub fn check(what: &str, expected: &Schema, actual: &Schema) -> Result<(), SchemaError> {
    let mut missing = Vec::new();
    let mut mistyped = Vec::new();
    for field in expected.fields() {
        match actual.field_with_name(field.name()) {
            Err(_) => missing.push(field.name().as_str()),
            Ok(found) if found.data_type() != field.data_type() => mistyped.push(format!(
                "{} is {}, expected {}",
                field.name(),
                found.data_type(),
                field.data_type()
            )),
            Ok(found) if found.is_nullable() && !field.is_nullable() => {
                mistyped.push(format!("{} is nullable, expected not null", field.name()))
            }
            Ok(_) => {}
        }
    }
    let extra: Vec<&str> = actual
        .fields()
        .iter()
        .filter(|f| expected.field_with_name(f.name()).is_err())
        .map(|f| f.name().as_str())
        .collect();
    let mut differences = Vec::new();
    if !missing.is_empty() {
        differences.push(format!("missing columns: {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        differences.push(format!("unexpected columns: {}", extra.join(", ")));
    }
    if !mistyped.is_empty() {
        differences.push(format!("mistyped: {}", mistyped.join(", ")));
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(SchemaError {
            what: what.to_owned(),
            differences,
        })
    }
}

/// The UTC millisecond timestamp type every time column uses.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, Some("UTC".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;

    #[test]
    fn check_names_missing_extra_and_mistyped_columns() {
        let expected = Schema::new(vec![
            Field::new("a", DataType::Utf8, false),
            Field::new("b", DataType::Int32, true),
            Field::new("c", DataType::Utf8, false),
        ]);
        let actual = Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("b", DataType::Int64, true),
            Field::new("z", DataType::Utf8, true),
        ]);
        let err = check("file.parquet", &expected, &actual)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing columns: c"), "{err}");
        assert!(err.contains("unexpected columns: z"), "{err}");
        assert!(err.contains("b is Int64, expected Int32"), "{err}");
        assert!(err.contains("a is nullable, expected not null"), "{err}");
        assert!(check("same", &expected, &expected).is_ok());
    }
}
