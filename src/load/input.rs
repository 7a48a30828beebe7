//! The staged rows of a run, read from the store and checked on the way to
//! the database.
//!
//! A task streams the `order_lines` files the transform manifest lists
//! through a small channel, so memory stays flat however large the run is.
//! Every batch is checked before it is sent: rows must belong to this run,
//! (order_id, item_id) must be unique, and every value must fit its table
//! column. The checks are the same for every backend, so SQLite and SQL
//! Server refuse the same input with the same message. The receiving side
//! only accepts "done" from the reader itself: a reader that dies midway can
//! never make a partial load look complete.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use arrow::array::{Array, RecordBatch};
use futures::TryStreamExt;
use tokio::sync::mpsc;

use super::columns::{StagedColumns, Values};
use super::error::LoadError;
use crate::money;
use crate::schema::staged::{self, COLUMNS, Kind};
use crate::store::{Store, parquet_io};

/// Batches in flight between the reader and the database.
const CHANNEL_BATCHES: usize = 4;

/// The earliest and latest times both DATETIME2 and the ISO text form hold
/// (0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z).
pub(crate) const MIN_TIME_MS: i64 = -62_135_596_800_000;
pub(crate) const MAX_TIME_MS: i64 = 253_402_300_799_999;

enum Message {
    Batch(RecordBatch),
    Done,
}

/// The receiving end: batches, then `Ok(None)` once the reader has finished.
pub(crate) struct StagedRows {
    rx: mpsc::Receiver<Result<Message, LoadError>>,
}

impl StagedRows {
    pub async fn next(&mut self) -> Result<Option<RecordBatch>, LoadError> {
        Self::unpack(self.rx.recv().await)
    }

    /// [`StagedRows::next`] for a blocking thread (SQLite).
    pub fn blocking_next(&mut self) -> Result<Option<RecordBatch>, LoadError> {
        Self::unpack(self.rx.blocking_recv())
    }

    fn unpack(
        message: Option<Result<Message, LoadError>>,
    ) -> Result<Option<RecordBatch>, LoadError> {
        match message {
            Some(Ok(Message::Batch(batch))) => Ok(Some(batch)),
            Some(Ok(Message::Done)) => Ok(None),
            Some(Err(e)) => Err(e),
            None => Err(LoadError::task(
                "the staged files reader stopped before the end",
            )),
        }
    }
}

/// Starts reading `files` (store paths of staged Parquet files) of `run_id`.
pub(crate) fn read(store: Store, files: Vec<String>, run_id: String) -> StagedRows {
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    tokio::spawn(async move {
        let mut checks = Checks::new(run_id);
        let result: Result<(), LoadError> = async {
            for file in &files {
                let mut batches = parquet_io::read(&store, file, &staged::schema()).await?;
                while let Some(batch) = batches.try_next().await? {
                    checks.check(&StagedColumns::new(&batch)?, file)?;
                    if tx.send(Ok(Message::Batch(batch))).await.is_err() {
                        return Ok(()); // The loader stopped; its error is the one to report.
                    }
                }
            }
            Ok(())
        }
        .await;
        // A send fails only when the loader has already given up.
        let _ = tx.send(result.map(|()| Message::Done)).await;
    });
    StagedRows { rx }
}

/// The checks every staged row passes before it reaches a database.
struct Checks {
    run_id: String,
    /// 128-bit hashes of the keys seen: a few bytes per row instead of the
    /// keys themselves; two independent SipHash keys make a false duplicate
    /// practically impossible.
    keys: HashSet<u128>,
    hashers: (RandomState, RandomState),
}

impl Checks {
    fn new(run_id: String) -> Self {
        Checks {
            run_id,
            keys: HashSet::new(),
            hashers: (RandomState::new(), RandomState::new()),
        }
    }

    fn check(&mut self, batch: &StagedColumns<'_>, file: &str) -> Result<(), LoadError> {
        for row in 0..batch.rows {
            let batch_id = batch.text("etl_batch_id", row).unwrap_or_default();
            if batch_id != self.run_id {
                return Err(LoadError::Input(format!(
                    "{file} holds rows of run {batch_id:?} (etl_batch_id), not of run {:?}: \
                     re-run transform for this run id",
                    self.run_id
                )));
            }
            let key = (batch.text("order_id", row), batch.text("item_id", row));
            let hash = u128::from(self.hashers.0.hash_one(key)) << 64
                | u128::from(self.hashers.1.hash_one(key));
            if !self.keys.insert(hash) {
                return Err(LoadError::Input(format!(
                    "the staged rows hold {} more than once (in {file}); (order_id, item_id) must be unique: \
                     re-run transform for this run id",
                    batch.key(row)
                )));
            }
        }
        for (column, values) in COLUMNS.iter().zip(&batch.columns) {
            match (column.kind, values) {
                (Kind::Text(max), Values::Text(array)) => {
                    check_lengths(batch, column.name, max, array)?
                }
                (Kind::Time, Values::Time(array)) => check_times(batch, column.name, array)?,
                (Kind::Money, Values::Money(array)) => check_money(batch, column.name, array)?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// NVARCHAR(n) counts UTF-16 code units; a UTF-8 string never has more
/// units than bytes, so only long strings need counting.
fn check_lengths(
    batch: &StagedColumns<'_>,
    name: &str,
    max: u16,
    array: &arrow::array::StringArray,
) -> Result<(), LoadError> {
    let max = usize::from(max);
    for row in (0..batch.rows).filter(|&row| array.is_valid(row)) {
        let value = array.value(row);
        if value.len() > max {
            let units = value.encode_utf16().count();
            if units > max {
                return Err(LoadError::Input(format!(
                    "column {name} of {} is {units} UTF-16 units long; the table column holds {max} \
                     (NVARCHAR({max})): widen it in src/schema/staged.rs and sql/, or fix the transform",
                    batch.key(row)
                )));
            }
        }
    }
    Ok(())
}

fn check_times(
    batch: &StagedColumns<'_>,
    name: &str,
    array: &arrow::array::TimestampMillisecondArray,
) -> Result<(), LoadError> {
    for row in (0..batch.rows).filter(|&row| array.is_valid(row)) {
        let ms = array.value(row);
        if !(MIN_TIME_MS..=MAX_TIME_MS).contains(&ms) {
            return Err(LoadError::Input(format!(
                "column {name} of {} is {ms} ms from 1970, outside the years 1 to 9999 a table can hold; \
                 fix the transform",
                batch.key(row)
            )));
        }
    }
    Ok(())
}

/// Arrow does not hold Decimal128 values to their precision; DECIMAL(19,4)
/// does, so a wider value is refused here rather than by one backend only.
fn check_money(
    batch: &StagedColumns<'_>,
    name: &str,
    array: &arrow::array::Decimal128Array,
) -> Result<(), LoadError> {
    for row in (0..batch.rows).filter(|&row| array.is_valid(row)) {
        if array.value(row).abs() > money::MAX_UNITS {
            return Err(LoadError::Input(format!(
                "column {name} of {} is {}, more than DECIMAL(19,4) holds; fix the transform",
                batch.key(row),
                money::format(array.value(row))
            )));
        }
    }
    Ok(())
}

/// Logs how many rows have reached the database, at most every few seconds.
pub(crate) struct Progress {
    started: Instant,
    logged: Instant,
    pub rows: u64,
}

impl Progress {
    const EVERY: Duration = Duration::from_secs(5);

    pub fn new() -> Self {
        Progress {
            started: Instant::now(),
            logged: Instant::now(),
            rows: 0,
        }
    }

    pub fn add(&mut self, rows: usize) {
        self.rows += rows as u64;
        if self.logged.elapsed() >= Self::EVERY {
            self.logged = Instant::now();
            self.log("staging rows");
        }
    }

    pub fn log(&self, message: &str) {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        tracing::info!(
            rows = self.rows,
            rows_per_s = (self.rows as f64 / seconds) as u64,
            "{message}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Decimal128Array, Int32Array, StringArray, TimestampMillisecondArray,
    };

    /// A staged batch whose rows have these (order_id, item_id, buyer_message, update_time ms).
    fn batch(run: &str, rows: &[(&str, &str, Option<&str>, i64)]) -> RecordBatch {
        let n = rows.len();
        let columns: Vec<ArrayRef> = COLUMNS
            .iter()
            .map(|c| -> ArrayRef {
                match (c.name, c.kind) {
                    ("etl_batch_id", _) => Arc::new(StringArray::from(vec![run; n])),
                    ("order_id", _) => {
                        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0)))
                    }
                    ("item_id", _) => {
                        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1)))
                    }
                    ("buyer_message", _) => {
                        Arc::new(StringArray::from_iter(rows.iter().map(|r| r.2)))
                    }
                    (_, Kind::Text(_)) if c.required => Arc::new(StringArray::from(vec!["x"; n])),
                    (_, Kind::Text(_)) => Arc::new(StringArray::from(vec![None::<&str>; n])),
                    (_, Kind::Time) => Arc::new(
                        TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.3))
                            .with_timezone("UTC"),
                    ),
                    (_, Kind::Money) => Arc::new(
                        Decimal128Array::from(vec![None::<i128>; n])
                            .with_precision_and_scale(19, 4)
                            .unwrap(),
                    ),
                    (_, Kind::Bool) => Arc::new(BooleanArray::from(vec![None::<bool>; n])),
                    (_, Kind::Int) => Arc::new(Int32Array::from(vec![1; n])),
                }
            })
            .collect();
        RecordBatch::try_new(staged::schema(), columns).unwrap()
    }

    fn check(checks: &mut Checks, b: &RecordBatch) -> Result<(), String> {
        checks
            .check(&StagedColumns::new(b).unwrap(), "part-0")
            .map_err(|e| e.to_string())
    }

    #[test]
    fn duplicate_keys_are_refused_across_batches_naming_the_key() {
        let mut checks = Checks::new("r1".into());
        check(
            &mut checks,
            &batch("r1", &[("o1", "i1", None, 0), ("o1", "i2", None, 0)]),
        )
        .unwrap();
        let err = check(
            &mut checks,
            &batch("r1", &[("o2", "i1", None, 0), ("o1", "i2", None, 0)]),
        )
        .unwrap_err();
        assert!(
            err.contains("order_id=o1, item_id=i2 more than once"),
            "{err}"
        );
    }

    #[test]
    fn rows_of_another_run_are_refused() {
        let err = check(
            &mut Checks::new("r1".into()),
            &batch("r0", &[("o1", "i1", None, 0)]),
        )
        .unwrap_err();
        assert!(
            err.contains("\"r0\"") && err.contains("re-run transform"),
            "{err}"
        );
    }

    #[test]
    fn text_longer_than_its_column_in_utf16_units_is_refused() {
        let fits = "é".repeat(4000); // 8000 bytes, 4000 units.
        check(
            &mut Checks::new("r".into()),
            &batch("r", &[("o", "i", Some(&fits), 0)]),
        )
        .unwrap();
        let emoji = "😀".repeat(2001); // 2001 chars, 4002 UTF-16 units.
        let err = check(
            &mut Checks::new("r".into()),
            &batch("r", &[("o", "i", Some(&emoji), 0)]),
        )
        .unwrap_err();
        assert!(
            err.contains("column buyer_message of order_id=o, item_id=i is 4002 UTF-16 units"),
            "{err}"
        );
    }

    #[test]
    fn money_wider_than_decimal_19_4_is_refused() {
        let mut b = batch("r", &[("o", "i", None, 0)]);
        let index = staged::index_of("total_amount").unwrap();
        let mut columns = b.columns().to_vec();
        for (units, ok) in [
            (9_999_999_999_999_999_999i128, true),
            (-9_999_999_999_999_999_999, true),
            (10i128.pow(19), false),
        ] {
            columns[index] = Arc::new(
                Decimal128Array::from(vec![Some(units)])
                    .with_precision_and_scale(19, 4)
                    .unwrap(),
            );
            b = RecordBatch::try_new(staged::schema(), columns.clone()).unwrap();
            let result = check(&mut Checks::new("r".into()), &b);
            assert_eq!(result.is_ok(), ok, "{units}: {result:?}");
        }
        let err = check(&mut Checks::new("r".into()), &b).unwrap_err();
        assert!(
            err.contains("column total_amount of order_id=o, item_id=i is 1000000000000000.0000"),
            "{err}"
        );
    }

    #[test]
    fn times_outside_years_1_to_9999_are_refused() {
        check(
            &mut Checks::new("r".into()),
            &batch("r", &[("o", "i", None, MAX_TIME_MS)]),
        )
        .unwrap();
        let err = check(
            &mut Checks::new("r".into()),
            &batch("r", &[("o", "i", None, MAX_TIME_MS + 1)]),
        )
        .unwrap_err();
        assert!(err.contains("outside the years 1 to 9999"), "{err}");
    }
}
