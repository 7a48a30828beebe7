//! Which copy of each order to keep.
//!
//! The same order can arrive more than once in a run (a page boundary moved
//! while paging, overlapping windows). The newest `update_time` wins; among
//! equally new copies, the last one read. A first pass reads only the id and
//! time columns, so the payloads are read once, in the second pass.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMillisecondType;
use futures::TryStreamExt;

use crate::manifest::FileEntry;
use crate::schema::raw;
use crate::store::{Store, StoreError, parquet_io};

/// For every raw row, in file order then row order: keep it or not.
pub async fn newest_copies(store: &Store, files: &[&FileEntry]) -> Result<Vec<bool>, StoreError> {
    let mut newest: HashMap<String, (i64, usize)> = HashMap::new();
    let mut position = 0usize;
    for file in files {
        let mut batches = parquet_io::read_projected(
            store,
            &file.path,
            &raw::schema(),
            Some(&["order_id", "update_time"]),
        )
        .await?;
        while let Some(batch) = batches.try_next().await? {
            let ids = batch.column(0).as_string::<i32>();
            let times = batch.column(1).as_primitive::<TimestampMillisecondType>();
            for row in 0..batch.num_rows() {
                let time = if times.is_null(row) {
                    i64::MIN
                } else {
                    times.value(row)
                };
                let id = ids.value(row);
                match newest.get_mut(id) {
                    Some(best) if best.0 > time => {}
                    Some(best) => *best = (time, position),
                    None => {
                        newest.insert(id.to_owned(), (time, position));
                    }
                }
                position += 1;
            }
        }
    }
    let mut keep = vec![false; position];
    for (_, at) in newest.into_values() {
        keep[at] = true;
    }
    Ok(keep)
}
