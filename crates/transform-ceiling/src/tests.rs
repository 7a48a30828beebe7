//! The floor's phases on small inputs: what they count, and each error.

use std::sync::Arc;

use arrow::array::{ArrayRef, LargeStringArray, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use tiktok_etl::schema::{raw, staged};

use super::*;
use crate::contract::tests::{ORDERS, staged};

fn raw_batch(payloads: &[&str]) -> RecordBatch {
    let schema = raw::schema();
    let rows = payloads.len();
    let columns = (schema.fields().iter())
        .map(|field| match (field.name().as_str(), field.data_type()) {
            ("payload", _) => Arc::new(LargeStringArray::from(payloads.to_vec())) as ArrayRef,
            // Ids and the shop: any text does.
            (_, DataType::Utf8) => Arc::new(StringArray::from(vec!["x"; rows])),
            (_, other) => arrow::array::new_null_array(other, rows),
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

fn write_file(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut writer =
        ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// The staged rows of the golden orders, split in two files.
fn write_staged(dir: &Path) -> usize {
    let orders: Vec<&str> = ORDERS.lines().collect();
    let (first, second) = orders.split_at(2);
    let (first, second) = (staged(first), staged(second));
    write_file(&dir.join("staged/part-0.parquet"), &first);
    write_file(&dir.join("staged/part-1.parquet"), &second);
    first.num_rows() + second.num_rows()
}

#[test]
fn counts_every_order_row_and_value_it_timed() {
    let dir = tempfile::tempdir().unwrap();
    let payloads = [r#"{"id":"1","line_items":[{"id":"a"}]}"#, "[]", r#""x""#];
    write_file(
        &dir.path().join("raw/shop/part-0.parquet"),
        &raw_batch(&payloads),
    );
    write_file(&dir.path().join("raw/part-1.parquet"), &raw_batch(&["{}"]));
    let rows = write_staged(dir.path());

    let floor = measure(&dir.path().join("raw"), &dir.path().join("staged"), 2).unwrap();
    assert_eq!(floor.orders, 4);
    let bytes: usize = payloads.iter().map(|p| p.len()).sum::<usize>() + 2;
    assert_eq!(floor.payload_bytes, bytes);
    assert_eq!(floor.rows, rows);
    assert_eq!(floor.values, rows * staged::COLUMNS.len());
    assert!(floor.written_bytes > 0, "{floor:?}");
}

#[test]
fn a_payload_that_is_not_json_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        &dir.path().join("raw/part-0.parquet"),
        &raw_batch(&["{}", "{\"a\":"]),
    );
    write_staged(dir.path());
    let error = measure(&dir.path().join("raw"), &dir.path().join("staged"), 2).unwrap_err();
    assert!(
        error.to_string().contains("a payload is not JSON"),
        "{error}"
    );
}

#[test]
fn staged_rows_hashed_otherwise_than_the_contract_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_file(&dir.path().join("raw/part-0.parquet"), &raw_batch(&["{}"]));
    let batch = staged(&ORDERS.lines().collect::<Vec<_>>());
    let hash = staged::index_of("etl_row_hash").unwrap();
    let mut columns = batch.columns().to_vec();
    columns[hash] = Arc::new(StringArray::from(vec!["0".repeat(64); batch.num_rows()]));
    let batch = RecordBatch::try_new(batch.schema(), columns).unwrap();
    write_file(&dir.path().join("staged/part-0.parquet"), &batch);
    let error = measure(&dir.path().join("raw"), &dir.path().join("staged"), 2).unwrap_err();
    let expected = format!("{} rows hash differently", batch.num_rows());
    assert!(error.to_string().contains(&expected), "{error}");
}

#[test]
fn staged_files_without_rows_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_file(&dir.path().join("raw/part-0.parquet"), &raw_batch(&["{}"]));
    let empty = staged(&ORDERS.lines().collect::<Vec<_>>()).slice(0, 0);
    write_file(&dir.path().join("staged/part-0.parquet"), &empty);
    let error = measure(&dir.path().join("raw"), &dir.path().join("staged"), 2).unwrap_err();
    assert!(error.to_string().contains("no staged rows"), "{error}");
}

#[test]
fn empty_directories_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    std::fs::create_dir_all(dir.path().join("staged")).unwrap();
    let error = measure(&dir.path().join("raw"), &dir.path().join("staged"), 1).unwrap_err();
    assert!(error.to_string().contains("no Parquet files"), "{error}");
}
