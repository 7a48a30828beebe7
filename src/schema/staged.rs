//! Staged Parquet (transform output): one row per order line item.
//!
//! [`COLUMNS`] is the single definition of this schema. Each entry says what
//! the column is ([`Kind`]) and where its value comes from ([`Origin`]);
//! transform follows the table, load derives its SQL types from it, and a
//! test holds `sql/staging/create_tiktok_shop_orders_table.sql` to it.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::time::timestamp_type;
use crate::money;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text of at most this many characters (SQL `NVARCHAR(n)`).
    Text(u16),
    /// A decimal amount from the API's string, never through f64.
    Money,
    /// Unix seconds from the API, stored as a UTC millisecond timestamp.
    Time,
    Bool,
    /// A 32-bit integer.
    Int,
}

/// Where a column's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The run id (`etl_batch_id`).
    RunId,
    /// The shop the order was read from.
    Shop,
    /// A `.`-separated path in the order object, e.g. `payment.tax`.
    Order(&'static str),
    /// A `.`-separated path in the line item.
    Item(&'static str),
    /// `recipient_address.district_info[]` entry of this `address_level`.
    District(&'static str),
    /// The JSON text of the order's value at this path (an array or object
    /// kept whole: package ids, order rights, district info).
    OrderJson(&'static str),
    /// The JSON text of the line item's value at this path (item taxes,
    /// combined-listing parts).
    ItemJson(&'static str),
    /// What the transform changed in the row: truncated and unreadable
    /// fields (`truncated:item_name;invalid:paid_time`), or null.
    Flags,
    /// The sum of the line item's `item_tax[].tax_amount`.
    ItemTaxTotal,
    /// Always 1: in API 202309 a line item is one unit.
    UnitQuantity,
    /// A hash of every content column (load compares rows by it).
    RowHash,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub origin: Origin,
    /// A required column is never null; an order without it is rejected.
    pub required: bool,
}

const fn col(name: &'static str, kind: Kind, origin: Origin) -> Column {
    Column {
        name,
        kind,
        origin,
        required: false,
    }
}

const fn key(name: &'static str, kind: Kind, origin: Origin) -> Column {
    Column {
        name,
        kind,
        origin,
        required: true,
    }
}

use Kind::{Bool, Int, Money, Text, Time};
use Origin::{District, Item, ItemJson, Order, OrderJson};

/// Every staged column, in table order.
pub const COLUMNS: &[Column] = &[
    // Keys and ETL metadata.
    key("etl_batch_id", Text(255), Origin::RunId),
    key("shop_cipher", Text(128), Origin::Shop),
    key("order_id", Text(32), Order("id")),
    key("item_id", Text(32), Item("id")),
    // Order.
    col("order_status", Text(40), Order("status")),
    col("order_type", Text(40), Order("order_type")),
    col("create_time", Time, Order("create_time")),
    key("update_time", Time, Order("update_time")),
    col("paid_time", Time, Order("paid_time")),
    col("rts_time", Time, Order("rts_time")),
    col("rts_sla_time", Time, Order("rts_sla_time")),
    col("tts_sla_time", Time, Order("tts_sla_time")),
    col("shipping_due_time", Time, Order("shipping_due_time")),
    col("collection_due_time", Time, Order("collection_due_time")),
    col("delivery_due_time", Time, Order("delivery_due_time")),
    col(
        "cancel_order_sla_time",
        Time,
        Order("cancel_order_sla_time"),
    ),
    col("delivery_sla_time", Time, Order("delivery_sla_time")),
    col(
        "delivery_option_required_delivery_time",
        Time,
        Order("delivery_option_required_delivery_time"),
    ),
    col(
        "fast_dispatch_sla_time",
        Time,
        Order("fast_dispatch_sla_time"),
    ),
    col("pick_up_cut_off_time", Time, Order("pick_up_cut_off_time")),
    col(
        "recommended_shipping_time",
        Time,
        Order("recommended_shipping_time"),
    ),
    col("release_date", Time, Order("release_date")),
    col(
        "instore_pickup_sla_time",
        Time,
        Order("instore_pickup_sla_time"),
    ),
    col("collection_time", Time, Order("collection_time")),
    col("delivery_time", Time, Order("delivery_time")),
    col("cancel_time", Time, Order("cancel_time")),
    col("request_cancel_time", Time, Order("request_cancel_time")),
    col("cancel_reason", Text(4000), Order("cancel_reason")),
    col(
        "cancellation_initiator",
        Text(20),
        Order("cancellation_initiator"),
    ),
    col(
        "is_buyer_request_cancel",
        Bool,
        Order("is_buyer_request_cancel"),
    ),
    // Buyer.
    col("buyer_user_id", Text(64), Order("user_id")),
    col("buyer_email", Text(320), Order("buyer_email")),
    col("buyer_nickname", Text(4000), Order("buyer_nickname")),
    col("buyer_avatar", Text(4000), Order("buyer_avatar")),
    col("buyer_message", Text(4000), Order("buyer_message")),
    col("seller_note", Text(4000), Order("seller_note")),
    col("cpf", Text(64), Order("cpf")),
    col("cpf_name", Text(4000), Order("cpf_name")),
    // Fulfilment.
    col(
        "payment_method_name",
        Text(255),
        Order("payment_method_name"),
    ),
    col("shipping_type", Text(20), Order("shipping_type")),
    col("shipping_provider", Text(255), Order("shipping_provider")),
    col(
        "shipping_provider_id",
        Text(64),
        Order("shipping_provider_id"),
    ),
    col("tracking_number", Text(100), Order("tracking_number")),
    col("delivery_option_id", Text(64), Order("delivery_option_id")),
    col(
        "delivery_option_name",
        Text(255),
        Order("delivery_option_name"),
    ),
    col("delivery_type", Text(40), Order("delivery_type")),
    col("fulfillment_type", Text(60), Order("fulfillment_type")),
    col(
        "fulfillment_priority_level",
        Int,
        Order("fulfillment_priority_level"),
    ),
    col(
        "fast_delivery_program",
        Text(64),
        Order("fast_delivery_program"),
    ),
    col(
        "handling_duration_days",
        Text(16),
        Order("handling_duration.days"),
    ),
    col(
        "handling_duration_type",
        Text(40),
        Order("handling_duration.type"),
    ),
    col("warehouse_id", Text(64), Order("warehouse_id")),
    col(
        "split_or_combine_tag",
        Text(20),
        Order("split_or_combine_tag"),
    ),
    col(
        "auto_combine_group_id",
        Text(64),
        Order("auto_combine_group_id"),
    ),
    col("package_ids", Text(4000), OrderJson("packages")),
    col("replaced_order_id", Text(32), Order("replaced_order_id")),
    col(
        "exchange_source_order_id",
        Text(32),
        Order("exchange_source_order_id"),
    ),
    col("consultation_id", Text(64), Order("consultation_id")),
    col("commerce_platform", Text(64), Order("commerce_platform")),
    col(
        "need_upload_invoice",
        Text(64),
        Order("need_upload_invoice"),
    ),
    col("order_rights", Text(4000), OrderJson("order_rights")),
    col("is_cod", Bool, Order("is_cod")),
    col("is_sample_order", Bool, Order("is_sample_order")),
    col("is_on_hold_order", Bool, Order("is_on_hold_order")),
    col("is_replacement_order", Bool, Order("is_replacement_order")),
    col("is_exchange_order", Bool, Order("is_exchange_order")),
    col(
        "is_subscription_order",
        Bool,
        Order("is_subscription_order"),
    ),
    col("is_refundable_sample", Bool, Order("is_refundable_sample")),
    col(
        "authentication_required",
        Bool,
        Order("authentication_required"),
    ),
    col(
        "has_updated_recipient_address",
        Bool,
        Order("has_updated_recipient_address"),
    ),
    // Order amounts (`payment`).
    col("currency", Text(8), Order("payment.currency")),
    col("sub_total", Money, Order("payment.sub_total")),
    col("shipping_fee", Money, Order("payment.shipping_fee")),
    col("seller_discount", Money, Order("payment.seller_discount")),
    col(
        "platform_discount",
        Money,
        Order("payment.platform_discount"),
    ),
    col("tax_amount", Money, Order("payment.tax")),
    col("product_tax", Money, Order("payment.product_tax")),
    col("shipping_fee_tax", Money, Order("payment.shipping_fee_tax")),
    col("total_amount", Money, Order("payment.total_amount")),
    col(
        "original_total_product_price",
        Money,
        Order("payment.original_total_product_price"),
    ),
    col(
        "original_shipping_fee",
        Money,
        Order("payment.original_shipping_fee"),
    ),
    col(
        "shipping_fee_seller_discount",
        Money,
        Order("payment.shipping_fee_seller_discount"),
    ),
    col(
        "shipping_fee_platform_discount",
        Money,
        Order("payment.shipping_fee_platform_discount"),
    ),
    col(
        "shipping_fee_cofunded_discount",
        Money,
        Order("payment.shipping_fee_cofunded_discount"),
    ),
    col(
        "retail_delivery_fee",
        Money,
        Order("payment.retail_delivery_fee"),
    ),
    col("small_order_fee", Money, Order("payment.small_order_fee")),
    col(
        "buyer_service_fee",
        Money,
        Order("payment.buyer_service_fee"),
    ),
    col("handling_fee", Money, Order("payment.handling_fee")),
    col(
        "item_insurance_fee",
        Money,
        Order("payment.item_insurance_fee"),
    ),
    col(
        "item_insurance_tax",
        Money,
        Order("payment.item_insurance_tax"),
    ),
    col(
        "shipping_insurance_fee",
        Money,
        Order("payment.shipping_insurance_fee"),
    ),
    col(
        "payment_platform_discount",
        Money,
        Order("payment.payment_platform_discount"),
    ),
    col(
        "payment_discount_service_fee",
        Money,
        Order("payment.payment_discount_service_fee"),
    ),
    col("distance_fee", Money, Order("payment.distance_fee")),
    col(
        "distance_shipping_fee",
        Money,
        Order("payment.distance_shipping_fee"),
    ),
    // Recipient.
    col(
        "recipient_name",
        Text(4000),
        Order("recipient_address.name"),
    ),
    col(
        "recipient_first_name",
        Text(4000),
        Order("recipient_address.first_name"),
    ),
    col(
        "recipient_last_name",
        Text(4000),
        Order("recipient_address.last_name"),
    ),
    col(
        "recipient_first_name_local_script",
        Text(4000),
        Order("recipient_address.first_name_local_script"),
    ),
    col(
        "recipient_last_name_local_script",
        Text(4000),
        Order("recipient_address.last_name_local_script"),
    ),
    col(
        "recipient_phone",
        Text(64),
        Order("recipient_address.phone_number"),
    ),
    col(
        "recipient_address_full",
        Text(4000),
        Order("recipient_address.full_address"),
    ),
    col(
        "recipient_address_detail",
        Text(4000),
        Order("recipient_address.address_detail"),
    ),
    col(
        "recipient_address_line1",
        Text(4000),
        Order("recipient_address.address_line1"),
    ),
    col(
        "recipient_address_line2",
        Text(4000),
        Order("recipient_address.address_line2"),
    ),
    col(
        "recipient_address_line3",
        Text(4000),
        Order("recipient_address.address_line3"),
    ),
    col(
        "recipient_address_line4",
        Text(4000),
        Order("recipient_address.address_line4"),
    ),
    col(
        "recipient_postal_code",
        Text(32),
        Order("recipient_address.postal_code"),
    ),
    col(
        "recipient_post_town",
        Text(255),
        Order("recipient_address.post_town"),
    ),
    col(
        "recipient_region_code",
        Text(8),
        Order("recipient_address.region_code"),
    ),
    col(
        "recipient_drop_off_location",
        Text(4000),
        Order("recipient_address.delivery_preferences.drop_off_location"),
    ),
    col("recipient_address_country", Text(255), District("L0")),
    col("recipient_address_state", Text(255), District("L1")),
    col("recipient_address_city", Text(255), District("L2")),
    col("recipient_address_district", Text(255), District("L3")),
    col("recipient_address_town", Text(255), District("L4")),
    col(
        "recipient_district_info",
        Text(4000),
        OrderJson("recipient_address.district_info"),
    ),
    // Line item.
    col("product_id", Text(32), Item("product_id")),
    col("item_name", Text(4000), Item("product_name")),
    col("sku_id", Text(32), Item("sku_id")),
    col("sku_name", Text(4000), Item("sku_name")),
    col("seller_sku", Text(255), Item("seller_sku")),
    col("sku_image", Text(4000), Item("sku_image")),
    col("sku_type", Text(40), Item("sku_type")),
    col(
        "product_listing_type",
        Text(40),
        Item("product_listing_type"),
    ),
    col("item_display_status", Text(40), Item("display_status")),
    col("item_currency", Text(8), Item("currency")),
    col("item_original_price", Money, Item("original_price")),
    col("item_sale_price", Money, Item("sale_price")),
    col("item_seller_discount", Money, Item("seller_discount")),
    col("item_platform_discount", Money, Item("platform_discount")),
    col("item_tax_amount", Money, Origin::ItemTaxTotal),
    col("item_tax", Text(4000), ItemJson("item_tax")),
    col("item_small_order_fee", Money, Item("small_order_fee")),
    col(
        "item_retail_delivery_fee",
        Money,
        Item("retail_delivery_fee"),
    ),
    col("item_buyer_service_fee", Money, Item("buyer_service_fee")),
    col("item_pfand_fee", Money, Item("pfand_fee")),
    col("item_gift_retail_price", Money, Item("gift_retail_price")),
    col("item_distance_fee", Money, Item("distance_fee")),
    col(
        "item_distance_shipping_fee",
        Money,
        Item("distance_shipping_fee"),
    ),
    col(
        "item_shipping_vat_amount",
        Money,
        Item("shipping_vat_amount"),
    ),
    col(
        "item_shipping_vat_rate",
        Text(32),
        Item("shipping_vat_rate"),
    ),
    col("package_id", Text(32), Item("package_id")),
    col("package_status", Text(40), Item("package_status")),
    col(
        "item_shipping_provider_id",
        Text(64),
        Item("shipping_provider_id"),
    ),
    col(
        "item_shipping_provider_name",
        Text(255),
        Item("shipping_provider_name"),
    ),
    col("item_tracking_number", Text(100), Item("tracking_number")),
    col("item_rts_time", Time, Item("rts_time")),
    col("item_cancel_reason", Text(4000), Item("cancel_reason")),
    col("item_cancel_user", Text(20), Item("cancel_user")),
    col(
        "item_handling_duration_days",
        Text(16),
        Item("handling_duration_days"),
    ),
    col("is_gift", Bool, Item("is_gift")),
    col("is_dangerous_good", Bool, Item("is_dangerous_good")),
    col("needs_prescription", Bool, Item("needs_prescription")),
    col(
        "combined_listing_skus",
        Text(4000),
        ItemJson("combined_listing_skus"),
    ),
    col("sub_item_info", Text(4000), ItemJson("sub_item_info")),
    col("room_id", Text(64), Item("room_id")),
    col("is_unboxing_item", Bool, Item("is_unboxing_item")),
    col("unboxing_sku_code", Text(64), Item("unboxing_sku_code")),
    col(
        "unboxing_case_list",
        Text(4000),
        ItemJson("unboxing_case_list"),
    ),
    col("is_pod_customized", Bool, Item("is_pod_customized")),
    col("pod_info_id", Text(64), Item("pod_info_id")),
    key("item_quantity", Int, Origin::UnitQuantity),
    // What the transform did to this row.
    col("etl_flags", Text(4000), Origin::Flags),
    key("etl_row_hash", Text(64), Origin::RowHash),
];

/// The key columns a row is identified by in the staging table.
pub const MERGE_KEY: [&str; 2] = ["order_id", "item_id"];

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Text(_) => DataType::Utf8,
            Kind::Money => DataType::Decimal128(money::PRECISION, money::SCALE),
            Kind::Time => timestamp_type(),
            Kind::Bool => DataType::Boolean,
            Kind::Int => DataType::Int32,
        }
    }
}

impl Origin {
    /// Whether the value is the order's, the same on each of its line
    /// items' rows (the row hash covers these columns first).
    pub fn is_order(self) -> bool {
        matches!(
            self,
            Origin::Order(_) | Origin::OrderJson(_) | Origin::District(_)
        )
    }
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|c| Field::new(c.name, c.kind.data_type(), !c.required))
            .collect::<Vec<_>>(),
    ))
});

/// The staged schema, built once from [`COLUMNS`].
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}

/// The index of a column in [`COLUMNS`] (and in the schema).
pub fn index_of(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn column_names_are_unique_snake_case_and_keep_the_old_names() {
        let mut seen = HashSet::new();
        for c in COLUMNS {
            assert!(seen.insert(c.name), "duplicate column {}", c.name);
            assert!(
                c.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                c.name
            );
        }
        for old in [
            "etl_batch_id",
            "order_id",
            "order_status",
            "create_time",
            "total_amount",
            "shipping_fee",
            "tax_amount",
            "recipient_name",
            "recipient_address_full",
            "item_id",
            "item_name",
            "item_quantity",
        ] {
            assert!(seen.contains(old), "old column {old} is missing");
        }
    }

    #[test]
    fn the_documented_table_lists_every_column_with_its_type() {
        let doc = include_str!("../../docs/contracts.md");
        let documented: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter(|l| {
                l.contains("| NVARCHAR")
                    || l.contains("| DECIMAL")
                    || l.contains("| DATETIME2")
                    || l.contains("| BIT")
                    || l.contains("| INT")
            })
            .collect();
        assert_eq!(
            documented.len(),
            COLUMNS.len(),
            "docs/contracts.md staged table"
        );
        for (line, column) in documented.iter().zip(COLUMNS) {
            let (arrow, sql) = match column.kind {
                Kind::Text(n) => ("Utf8", format!("NVARCHAR({n})")),
                Kind::Money => ("Decimal128(19, 4)", "DECIMAL(19,4)".to_owned()),
                Kind::Time => ("Timestamp(ms, UTC)", "DATETIME2(3)".to_owned()),
                Kind::Bool => ("Boolean", "BIT".to_owned()),
                Kind::Int => ("Int32", "INT".to_owned()),
            };
            let want = format!("{}` | {arrow} | {sql} |", column.name);
            assert!(line.starts_with(&want), "{line} should start with {want}");
            assert_eq!(line.contains("| not null |"), column.required, "{line}");
        }
    }

    #[test]
    fn keys_are_required_and_in_the_schema() {
        for name in MERGE_KEY {
            let c = &COLUMNS[index_of(name).unwrap()];
            assert!(c.required);
            assert!(!schema().field_with_name(name).unwrap().is_nullable());
        }
        assert_eq!(schema().fields().len(), COLUMNS.len());
    }
}
