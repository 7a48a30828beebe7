//! `tiktok-etl inspect`: what a run's stages wrote, readable in a terminal.
//!
//! For each stage: its manifest (times, window, counts, rejects), its files
//! with row counts and sizes, the schema, and the first rows of each file
//! printed one `column = value` per line (the staged table is ~100 columns
//! wide, too wide for a grid).

use std::fmt::Write as _;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::TryStreamExt;

use crate::manifest::{Dataset, FileEntry, Manifest, StageName};
use crate::run_id::RunId;
use crate::schema::{raw, rejects, staged};
use crate::store::{RunLayout, Store, StoreError, parquet_io};

/// Longest value shown before it is cut (payloads are long).
const MAX_VALUE_CHARS: usize = 120;

/// Lists the runs in the store with the stages each has finished.
pub async fn list_runs(store: &Store) -> Result<String, StoreError> {
    let mut runs: Vec<(String, Vec<StageName>)> = Vec::new();
    for meta in store.list("runs").await? {
        let parts: Vec<&str> = meta.location.as_ref().rsplit('/').take(3).collect();
        // <segment>/<stage>/_manifest.json, read backwards.
        if let [file, stage, segment] = parts[..]
            && file == "_manifest.json"
        {
            let Some(stage) = StageName::ALL.iter().find(|s| s.as_str() == stage) else {
                continue;
            };
            match runs.iter_mut().find(|(s, _)| s == segment) {
                Some((_, stages)) => stages.push(*stage),
                None => runs.push((segment.to_owned(), vec![*stage])),
            }
        }
    }
    let mut out = String::new();
    if runs.is_empty() {
        writeln!(out, "no finished stages in {}", store.location()).ok();
    }
    for (segment, stages) in runs {
        let id = RunId::from_segment(&segment)
            .map(|id| id.to_string())
            .unwrap_or(segment);
        let done: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
        writeln!(out, "{id}\t{}", done.join(" ")).ok();
    }
    Ok(out)
}

/// The report of one run: every stage, its files and their first rows.
pub async fn report(store: &Store, run_id: &RunId, rows: usize) -> Result<String, StoreError> {
    let layout = RunLayout::new(run_id);
    let mut out = String::new();
    writeln!(
        out,
        "run {run_id}\nstored at {}",
        store.display(layout.run_dir())
    )
    .ok();
    for stage in StageName::ALL {
        writeln!(out).ok();
        match store.manifest(&layout, stage).await? {
            None => {
                let leftovers = store.list(&layout.stage_dir(stage)).await?.len();
                writeln!(out, "== {stage}: not finished (no _manifest.json)").ok();
                if leftovers > 0 {
                    writeln!(
                        out,
                        "   {leftovers} file(s) of an unfinished attempt; re-run the {stage} stage"
                    )
                    .ok();
                }
            }
            Some(manifest) => {
                describe(&mut out, &manifest);
                for file in &manifest.files {
                    show_file(&mut out, store, file, rows).await;
                }
            }
        }
    }
    Ok(out)
}

fn describe(out: &mut String, m: &Manifest) {
    let seconds = (m.finished_at - m.started_at).num_milliseconds() as f64 / 1000.0;
    writeln!(
        out,
        "== {}: finished {} in {seconds:.1} s (tool {}, schema v{})",
        m.stage,
        m.finished_at.to_rfc3339(),
        m.tool_version,
        m.schema_version
    )
    .ok();
    if let Some(w) = m.window {
        writeln!(
            out,
            "   window: [{}, {})",
            w.since.to_rfc3339(),
            w.until.to_rfc3339()
        )
        .ok();
    }
    if !m.shops.is_empty() {
        let shops: Vec<&str> = m.shops.iter().map(|s| s.as_str()).collect();
        writeln!(out, "   shops: {}", shops.join(", ")).ok();
    }
    writeln!(out, "   rows in: {}, rows out: {}", m.rows_in, m.rows_out).ok();
    for (reason, count) in &m.rejects_by_reason {
        writeln!(out, "   rejected ({reason}): {count}").ok();
    }
    if let Some(serde_json::Value::Object(counters)) = m
        .counters
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok())
    {
        for (name, value) in counters {
            writeln!(out, "   {name}: {value}").ok();
        }
    }
    if let Some(load) = &m.load {
        writeln!(
            out,
            "   target: {} table {} mode {}: {} inserted, {} updated, {} unchanged, {} deleted",
            load.target,
            load.table,
            load.mode,
            load.inserted,
            load.updated,
            load.unchanged,
            load.deleted
        )
        .ok();
    }
    for f in &m.files {
        writeln!(
            out,
            "   file: {} ({} rows, {} bytes)",
            f.path, f.rows, f.bytes
        )
        .ok();
    }
}

fn schema_of(dataset: Dataset) -> SchemaRef {
    match dataset {
        Dataset::Raw => raw::schema(),
        Dataset::OrderLines => staged::schema(),
        Dataset::Rejects => rejects::schema(),
    }
}

async fn show_file(out: &mut String, store: &Store, file: &FileEntry, rows: usize) {
    let schema = schema_of(file.dataset);
    let path = file.path.as_str();
    writeln!(out, "\n   -- {path}").ok();
    let batches: Result<Vec<RecordBatch>, StoreError> = async {
        let mut stream = parquet_io::read(store, path, &schema).await?;
        let mut batches = Vec::new();
        let mut seen = 0;
        while seen < rows {
            let Some(batch) = stream.try_next().await? else {
                break;
            };
            seen += batch.num_rows();
            batches.push(batch);
        }
        Ok(batches)
    }
    .await;
    match batches {
        Err(e) => {
            writeln!(out, "   cannot read it: {e}").ok();
        }
        Ok(batches) => {
            let fields: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}{}",
                        f.name(),
                        f.data_type(),
                        if f.is_nullable() { "" } else { " not null" }
                    )
                })
                .collect();
            writeln!(out, "   schema: {}", fields.join(", ")).ok();
            let mut shown = 0;
            for batch in &batches {
                for row in 0..batch.num_rows() {
                    if shown == rows {
                        return;
                    }
                    shown += 1;
                    write_row(out, batch, row, shown);
                }
            }
            if shown == 0 {
                writeln!(out, "   (no rows)").ok();
            }
        }
    }
}

fn write_row(out: &mut String, batch: &RecordBatch, row: usize, number: usize) {
    writeln!(out, "   [row {number}]").ok();
    let options = FormatOptions::default().with_null("NULL");
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let value = match ArrayFormatter::try_new(column.as_ref(), &options) {
            Ok(formatter) => formatter.value(row).to_string(),
            Err(e) => format!("<{e}>"),
        };
        let shown: String = value.chars().take(MAX_VALUE_CHARS).collect();
        let cut = if shown.len() < value.len() { "…" } else { "" };
        writeln!(out, "     {} = {shown}{cut}", field.name()).ok();
    }
}
