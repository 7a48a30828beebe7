//! The seam between the pipeline and a marketplace.
//!
//! Extract, transform and the store know nothing of TikTok Shop: they work
//! with what a source provides through the two traits here. Extract needs
//! an [`OrderSource`]: the shops the credentials can read, and pages of raw
//! records (an id, an update time, the record's JSON kept byte for byte)
//! for an update-time window. Transform needs a [`Flattener`]: the staged
//! column table and a function from one record's JSON to its rows.
//!
//! [`tiktok`] is the one source today. Adding a marketplace means a sibling
//! of it implementing both traits, a staged column table and its SQL DDL;
//! the stages, the store layout and the manifests stay as they are.

pub mod json;
pub mod tiktok;

use std::future::Future;

use arrow::datatypes::SchemaRef;
use tiktok_shop_api::Window;

use crate::schema::staged::Column;
use crate::shop::ShopCipher;
use crate::transform::cell::{Bad, Cell};
use crate::transform::pii::Pii;

/// One record as a source returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The record's id, as text (ids are 64-bit: never through a float).
    pub id: String,
    pub status: Option<String>,
    /// Unix seconds.
    pub create_time: Option<i64>,
    /// Unix seconds; what windows and the newest-copy rule go by.
    pub update_time: Option<i64>,
    /// The record's JSON exactly as the source sent it.
    pub payload: String,
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPage {
    /// The source's id of the response, kept with every record for support.
    pub request_id: String,
    pub records: Vec<RawRecord>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
    /// How many records the source says match the search.
    pub total_count: Option<u64>,
}

impl RecordPage {
    /// Whether the search holds more than this page of `page_size`: a
    /// next page, and a `total_count` (if any) past one page.
    pub fn has_more(&self, page_size: u32) -> bool {
        self.next_cursor.is_some() && self.total_count.is_none_or(|t| t > u64::from(page_size))
    }
}

/// What a source has done so far, for the extract manifest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// HTTP requests sent, retries and token refreshes included.
    pub requests: u64,
    /// Attempts repeated after a throttle, a server error, a network
    /// failure, a refused timestamp.
    pub throttled: u64,
    pub server_errors: u64,
    pub network_errors: u64,
    pub restamps: u64,
    pub token_refreshes: u64,
}

impl SourceStats {
    pub fn retries(&self) -> u64 {
        self.throttled + self.server_errors + self.network_errors + self.restamps
    }
}

/// How one shop is being paced.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ShopPace {
    pub throttled: u64,
    /// Requests per second.
    pub rate: f64,
    /// Requests of the shop waiting for their turn right now.
    pub waiting: usize,
    /// Requests in flight it takes to keep to the rate (rate × latency),
    /// once an answer came.
    pub concurrency: Option<f64>,
}

/// What extract needs from a marketplace.
pub trait OrderSource: Sync {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Whether a later attempt may succeed as things are.
    fn is_retryable(error: &Self::Error) -> bool;

    fn stats(&self) -> SourceStats;

    /// How `shop`'s requests are paced, when the source paces them.
    fn pace(&self, shop: &ShopCipher) -> Option<ShopPace>;

    /// The shops these credentials may read.
    fn shops(&self) -> impl Future<Output = Result<Vec<ShopCipher>, Self::Error>> + Send;

    /// One page of the records of `shop` updated in `window`, oldest update
    /// first; `cursor` is `None` for the first page.
    fn search(
        &self,
        shop: &ShopCipher,
        window: &Window,
        cursor: Option<&str>,
        page_size: u32,
    ) -> impl Future<Output = Result<RecordPage, Self::Error>> + Send;
}

/// What the rows of one record share besides the record itself.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    pub run_id: &'a str,
    pub shop_cipher: &'a str,
    /// What happens to personal data.
    pub pii: &'a Pii,
    /// For each column: whether [`RowContext::pii`] applies to it.
    pub pii_columns: &'a [bool],
}

/// The rows of one record: the cells every row shares (the record's own),
/// and each row's own cells (its line item's, its flags and hash), one row
/// after the other. A row holds a cell for each of the `own` columns only;
/// its value of any other column is the shared cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flat<'a> {
    /// A cell per column.
    pub shared: Vec<Cell<'a>>,
    /// `own.len()` cells per row.
    pub cells: Vec<Cell<'a>>,
    /// The columns a row has its own cell of, in table order.
    pub own: &'static [usize],
}

impl<'a> Flat<'a> {
    /// Empties it for a record of `columns` columns, of which rows hold
    /// `own` (buffers kept).
    pub fn clear(&mut self, columns: usize, own: &'static [usize]) {
        self.own = own;
        self.shared.clear();
        self.shared.resize(columns, Cell::Null);
        self.cells.clear();
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.cells.len().checked_div(self.own.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Each row's own cells.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, Cell<'a>> {
        self.cells.chunks_exact(self.own.len().max(1))
    }

    /// Row `row`'s value of column `column`.
    pub fn cell(&self, row: usize, column: usize) -> &Cell<'a> {
        match self.own.iter().position(|&c| c == column) {
            Some(place) => &self.cells[row * self.own.len() + place],
            None => &self.shared[column],
        }
    }
}

/// What flattening noticed besides rows and rejects, summed over records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// Rows whose column (by index) was cut to its size.
    pub truncated: Vec<u64>,
    /// Rows whose column (by index) held a value of the wrong type, stored
    /// as null.
    pub invalid: Vec<u64>,
    /// Records with a field no column reads, by JSON path
    /// (`payment.new_fee`, `line_items[].new_flag`).
    pub unmapped: std::collections::BTreeMap<String, u64>,
    /// Line items dropped because their id was already in the same record.
    pub duplicate_items: u64,
}

impl Notes {
    pub fn new(columns: usize) -> Notes {
        Notes {
            truncated: vec![0; columns],
            invalid: vec![0; columns],
            ..Notes::default()
        }
    }

    pub fn add(&mut self, other: Notes) {
        for (a, b) in self.truncated.iter_mut().zip(other.truncated) {
            *a += b;
        }
        for (a, b) in self.invalid.iter_mut().zip(other.invalid) {
            *a += b;
        }
        for (path, n) in other.unmapped {
            *self.unmapped.entry(path).or_default() += n;
        }
        self.duplicate_items += other.duplicate_items;
    }
}

/// What transform needs from a marketplace.
pub trait Flattener: Sync {
    /// The staged columns, in table order.
    fn columns(&self) -> &'static [Column];

    /// The Arrow schema of those columns.
    fn schema(&self) -> SchemaRef;

    /// What flattening keeps from one record to the next (its buffers).
    type Scratch<'a>: Default;

    /// One record's JSON to its rows, each a cell per column of
    /// [`Flattener::columns`] borrowing from `payload`, held in `scratch`;
    /// or why the record cannot be staged. What had to change is added to
    /// `notes`.
    fn flatten<'a, 's>(
        &self,
        payload: &'a str,
        context: &RowContext<'a>,
        notes: &mut Notes,
        scratch: &'s mut Self::Scratch<'a>,
    ) -> Result<&'s Flat<'a>, Bad>;
}
