//! What one load must do, as a backend receives it, and what it did.

use chrono::{DateTime, Utc};

use super::table::TableName;
use crate::manifest::LoadMode;

/// What one load must do, for a backend.
pub(super) struct Job {
    pub table: TableName,
    pub mode: LoadMode,
    pub create_table: bool,
    pub run_id: String,
    /// Millisecond precision, like the DATETIME2(3) columns it goes into.
    pub load_time: DateTime<Utc>,
}

/// What a backend did.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub staged: u64,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}
