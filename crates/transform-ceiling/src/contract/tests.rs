//! The contract's phases against transform's own flattener.

use arrow::array::{
    BooleanArray, Decimal128Array, Int32Array, StringArray, TimestampMillisecondArray,
};
use tiktok_etl::source::tiktok::{Scratch, TikTokOrders};
use tiktok_etl::source::{Flattener, Notes, RowContext};
use tiktok_etl::transform::Pii;

use super::*;

/// The golden test's hand-checked orders (non-ASCII text, several line
/// items, unknown fields).
pub const ORDERS: &str = include_str!("../../../../tests/golden/tricky_orders.raw.jsonl");

/// The staged rows transform's flattener makes of `payloads`, as a batch
/// of the staged schema.
pub fn staged(payloads: &[&str]) -> RecordBatch {
    let (pii, none) = (Pii::Keep, vec![false; COLUMNS.len()]);
    let context = RowContext {
        run_id: "run-1",
        shop_cipher: "GCP_shop",
        pii: &pii,
        pii_columns: &none,
    };
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for payload in payloads {
        let mut scratch = Scratch::default();
        let mut notes = Notes::new(COLUMNS.len());
        let flat = TikTokOrders
            .flatten(payload, &context, &mut notes, &mut scratch)
            .expect("the golden orders flatten");
        rows.extend((0..flat.len()).map(|r| {
            (0..COLUMNS.len())
                .map(|c| flat.cell(r, c).clone())
                .collect()
        }));
    }
    let schema = staged::schema();
    let columns = (schema.fields().iter().enumerate())
        .map(|(c, field)| -> ArrayRef {
            let cells = rows.iter().map(|row| &row[c]);
            match field.data_type() {
                DataType::Utf8 => Arc::new(StringArray::from_iter(cells.map(|v| match v {
                    Cell::Text(t) => Some(t.to_string()),
                    _ => None,
                }))),
                DataType::Decimal128(p, s) => Arc::new(
                    Decimal128Array::from_iter(cells.map(|v| match v {
                        Cell::Money(m) => Some(*m),
                        _ => None,
                    }))
                    .with_precision_and_scale(*p, *s)
                    .unwrap(),
                ),
                DataType::Timestamp(_, zone) => Arc::new(
                    TimestampMillisecondArray::from_iter(cells.map(|v| match v {
                        Cell::Time(t) => Some(*t),
                        _ => None,
                    }))
                    .with_timezone_opt(zone.clone()),
                ),
                DataType::Boolean => Arc::new(BooleanArray::from_iter(cells.map(|v| match v {
                    Cell::Bool(b) => Some(*b),
                    _ => None,
                }))),
                _ => Arc::new(Int32Array::from_iter(cells.map(|v| match v {
                    Cell::Int(i) => Some(*i),
                    _ => None,
                }))),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

fn golden() -> RecordBatch {
    staged(&ORDERS.lines().collect::<Vec<_>>())
}

#[test]
fn fill_copies_every_value() {
    let batch = golden();
    assert!(batch.num_rows() >= 4, "{} rows", batch.num_rows());
    assert_eq!(copy_batch(&batch).unwrap(), batch);
    assert_eq!(
        fill(&batch).unwrap(),
        batch.num_rows() * batch.num_columns()
    );
}

#[test]
fn hash_is_the_row_hash_transform_writes() {
    let batch = golden();
    assert_eq!(hash(&gather(&batch).unwrap()).unwrap(), 0);
    // One line item's name changed: that row's hash no longer matches.
    let name = staged::index_of("item_name").unwrap();
    let mut names: Vec<Option<String>> = (batch.column(name).as_string::<i32>().iter())
        .map(|v| v.map(str::to_owned))
        .collect();
    names[1] = Some("changed".to_owned());
    let mut columns = batch.columns().to_vec();
    columns[name] = Arc::new(StringArray::from(names));
    let changed = RecordBatch::try_new(batch.schema(), columns).unwrap();
    assert_eq!(hash(&gather(&changed).unwrap()).unwrap(), 1);
    // An order's column changed (on each of its rows): every row of it.
    let ids = batch
        .column(staged::index_of("order_id").unwrap())
        .as_string::<i32>();
    let last = ids.value(ids.len() - 1);
    let rows = ids.iter().filter(|v| *v == Some(last)).count();
    assert!(rows >= 2, "the last golden order has several line items");
    let status = staged::index_of("order_status").unwrap();
    let statuses: Vec<Option<String>> = (batch.column(status).as_string::<i32>().iter())
        .enumerate()
        .map(|(row, v)| match ids.value(row) == last {
            true => Some("CHANGED".to_owned()),
            false => v.map(str::to_owned),
        })
        .collect();
    let mut columns = batch.columns().to_vec();
    columns[status] = Arc::new(StringArray::from(statuses));
    let changed = RecordBatch::try_new(batch.schema(), columns).unwrap();
    assert_eq!(hash(&gather(&changed).unwrap()).unwrap(), rows);
}

#[test]
fn rows_not_of_the_staged_schema_are_an_error() {
    let batch = golden();
    let Err(error) = gather(&batch.project(&[0, 1]).unwrap()) else {
        panic!("gathered rows of another schema")
    };
    assert!(error.to_string().contains("staged schema"), "{error}");
}
