//! Which copy of each order to keep.
//!
//! The same order can arrive more than once in a run (a page boundary moved
//! while paging, overlapping windows). The newest `update_time` wins; among
//! equally new copies, the last one read. A first pass reads only the id and
//! time columns, so the payloads are read once, in the second pass.

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMillisecondType;
use futures::TryStreamExt;

use crate::manifest::FileEntry;
use crate::schema::raw;
use crate::store::{Store, StoreError, parquet_io};

/// An order id as a map key: TikTok's ids are up to 19 digits, which fit a
/// `u64` (8 bytes instead of a heap string); anything else is kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Number(u64),
    Text(Box<str>),
}

impl Key {
    fn of(id: &str) -> Key {
        let digits = !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit());
        // A leading zero would make "01" and "1" one key.
        match id.parse::<u64>() {
            Ok(n) if digits && !(id.len() > 1 && id.starts_with('0')) => Key::Number(n),
            _ => Key::Text(id.into()),
        }
    }
}

/// For every raw row, in file order then row order: keep it or not.
///
/// Every copy is noted as (id, time, position) in one vector sized from
/// the manifest's row counts (24 bytes a copy, no hash table to grow and
/// rehash), then sorted: the last copy of each id is the newest, and among
/// equally new ones the last read.
pub async fn newest_copies(store: &Store, files: &[&FileEntry]) -> Result<Vec<bool>, StoreError> {
    let rows: u64 = files.iter().map(|f| f.rows).sum();
    let mut numbered: Vec<(u64, i64, usize)> = Vec::with_capacity(rows as usize);
    let mut named: Vec<(Box<str>, i64, usize)> = Vec::new();
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
                match Key::of(ids.value(row)) {
                    Key::Number(id) => numbered.push((id, time, position)),
                    Key::Text(id) => named.push((id, time, position)),
                }
                position += 1;
            }
        }
    }
    let mut keep = vec![false; position];
    mark_newest(&mut numbered, &mut keep);
    mark_newest(&mut named, &mut keep);
    Ok(keep)
}

/// Marks the newest copy of each id in `copies` (id, time, position).
fn mark_newest<K: Ord>(copies: &mut [(K, i64, usize)], keep: &mut [bool]) {
    copies.sort_unstable();
    for copies_of_one in copies.chunk_by(|a, b| a.0 == b.0) {
        if let Some((_, _, at)) = copies_of_one.last() {
            keep[*at] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_are_numbers_and_others_stay_distinct() {
        assert_eq!(
            Key::of("576461413038785752"),
            Key::Number(576461413038785752)
        );
        assert_eq!(
            Key::of("18446744073709551615"),
            Key::Text("18446744073709551615".into())
        );
        assert_ne!(Key::of("01"), Key::of("1"));
        assert_eq!(Key::of("x-1"), Key::Text("x-1".into()));
        assert_eq!(Key::of(""), Key::Text("".into()));
    }

    #[test]
    fn the_newest_copy_wins_and_among_equals_the_last_read() {
        let mut copies = vec![
            (1u64, 5, 0),
            (2, 3, 1),
            (1, 7, 2),
            (1, 7, 3),
            (2, 3, 4),
            (3, i64::MIN, 5),
        ];
        let mut keep = vec![false; 6];
        mark_newest(&mut copies, &mut keep);
        assert_eq!(keep, [false, false, false, true, true, true]);
    }
}
