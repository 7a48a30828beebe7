//! Orders that could not be flattened, kept with the reason and the payload.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, LargeStringBuilder, RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};

use crate::schema::rejects;

pub struct Reject<'a> {
    pub shop_cipher: &'a str,
    pub order_id: Option<&'a str>,
    pub reason: &'a str,
    pub detail: &'a str,
    pub source_file: &'a str,
    pub payload: &'a str,
}

#[derive(Default)]
pub struct RejectBatch {
    shop: StringBuilder,
    order_id: StringBuilder,
    reason: StringBuilder,
    detail: StringBuilder,
    source_file: StringBuilder,
    rejected_at: TimestampMillisecondBuilder,
    payload: LargeStringBuilder,
    rows: usize,
}

impl RejectBatch {
    pub fn push(&mut self, reject: &Reject, rejected_at_ms: i64) {
        self.shop.append_value(reject.shop_cipher);
        self.order_id.append_option(reject.order_id);
        self.reason.append_value(reject.reason);
        self.detail.append_value(reject.detail);
        self.source_file.append_value(reject.source_file);
        self.rejected_at.append_value(rejected_at_ms);
        self.payload.append_value(reject.payload);
        self.rows += 1;
    }

    pub fn finish(&mut self) -> Result<RecordBatch, arrow::error::ArrowError> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.shop.finish()),
            Arc::new(self.order_id.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.detail.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.rejected_at.finish().with_timezone("UTC")),
            Arc::new(self.payload.finish()),
        ];
        RecordBatch::try_new(rejects::schema(), columns)
    }
}
