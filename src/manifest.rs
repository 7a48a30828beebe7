//! `_manifest.json`: what a stage wrote, written after everything else.
//!
//! A manifest is the proof that a stage finished (`docs/contracts.md`,
//! "Manifests"). Downstream stages read the files it lists (never a
//! directory listing), so a half-written attempt can never leak into the
//! next stage.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tiktok_shop_api::Window;

use crate::run_id::RunId;
use crate::shop::ShopCipher;

/// The version written into every manifest and Parquet file.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Bumped when a Parquet schema changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    Extract,
    Transform,
    Load,
}

impl StageName {
    pub const ALL: [StageName; 3] = [StageName::Extract, StageName::Transform, StageName::Load];

    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Extract => "extract",
            StageName::Transform => "transform",
            StageName::Load => "load",
        }
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How staged rows meet the table (`docs/contracts.md`, "Load modes").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LoadMode {
    /// Upsert on (order_id, item_id); a row is replaced only by a newer one.
    Merge,
    /// The run's rows are a batch; a re-run replaces the batch.
    Append,
    /// The table becomes exactly this run's rows.
    Replace,
}

impl LoadMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadMode::Merge => "merge",
            LoadMode::Append => "append",
            LoadMode::Replace => "replace",
        }
    }
}

impl fmt::Display for LoadMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    pub shops: Vec<ShopCipher>,
    /// Every output file, with its row count and size.
    pub files: Vec<FileEntry>,
    pub rows_in: u64,
    pub rows_out: u64,
    /// Records sent to `rejects/`, by reason code (transform).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub rejects_by_reason: std::collections::BTreeMap<String, u64>,
    /// What the stage counted on the way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<Counters>,
    /// What the load did (load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadReport>,
}

/// Which data set a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// Raw orders of one shop (extract).
    Raw,
    /// Staged line items (transform).
    OrderLines,
    /// Orders that could not be flattened (transform).
    Rejects,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the store root.
    pub path: String,
    pub dataset: Dataset,
    pub rows: u64,
    pub bytes: u64,
}

/// Stage-specific counts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Counters {
    Extract(ExtractCounters),
    Transform(TransformCounters),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ExtractCounters {
    /// Search pages received.
    pub pages: u64,
    /// HTTP requests sent, retries and token refreshes included.
    pub api_requests: u64,
    /// Attempts repeated, for any cause (the four below).
    pub retries: u64,
    /// Retries by cause: throttled (HTTP 429), server errors (5xx), network
    /// failures, and timestamps the API refused.
    #[serde(default)]
    pub retries_throttled: u64,
    #[serde(default)]
    pub retries_server_error: u64,
    #[serde(default)]
    pub retries_network: u64,
    #[serde(default)]
    pub retries_timestamp: u64,
    pub token_refreshes: u64,
    /// Copies of orders read twice in one sweep (the boundary second).
    #[serde(default)]
    pub duplicates_dropped: u64,
    /// The pace asked for: `auto` or requests per second per shop.
    #[serde(default)]
    pub qps: String,
    /// Each shop's own counts.
    #[serde(default)]
    pub shops: std::collections::BTreeMap<String, ShopCounters>,
}

/// What extract counted for one shop.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ShopCounters {
    pub pages: u64,
    /// Orders written (an order changed during the run can be there twice:
    /// transform keeps the newest).
    pub orders: u64,
    pub duplicates_dropped: u64,
    /// Seconds so crowded that a whole page shared one `update_time`.
    pub crowded_seconds: u64,
    /// The API's `total_count` for the whole window at the start.
    pub total_count: Option<u64>,
    /// Time slices the window was swept in.
    pub slices: u64,
    /// Answers that said the rate was too high.
    pub throttled: u64,
    /// The pace at the end, requests per second.
    pub final_rate_per_s: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TransformCounters {
    /// Older copies of an order read more than once in the run.
    pub duplicates_dropped: u64,
    /// Rows whose column was cut to its size (and flagged in `etl_flags`).
    #[serde(default)]
    pub truncated_by_column: std::collections::BTreeMap<String, u64>,
    /// Rows whose column held a value of the wrong type, stored as null
    /// (and flagged in `etl_flags`).
    #[serde(default)]
    pub invalid_by_column: std::collections::BTreeMap<String, u64>,
    /// Orders holding a field no column reads, by JSON path: what TikTok
    /// added lately (the raw payload keeps it).
    #[serde(default)]
    pub unmapped_fields: std::collections::BTreeMap<String, u64>,
    /// Line items dropped because their id was already in the same order.
    #[serde(default)]
    pub duplicate_line_items: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoadReport {
    /// The target with any password removed.
    pub target: String,
    pub table: String,
    pub mode: LoadMode,
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
            tool_version: TOOL_VERSION.to_owned(),
            schema_version: SCHEMA_VERSION,
            started_at,
            finished_at: Utc::now(),
            window: None,
            shops: Vec::new(),
            files: Vec::new(),
            rows_in: 0,
            rows_out: 0,
            rejects_by_reason: Default::default(),
            counters: None,
            load: None,
        }
    }

    pub fn rejected(&self) -> u64 {
        self.rejects_by_reason.values().sum()
    }

    /// The files of one data set, in the order they were written.
    pub fn files_of(&self, dataset: Dataset) -> impl Iterator<Item = &FileEntry> {
        self.files.iter().filter(move |f| f.dataset == dataset)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_modes_read_back_as_written() {
        let run = RunId::parse("r").unwrap();
        let mut manifest = Manifest::new(StageName::Transform, &run, Utc::now());
        manifest.counters = Some(Counters::Transform(TransformCounters {
            duplicates_dropped: 2,
            ..TransformCounters::default()
        }));
        manifest.files.push(FileEntry {
            path: "runs/r/transform/order_lines/part-00000.parquet".into(),
            dataset: Dataset::OrderLines,
            rows: 3,
            bytes: 10,
        });
        let json = serde_json::to_value(&manifest).unwrap();
        assert_eq!(json["counters"]["duplicates_dropped"], 2);
        assert_eq!(json["files"][0]["dataset"], "order_lines");
        let back: Manifest = serde_json::from_value(json).unwrap();
        assert_eq!(back, manifest);
        let extract = Counters::Extract(ExtractCounters {
            pages: 4,
            qps: "auto".into(),
            ..ExtractCounters::default()
        });
        let text = serde_json::to_string(&extract).unwrap();
        assert!(
            text.starts_with(r#"{"pages":4,"api_requests":0,"retries":0,"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Counters>(&text).unwrap(), extract);
        assert_eq!(
            serde_json::to_string(&LoadMode::Replace).unwrap(),
            "\"replace\""
        );
    }
}
