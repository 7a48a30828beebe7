//! One batch of raw orders to staged rows and rejects, on a blocking
//! thread: the unit of the transform's parallel work.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};

use super::error::TransformError;
use super::pii::Pii;
use super::rejects::{Reject, RejectBatch};
use super::rows::{RowBuilder, Sizes};
use crate::source::{Flattener, Notes, RowContext};

/// What every batch of a run shares.
pub(super) struct Shared<F> {
    pub flattener: F,
    pub run_id: String,
    pub pii: Pii,
    pub pii_columns: Vec<bool>,
    pub rejected_at_ms: i64,
    /// How big the batches' columns were, for the next ones.
    pub sizes: Sizes,
}

/// One batch's raw rows, which of them to keep, and where they came from.
pub(super) struct Input {
    pub batch: RecordBatch,
    pub keep: Vec<bool>,
    pub source_file: Arc<str>,
}

/// What one batch became.
pub(super) struct Output {
    pub staged: RecordBatch,
    pub rejects: RecordBatch,
    pub orders_in: u64,
    pub duplicates_dropped: u64,
    pub rejects_by_reason: BTreeMap<&'static str, u64>,
    pub notes: Notes,
}

pub(super) fn transform<F: Flattener>(
    shared: &Shared<F>,
    input: Input,
) -> Result<Output, TransformError> {
    let batch = &input.batch;
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .expect("the raw schema was checked on read")
    };
    let shops = column("shop_cipher").as_string::<i32>();
    let order_ids = column("order_id").as_string::<i32>();
    let payloads = column("payload").as_string::<i64>();
    let columns = shared.flattener.columns();
    let mut rows = RowBuilder::new(columns, shared.flattener.schema(), &shared.sizes);
    let mut rejected = RejectBatch::default();
    let mut out = Output {
        staged: RecordBatch::new_empty(shared.flattener.schema()),
        rejects: RecordBatch::new_empty(crate::schema::rejects::schema()),
        orders_in: batch.num_rows() as u64,
        duplicates_dropped: 0,
        rejects_by_reason: BTreeMap::new(),
        notes: Notes::new(columns.len()),
    };
    let mut scratch = F::Scratch::default();
    for row in 0..batch.num_rows() {
        if !input.keep[row] {
            out.duplicates_dropped += 1;
            continue;
        }
        let context = RowContext {
            run_id: &shared.run_id,
            shop_cipher: shops.value(row),
            pii: &shared.pii,
            pii_columns: &shared.pii_columns,
        };
        let payload = payloads.value(row);
        match (shared.flattener).flatten(payload, &context, &mut out.notes, &mut scratch) {
            Ok(flat) => rows.push_all(flat),
            Err(bad) => {
                let order_id = (!order_ids.is_null(row)).then(|| order_ids.value(row));
                tracing::debug!(order_id, reason = bad.reason, detail = %bad.detail, "order rejected");
                rejected.push(
                    &Reject {
                        shop_cipher: context.shop_cipher,
                        order_id,
                        reason: bad.reason,
                        detail: &bad.detail,
                        source_file: &input.source_file,
                        payload,
                    },
                    shared.rejected_at_ms,
                );
                *out.rejects_by_reason.entry(bad.reason).or_default() += 1;
            }
        }
    }
    out.staged = rows
        .finish(&shared.sizes)
        .map_err(|source| TransformError::Batch {
            what: "staged rows",
            source,
        })?;
    out.rejects = rejected.finish().map_err(|source| TransformError::Batch {
        what: "rejects",
        source,
    })?;
    Ok(out)
}
