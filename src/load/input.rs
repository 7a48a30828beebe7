//! The staged rows of a run, read from the store and checked on the way to
//! the database.
//!
//! A task streams the `order_lines` files the transform manifest lists,
//! regrouped into batches of `ETL_BATCH_SIZE` rows, through a channel of a
//! few batches, so memory stays flat however large the run is. Every batch
//! is checked before it is sent: rows must belong to this run and every
//! value must fit its table column. The checks are the same for every
//! backend, so SQLite and SQL Server refuse the same input with the same
//! message; unique keys are checked by each backend in its database (a set
//! of every key here would grow with the run). The receiving side only
//! accepts "done" from the reader itself: a reader that dies midway can
//! never make a partial load look complete.

use std::time::{Duration, Instant};

use arrow::array::{Array, RecordBatch};
use arrow::compute::BatchCoalescer;
use futures::TryStreamExt;
use tokio::sync::mpsc;

use super::columns::{StagedColumns, Values};
use super::error::LoadError;
use crate::money;
use crate::schema::staged::{self, COLUMNS, Kind};
use crate::store::{Store, parquet_io};

/// Batches in flight between the reader and the database.
const CHANNEL_BATCHES: usize = 2;

/// Rows per batch when `ETL_BATCH_SIZE` is not set: large enough that a
/// SQL Server bulk load per batch costs little (one round trip per 4,096
/// rows), small enough that the batches in flight stay around 20 MiB (a
/// staged row is ~1.5 KiB in Arrow).
pub const DEFAULT_BATCH_ROWS: usize = 4_096;

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

/// Starts reading `files` (store paths of staged Parquet files) of
/// `run_id`, in batches of `batch_rows` rows (the last one smaller).
pub(crate) fn read(
    store: Store,
    files: Vec<String>,
    run_id: String,
    batch_rows: usize,
) -> StagedRows {
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    tokio::spawn(async move {
        let checks = Checks { run_id };
        let mut batches = BatchCoalescer::new(staged::schema(), batch_rows.max(1));
        let result: Result<(), LoadError> = async {
            for file in &files {
                let mut stream = parquet_io::read(&store, file, &staged::schema()).await?;
                while let Some(batch) = stream.try_next().await? {
                    checks.check(&StagedColumns::new(&batch)?, file)?;
                    batches.push_batch(batch).map_err(LoadError::Regroup)?;
                    while let Some(full) = batches.next_completed_batch() {
                        if tx.send(Ok(Message::Batch(full))).await.is_err() {
                            return Ok(()); // The loader stopped; its error is the one to report.
                        }
                    }
                }
            }
            batches
                .finish_buffered_batch()
                .map_err(LoadError::Regroup)?;
            while let Some(last) = batches.next_completed_batch() {
                if tx.send(Ok(Message::Batch(last))).await.is_err() {
                    return Ok(());
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
pub(super) struct Checks {
    pub run_id: String,
}

impl Checks {
    pub fn check(&self, batch: &StagedColumns<'_>, file: &str) -> Result<(), LoadError> {
        for row in 0..batch.rows {
            let batch_id = batch.text("etl_batch_id", row).unwrap_or_default();
            if batch_id != self.run_id {
                return Err(LoadError::Input(format!(
                    "{file} holds rows of run {batch_id:?} (etl_batch_id), not of run {:?}: \
                     re-run transform for this run id",
                    self.run_id
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
