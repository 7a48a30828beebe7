//! `_manifest.json`: what a stage wrote, written after everything else.
//!
//! A manifest is the proof that a stage finished. Downstream stages read the
//! files it lists (never a directory listing), so a half-written attempt can
//! never leak into the next stage.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::run_id::RunId;
use crate::store::StageName;

/// Bumped when a Parquet schema changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub stage: StageName,
    pub run_id: String,
    pub tool_version: String,
    pub schema_version: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// The `update_time` window `[since, until)` (extract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// The shops read (extract).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shops: Vec<String>,
    /// Every output file, with its row count and size.
    pub files: Vec<FileEntry>,
    pub rows_in: u64,
    pub rows_out: u64,
    /// Records sent to `rejects/`, by reason (transform).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// Stage-specific counters (pages fetched, duplicates dropped, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, u64>,
    /// What the load did (load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadReport>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Window {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the store root.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct LoadReport {
    /// The target with any password removed.
    pub target: String,
    pub table: String,
    pub mode: String,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

impl Manifest {
    /// A manifest for `stage` of `run_id`, started at `started_at` and
    /// finished now; the caller fills in the rest.
    pub fn new(stage: StageName, run_id: &RunId, started_at: DateTime<Utc>) -> Self {
        Manifest {
            stage,
            run_id: run_id.to_string(),
            tool_version: crate::TOOL_VERSION.to_owned(),
            schema_version: SCHEMA_VERSION,
            started_at,
            finished_at: Utc::now(),
            window: None,
            shops: Vec::new(),
            files: Vec::new(),
            rows_in: 0,
            rows_out: 0,
            rejects_by_reason: BTreeMap::new(),
            counters: BTreeMap::new(),
            load: None,
        }
    }

    pub fn rejected(&self) -> u64 {
        self.rejects_by_reason.values().sum()
    }

    /// The one-line JSON summary a stage prints last on stdout (Airflow's
    /// DockerOperator pushes that line to XCom).
    pub fn summary_line(&self, store_location: &str) -> String {
        let duration_ms = (self.finished_at - self.started_at)
            .num_milliseconds()
            .max(0);
        let summary = serde_json::json!({
            "stage": self.stage,
            "status": "ok",
            "run_id": self.run_id,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rejected": self.rejected(),
            "duration_ms": duration_ms,
            "window": self.window,
            "shops": self.shops,
            "counters": self.counters,
            "load": self.load,
            "store": store_location,
            "files": self.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
        });
        summary.to_string()
    }
}
