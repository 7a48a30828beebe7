//! The records of one API page as one Arrow batch of the raw schema.

use arrow::array::{
    ArrayRef, LargeStringBuilder, RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};
use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::error::ExtractError;
use crate::schema::raw;
use crate::shop::ShopCipher;
use crate::source::RawRecord;

/// The rows of `page`: one per order, in the order the API sent them.
pub(super) fn page_batch(
    shop: &ShopCipher,
    request_id: &str,
    records: &[RawRecord],
    extracted_at: DateTime<Utc>,
) -> Result<RecordBatch, ExtractError> {
    let shop_cipher = shop.as_str();
    let n = records.len();
    let payload_bytes = records.iter().map(|o| o.payload.len()).sum();
    let mut shop = StringBuilder::with_capacity(n, n * shop_cipher.len());
    let mut order_id = StringBuilder::with_capacity(n, n * 20);
    let mut status = StringBuilder::with_capacity(n, n * 20);
    let mut create_time = timestamps(n);
    let mut update_time = timestamps(n);
    let mut extracted = timestamps(n);
    let mut request_ids = StringBuilder::with_capacity(n, n * request_id.len());
    let mut payload = LargeStringBuilder::with_capacity(n, payload_bytes);
    for order in records {
        shop.append_value(shop_cipher);
        order_id.append_value(&order.id);
        status.append_option(order.status.as_deref());
        create_time.append_option(order.create_time.and_then(millis));
        update_time.append_option(order.update_time.and_then(millis));
        extracted.append_value(extracted_at.timestamp_millis());
        request_ids.append_value(request_id);
        payload.append_value(&order.payload);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(shop.finish()),
        Arc::new(order_id.finish()),
        Arc::new(status.finish()),
        Arc::new(create_time.finish()),
        Arc::new(update_time.finish()),
        Arc::new(extracted.finish()),
        Arc::new(request_ids.finish()),
        Arc::new(payload.finish()),
    ];
    RecordBatch::try_new(raw::schema(), columns).map_err(ExtractError::Batch)
}

fn timestamps(capacity: usize) -> TimestampMillisecondBuilder {
    TimestampMillisecondBuilder::with_capacity(capacity).with_timezone("UTC")
}

/// Unix seconds as milliseconds; `None` if that overflows.
fn millis(seconds: i64) -> Option<i64> {
    seconds.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::TimestampMillisecondType;

    use super::*;
    use crate::source::RecordPage;

    #[test]
    fn a_page_becomes_rows_of_the_raw_schema() {
        let page = RecordPage {
            request_id: "REQ1".into(),
            records: vec![
                RawRecord {
                    id: "576461413038785752".into(),
                    status: Some("UNPAID".into()),
                    create_time: Some(1619611561),
                    update_time: Some(1619621355),
                    payload: r#"{"id":"576461413038785752"}"#.into(),
                },
                RawRecord {
                    id: "2".into(),
                    status: None,
                    create_time: None,
                    update_time: Some(i64::MAX),
                    payload: "{}".into(),
                },
            ],
            next_cursor: None,
            total_count: Some(2),
        };
        let at = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        let shop = ShopCipher::parse("GCP_X").unwrap();
        let batch = page_batch(&shop, &page.request_id, &page.records, at).unwrap();
        assert_eq!(batch.schema(), raw::schema());
        assert_eq!(batch.num_rows(), 2);
        let ids = batch.column_by_name("order_id").unwrap().as_string::<i32>();
        assert_eq!(ids.value(0), "576461413038785752");
        let created = batch
            .column_by_name("create_time")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        assert_eq!(created.value(0), 1_619_611_561_000);
        assert!(created.is_null(1));
        let updated = batch
            .column_by_name("update_time")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        assert!(
            updated.is_null(1),
            "an overflowing time is left out, not wrapped"
        );
        let extracted = batch
            .column_by_name("extracted_at")
            .unwrap()
            .as_primitive::<TimestampMillisecondType>();
        assert_eq!(extracted.value(1), 1_700_000_000_123);
        let payload = batch.column_by_name("payload").unwrap().as_string::<i64>();
        assert_eq!(payload.value(0), r#"{"id":"576461413038785752"}"#);
        let status = batch.column_by_name("order_status").unwrap();
        assert!(status.is_null(1));
    }

    #[test]
    fn an_empty_page_is_an_empty_batch() {
        let page = RecordPage {
            request_id: "R".into(),
            records: vec![],
            next_cursor: None,
            total_count: None,
        };
        let shop = ShopCipher::parse("S").unwrap();
        assert_eq!(
            page_batch(&shop, &page.request_id, &page.records, Utc::now())
                .unwrap()
                .num_rows(),
            0
        );
    }
}
