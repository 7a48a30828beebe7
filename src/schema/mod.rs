//! The Arrow schemas that are the contract between the stages
//! (`docs/contracts.md`, "Parquet schemas").
//!
//! Each is built once ([`raw::schema`], [`staged::schema`],
//! [`rejects::schema`]) and checked on every write and every read by
//! [`check`], whose error names exactly what differs ([`diff`]).

pub mod diff;
pub mod raw;
pub mod rejects;
pub mod staged;
mod time;

use arrow::datatypes::Schema;

pub use time::timestamp_type;

#[derive(Debug, thiserror::Error)]
#[error(
    "{what} does not have the expected schema: {}; re-run the stage that wrote it with this version of the tool",
    differences.join("; ")
)]
pub struct SchemaError {
    pub what: String,
    pub differences: Vec<String>,
}

/// Compares `actual` to `expected` by column name, type and nullability.
pub fn check(what: &str, expected: &Schema, actual: &Schema) -> Result<(), SchemaError> {
    let columns = |schema: &Schema| -> Vec<diff::Column> {
        schema
            .fields()
            .iter()
            .map(|f| diff::Column {
                name: f.name().clone(),
                type_name: f.data_type().to_string(),
                nullable: f.is_nullable(),
            })
            .collect()
    };
    let differences = diff::differences(&columns(expected), &columns(actual), diff::Rules::ARROW);
    if differences.is_empty() {
        Ok(())
    } else {
        Err(SchemaError {
            what: what.to_owned(),
            differences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field};

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
        assert!(err.contains("file.parquet"), "{err}");
        assert!(err.contains("missing columns: c"), "{err}");
        assert!(err.contains("unexpected columns: z"), "{err}");
        assert!(err.contains("b is Int64, expected Int32"), "{err}");
        assert!(err.contains("a is NULL, expected NOT NULL"), "{err}");
        assert!(check("same", &expected, &expected).is_ok());
    }
}
