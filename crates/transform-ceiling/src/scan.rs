//! The floor's first phase: decode every raw row group and walk every
//! payload, on all cores.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{Array, LargeStringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::de::IgnoredAny;
use tiktok_etl::transform::BATCH_ORDERS;

use crate::Error;

#[derive(Default)]
pub struct Scanned {
    pub orders: usize,
    pub payload_bytes: usize,
}

/// Which JSON parser walks the payloads.
#[derive(Debug, Clone, Copy)]
pub enum Parser {
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
pub fn scan(files: &[PathBuf], threads: usize, parser: Parser) -> Result<Scanned, Error> {
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
