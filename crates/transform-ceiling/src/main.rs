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
//! Two more phases time what the staged table's contract asks of every
//! row, whatever the flatten ([`contract`]): **fill**, every value put into
//! an Arrow array one at a time, and **hash**, every row's `etl_row_hash`
//! (checked equal to the one transform wrote). The floor with them is the
//! least a transform keeping this contract could take.
//!
//! ```text
//! transform-ceiling RAW_DIR STAGED_DIR
//! ```
//!
//! Both directories are searched for `*.parquet`. Prints each phase and, on
//! the last line, `<floor seconds> <staged rows> <floor seconds with SIMD>
//! <floor seconds with fill and hash>`.

mod contract;
mod scan;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tiktok_etl::store::parquet_io::{READ_BATCH_ROWS, writer_properties};

use scan::{Parser, scan};

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
                "fill: {:.2} s ({} values put into Arrow arrays)",
                floor.fill_seconds, floor.values
            );
            println!(
                "hash: {:.2} s ({} rows hashed with SHA-256, as transform did)",
                floor.hash_seconds, floor.rows
            );
            println!(
                "write: {:.2} s ({} staged rows, {} MB of Parquet)",
                floor.write_seconds,
                floor.rows,
                floor.written_bytes / 1_000_000
            );
            let floor_seconds = floor.scan_seconds + floor.write_seconds;
            println!(
                "{floor_seconds:.2} {} {:.2} {:.2}",
                floor.rows,
                floor.simd_scan_seconds + floor.write_seconds,
                floor_seconds + floor.fill_seconds + floor.hash_seconds
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
    fill_seconds: f64,
    values: usize,
    hash_seconds: f64,
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
    let values = on_all_cores(&batches, threads, contract::fill)?
        .iter()
        .sum();
    let fill_seconds = clock.elapsed().as_secs_f64();
    let gathered = on_all_cores(&batches, threads, contract::gather)?;
    let clock = Instant::now();
    let differ: usize = on_all_cores(&gathered, threads, contract::hash)?
        .iter()
        .sum();
    let hash_seconds = clock.elapsed().as_secs_f64();
    drop(gathered);
    if differ > 0 {
        return Err(format!(
            "{differ} rows hash differently from the etl_row_hash transform wrote: \
             the floor's copy of the row hash no longer follows docs/contracts.md"
        )
        .into());
    }
    let clock = Instant::now();
    let written_bytes = write(&batches, threads)?;
    Ok(Floor {
        read_seconds,
        scan_seconds,
        simd_scan_seconds,
        orders: scanned.orders,
        payload_bytes: scanned.payload_bytes,
        fill_seconds,
        values,
        hash_seconds,
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

fn read_all(path: &Path) -> Result<Vec<RecordBatch>, Error> {
    Ok(ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?
        .with_batch_size(READ_BATCH_ROWS)
        .build()?
        .collect::<Result<_, _>>()?)
}

/// Runs `work` on each item, each of `threads` threads a contiguous share;
/// what it returned for each, in order.
fn on_all_cores<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: fn(&T) -> Result<R, Error>,
) -> Result<Vec<R>, Error> {
    let share = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(share)
            .map(|chunk| scope.spawn(move || chunk.iter().map(work).collect::<Result<Vec<_>, _>>()))
            .collect();
        let mut all = Vec::with_capacity(items.len());
        for worker in workers {
            all.extend(worker.join().map_err(|_| "a thread panicked")??);
        }
        Ok(all)
    })
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
mod tests;
