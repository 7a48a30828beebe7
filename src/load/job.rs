//! What one load must do, as a backend receives it, and what it did.
//!
//! Its own file so that both backends and the audit can use these types
//! without importing `load/mod.rs`, which imports them.

use chrono::{DateTime, Utc};

use super::table::TableName;
use crate::manifest::LoadMode;

/// What one load must do, for a backend.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub table: TableName,
    pub mode: LoadMode,
    pub create_table: bool,
    /// `replace` with no staged row empties the table only when asked.
    pub allow_empty_replace: bool,
    pub run_id: String,
    /// Millisecond precision, like the DATETIME2(3) columns it goes into.
    pub load_time: DateTime<Utc>,
}

/// What a backend did. `unchanged` is counted, not derived, so that the
/// audit row and the manifest show what the database reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub staged: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

impl Counts {
    /// The message for a `replace` that would delete every row because
    /// nothing was staged.
    pub fn empty_replace_refused(table: &TableName) -> String {
        format!(
            "--load-mode replace with a run that staged no rows would empty table {table}; nothing was \
             changed. If the table really must become empty, load again with --allow-empty-replace \
             (ETL_ALLOW_EMPTY_REPLACE=true); otherwise check why transform staged no rows"
        )
    }
}
