//! The transform benchmark's floor: the least any transform built on this
//! stack (arrow-rs Parquet, serde_json) must do, timed on all cores.
//!
//! `bench/transform.sh` runs it beside `transform`, DuckDB and pandas on the
//! same input. It does no flattening at all, only the work no flatten can
//! skip:
//!
//! * **scan**: decode every raw row group (all columns, as transform reads
//!   them) and check every payload is JSON with serde_json's cheapest walk
//!   (`IgnoredAny`: no value built, no string copied);
//! * **write**: write the staged rows transform produced (loaded into memory
//!   first, untimed) with the store's own writer settings.
//!
//! The floor is scan + write: a transform that flattened for free would
//! still take that long. The scan is timed twice, with serde_json (what
//! transform parses with) and with sonic-rs, a SIMD parser: the second
//! floor is what a transform that changed parsers could hope for. The raw
//! files are also decoded once without any parsing, to show that part.
//!
//! ```text
//! transform-ceiling RAW_DIR STAGED_DIR
//! ```
//!
//! Both directories are searched for `*.parquet`. Prints each phase and, on
//! the last line, `<floor seconds> <staged rows> <floor seconds with SIMD>`.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use arrow::array::{Array, LargeStringArray, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::de::IgnoredAny;
use tiktok_etl::store::parquet_io::{READ_BATCH_ROWS, writer_properties};
use tiktok_etl::transform::BATCH_ORDERS;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [raw, staged] = args.as_slice() else {
        eprintln!("usage: transform-ceiling RAW_DIR STAGED_DIR");
        return ExitCode::from(2);
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    match measure(Path::new(raw), Path::new(staged), threads) {
        Ok(floor) => {
            println!("read the raw files alone: {:.2} s", floor.read_seconds);
            println!(
                "scan: {:.2} s ({} orders, {} MB of payload JSON, {threads} threads)",
                floor.scan_seconds,
                floor.orders,
                floor.payload_bytes / 1_000_000
            );
            println!(
                "scan with sonic-rs (SIMD) instead: {:.2} s",
                floor.simd_scan_seconds
            );
            println!(
                "write: {:.2} s ({} staged rows, {} MB of Parquet)",
                floor.write_seconds,
                floor.rows,
                floor.written_bytes / 1_000_000
            );
            println!(
                "{:.2} {} {:.2}",
                floor.scan_seconds + floor.write_seconds,
                floor.rows,
                floor.simd_scan_seconds + floor.write_seconds
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("transform-ceiling: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What the floor's phases did and took.
#[derive(Debug)]
struct Floor {
    read_seconds: f64,
    scan_seconds: f64,
    simd_scan_seconds: f64,
    orders: usize,
    payload_bytes: usize,
    write_seconds: f64,
    rows: usize,
    written_bytes: usize,
}

fn measure(raw: &Path, staged: &Path, threads: usize) -> Result<Floor, Error> {
    let raw_files = parquet_files(raw)?;
    let staged_files = parquet_files(staged)?;
    if raw_files.is_empty() || staged_files.is_empty() {
        return Err(format!(
            "no Parquet files under {} or {}",
            raw.display(),
            staged.display()
        )
        .into());
    }

    let clock = Instant::now();
    scan(&raw_files, threads, Parser::Nothing)?;
    let read_seconds = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let scanned = scan(&raw_files, threads, Parser::SerdeJson)?;
    let scan_seconds = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    scan(&raw_files, threads, Parser::Sonic)?;
    let simd_scan_seconds = clock.elapsed().as_secs_f64();

    let batches = staged_files
        .iter()
        .map(|path| read_all(path))
        .collect::<Result<Vec<_>, _>>()?
        .concat();
    if batches.is_empty() {
        return Err(format!("no staged rows under {}", staged.display()).into());
    }
    let clock = Instant::now();
    let written_bytes = write(&batches, threads)?;
    Ok(Floor {
        read_seconds,
        scan_seconds,
        simd_scan_seconds,
        orders: scanned.orders,
        payload_bytes: scanned.payload_bytes,
        write_seconds: clock.elapsed().as_secs_f64(),
        rows: batches.iter().map(RecordBatch::num_rows).sum(),
        written_bytes,
    })
}

/// Every `*.parquet` file under `dir`, in name order.
fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[derive(Default)]
struct Scanned {
    orders: usize,
    payload_bytes: usize,
}

/// Which JSON parser walks the payloads.
#[derive(Debug, Clone, Copy)]
enum Parser {
    /// None: how long decoding the raw files takes alone.
    Nothing,
    /// serde_json, as transform parses.
    SerdeJson,
    /// sonic-rs (SIMD): what a faster parser would leave.
    Sonic,
}

impl Parser {
    fn check(self, json: &str) -> Result<(), Error> {
        match self {
            Parser::Nothing => {}
            Parser::SerdeJson => serde_json::from_str::<IgnoredAny>(json).map(drop)?,
            Parser::Sonic => sonic_rs::from_str::<IgnoredAny>(json).map(drop)?,
        }
        Ok(())
    }
}

/// Decodes every row group of `files` and walks every payload, the row
/// groups shared out among `threads`.
fn scan(files: &[PathBuf], threads: usize, parser: Parser) -> Result<Scanned, Error> {
    let mut units = Vec::new();
    for path in files {
        let groups = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?
            .metadata()
            .num_row_groups();
        units.extend((0..groups).map(|group| (path, group)));
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<Scanned, Error> {
                    let mut scanned = Scanned::default();
                    while let Some(&(path, group)) = units.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?
                            .with_row_groups(vec![group])
                            .with_batch_size(BATCH_ORDERS)
                            .build()?;
                        for batch in reader {
                            let batch = batch?;
                            let payloads = batch
                                .column_by_name("payload")
                                .and_then(|c| c.as_any().downcast_ref::<LargeStringArray>())
                                .ok_or("raw file without a payload column")?;
                            for payload in payloads.iter().flatten() {
                                parser.check(payload).map_err(|e| {
                                    format!("{}: a payload is not JSON: {e}", path.display())
                                })?;
                                scanned.payload_bytes += payload.len();
                            }
                            scanned.orders += payloads.len();
                        }
                    }
                    Ok(scanned)
                })
            })
            .collect();
        workers
            .into_iter()
            .try_fold(Scanned::default(), |sum, worker| {
                let part = worker.join().map_err(|_| "a scan thread panicked")??;
                Ok(Scanned {
                    orders: sum.orders + part.orders,
                    payload_bytes: sum.payload_bytes + part.payload_bytes,
                })
            })
    })
}

fn read_all(path: &Path) -> Result<Vec<RecordBatch>, Error> {
    Ok(ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?
        .with_batch_size(READ_BATCH_ROWS)
        .build()?
        .collect::<Result<_, _>>()?)
}

/// Writes `batches` (at least one) as `threads` Parquet files (discarded,
/// their bytes counted), each thread a contiguous share; returns the bytes
/// written.
fn write(batches: &[RecordBatch], threads: usize) -> Result<usize, Error> {
    let schema = batches[0].schema();
    let share = batches.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = batches
            .chunks(share)
            .map(|chunk| {
                let schema = schema.clone();
                scope.spawn(move || -> Result<usize, Error> {
                    let mut writer =
                        ArrowWriter::try_new(Counted(0), schema, Some(writer_properties()))?;
                    for batch in chunk {
                        writer.write(batch)?;
                    }
                    Ok(writer.into_inner()?.0)
                })
            })
            .collect();
        workers.into_iter().try_fold(0, |sum, worker| {
            Ok(sum + worker.join().map_err(|_| "a write thread panicked")??)
        })
    })
}

/// A sink that only counts what it is given.
struct Counted(usize);

impl Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use tiktok_etl::schema::raw;

    use super::*;

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

    fn staged_batch(rows: i32) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int32, false)]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(Int32Array::from_iter_values(0..rows))],
        )
        .unwrap()
    }

    #[test]
    fn counts_every_order_and_row_it_timed() {
        let dir = tempfile::tempdir().unwrap();
        let payloads = [r#"{"id":"1","line_items":[{"id":"a"}]}"#, "[]", r#""x""#];
        write_file(
            &dir.path().join("raw/shop/part-0.parquet"),
            &raw_batch(&payloads),
        );
        write_file(&dir.path().join("raw/part-1.parquet"), &raw_batch(&["{}"]));
        write_file(&dir.path().join("staged/part-0.parquet"), &staged_batch(5));
        write_file(&dir.path().join("staged/part-1.parquet"), &staged_batch(7));

        let floor = measure(&dir.path().join("raw"), &dir.path().join("staged"), 2).unwrap();
        assert_eq!(floor.orders, 4);
        let bytes: usize = payloads.iter().map(|p| p.len()).sum::<usize>() + 2;
        assert_eq!(floor.payload_bytes, bytes);
        assert_eq!(floor.rows, 12);
        assert!(floor.written_bytes > 0, "{floor:?}");
    }

    #[test]
    fn a_payload_that_is_not_json_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write_file(
            &dir.path().join("raw/part-0.parquet"),
            &raw_batch(&["{}", "{\"a\":"]),
        );
        write_file(&dir.path().join("staged/part-0.parquet"), &staged_batch(1));
        let error = measure(&dir.path().join("raw"), &dir.path().join("staged"), 2).unwrap_err();
        assert!(
            error.to_string().contains("a payload is not JSON"),
            "{error}"
        );
    }

    #[test]
    fn staged_files_without_rows_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write_file(&dir.path().join("raw/part-0.parquet"), &raw_batch(&["{}"]));
        write_file(&dir.path().join("staged/part-0.parquet"), &staged_batch(0));
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
}
