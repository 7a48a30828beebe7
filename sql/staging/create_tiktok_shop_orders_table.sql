-- The staging table of TikTok Shop order line items: one row per line item
-- (in API 202309 a line item is one unit), in SQL Server.
--
-- Mirrors the staged Parquet schema (src/schema/staged.rs, `COLUMNS`) column
-- for column, in the same order, plus etl_created_at and etl_updated_at, which
-- the load sets. A test (src/load/mssql/tests.rs) holds this file to COLUMNS:
-- change both together. The load never creates or alters this table on its
-- own; it checks the table against COLUMNS and names every difference.
--
-- Types: text is NVARCHAR(n) (n counts UTF-16 code units), money is
-- DECIMAL(19,4) (exact, like the staged Decimal128(19, 4)), times are
-- DATETIME2(3) in UTC (the staged timestamps are UTC milliseconds), flags
-- are BIT.
--
-- Keys and indexes:
-- * No primary key on (order_id, item_id): `--load-mode append` keeps one
--   copy of a line item per batch (etl_batch_id = the run id), so that pair is
--   unique only in merge and replace tables, where the load keeps it so.
-- * UNIQUE (etl_batch_id, order_id, item_id) holds in every mode: a batch
--   never holds a line item twice, so a retried or re-run load can never
--   double its rows.
-- * The clustered index is (order_id, item_id): MERGE (the default mode)
--   joins on it, an order's lines are stored together, and readers look
--   orders up by id.
--
-- Run it in the staging database (sqlcmd -d Facolos_Staging -i <this file>);
-- it does nothing when the table exists. `load --create-table` runs this
-- same text (with the table name it is given).
IF OBJECT_ID(N'dbo.tiktok_shop_orders', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.tiktok_shop_orders (
        -- Keys and ETL metadata.
        etl_batch_id                   NVARCHAR(255)  NOT NULL,
        shop_cipher                    NVARCHAR(64)   NOT NULL,
        order_id                       NVARCHAR(32)   NOT NULL,
        item_id                        NVARCHAR(32)   NOT NULL,
        -- Order.
        order_status                   NVARCHAR(40)   NULL,
        order_type                     NVARCHAR(40)   NULL,
        create_time                    DATETIME2(3)   NOT NULL,
        update_time                    DATETIME2(3)   NOT NULL,
        paid_time                      DATETIME2(3)   NULL,
        rts_time                       DATETIME2(3)   NULL,
        rts_sla_time                   DATETIME2(3)   NULL,
        tts_sla_time                   DATETIME2(3)   NULL,
        shipping_due_time              DATETIME2(3)   NULL,
        collection_due_time            DATETIME2(3)   NULL,
        delivery_due_time              DATETIME2(3)   NULL,
        cancel_order_sla_time          DATETIME2(3)   NULL,
        delivery_sla_time              DATETIME2(3)   NULL,
        collection_time                DATETIME2(3)   NULL,
        delivery_time                  DATETIME2(3)   NULL,
        cancel_time                    DATETIME2(3)   NULL,
        request_cancel_time            DATETIME2(3)   NULL,
        cancel_reason                  NVARCHAR(255)  NULL,
        cancellation_initiator         NVARCHAR(20)   NULL,
        is_buyer_request_cancel        BIT            NULL,
        -- Buyer.
        buyer_user_id                  NVARCHAR(64)   NULL,
        buyer_email                    NVARCHAR(255)  NULL,
        buyer_nickname                 NVARCHAR(255)  NULL,
        buyer_message                  NVARCHAR(1000) NULL,
        seller_note                    NVARCHAR(1000) NULL,
        -- Fulfilment.
        payment_method_name            NVARCHAR(100)  NULL,
        shipping_type                  NVARCHAR(20)   NULL,
        shipping_provider              NVARCHAR(100)  NULL,
        shipping_provider_id           NVARCHAR(64)   NULL,
        tracking_number                NVARCHAR(100)  NULL,
        delivery_option_id             NVARCHAR(64)   NULL,
        delivery_option_name           NVARCHAR(100)  NULL,
        delivery_type                  NVARCHAR(40)   NULL,
        fulfillment_type               NVARCHAR(60)   NULL,
        warehouse_id                   NVARCHAR(64)   NULL,
        split_or_combine_tag           NVARCHAR(20)   NULL,
        is_cod                         BIT            NULL,
        is_sample_order                BIT            NULL,
        is_on_hold_order               BIT            NULL,
        is_replacement_order           BIT            NULL,
        is_exchange_order              BIT            NULL,
        has_updated_recipient_address  BIT            NULL,
        -- Order amounts (`payment`).
        currency                       NVARCHAR(8)    NULL,
        sub_total                      DECIMAL(19,4)  NULL,
        shipping_fee                   DECIMAL(19,4)  NULL,
        seller_discount                DECIMAL(19,4)  NULL,
        platform_discount              DECIMAL(19,4)  NULL,
        tax_amount                     DECIMAL(19,4)  NULL,
        product_tax                    DECIMAL(19,4)  NULL,
        shipping_fee_tax               DECIMAL(19,4)  NULL,
        total_amount                   DECIMAL(19,4)  NULL,
        original_total_product_price   DECIMAL(19,4)  NULL,
        original_shipping_fee          DECIMAL(19,4)  NULL,
        shipping_fee_seller_discount   DECIMAL(19,4)  NULL,
        shipping_fee_platform_discount DECIMAL(19,4)  NULL,
        shipping_fee_cofunded_discount DECIMAL(19,4)  NULL,
        retail_delivery_fee            DECIMAL(19,4)  NULL,
        small_order_fee                DECIMAL(19,4)  NULL,
        buyer_service_fee              DECIMAL(19,4)  NULL,
        handling_fee                   DECIMAL(19,4)  NULL,
        item_insurance_fee             DECIMAL(19,4)  NULL,
        shipping_insurance_fee         DECIMAL(19,4)  NULL,
        payment_platform_discount      DECIMAL(19,4)  NULL,
        -- Recipient.
        recipient_name                 NVARCHAR(255)  NULL,
        recipient_first_name           NVARCHAR(255)  NULL,
        recipient_last_name            NVARCHAR(255)  NULL,
        recipient_phone                NVARCHAR(64)   NULL,
        recipient_address_full         NVARCHAR(1000) NULL,
        recipient_address_detail       NVARCHAR(500)  NULL,
        recipient_address_line1        NVARCHAR(255)  NULL,
        recipient_address_line2        NVARCHAR(255)  NULL,
        recipient_address_line3        NVARCHAR(255)  NULL,
        recipient_address_line4        NVARCHAR(255)  NULL,
        recipient_postal_code          NVARCHAR(32)   NULL,
        recipient_region_code          NVARCHAR(8)    NULL,
        recipient_address_country      NVARCHAR(255)  NULL,
        recipient_address_state        NVARCHAR(255)  NULL,
        recipient_address_city         NVARCHAR(255)  NULL,
        recipient_address_district     NVARCHAR(255)  NULL,
        recipient_address_town         NVARCHAR(255)  NULL,
        -- Line item.
        product_id                     NVARCHAR(32)   NULL,
        item_name                      NVARCHAR(1000) NULL,
        sku_id                         NVARCHAR(32)   NULL,
        sku_name                       NVARCHAR(255)  NULL,
        seller_sku                     NVARCHAR(255)  NULL,
        item_display_status            NVARCHAR(40)   NULL,
        item_currency                  NVARCHAR(8)    NULL,
        item_original_price            DECIMAL(19,4)  NULL,
        item_sale_price                DECIMAL(19,4)  NULL,
        item_seller_discount           DECIMAL(19,4)  NULL,
        item_platform_discount         DECIMAL(19,4)  NULL,
        item_tax_amount                DECIMAL(19,4)  NULL,
        package_id                     NVARCHAR(32)   NULL,
        package_status                 NVARCHAR(40)   NULL,
        item_shipping_provider_name    NVARCHAR(100)  NULL,
        item_tracking_number           NVARCHAR(100)  NULL,
        item_cancel_reason             NVARCHAR(255)  NULL,
        item_cancel_user               NVARCHAR(20)   NULL,
        is_gift                        BIT            NULL,
        item_quantity                  INT            NOT NULL,
        etl_row_hash                   NVARCHAR(64)   NOT NULL,
        -- Set by the load (UTC): first inserted, last changed.
        etl_created_at                 DATETIME2(3)   NOT NULL,
        etl_updated_at                 DATETIME2(3)   NOT NULL,
        CONSTRAINT uq_tiktok_shop_orders_batch_order_item UNIQUE NONCLUSTERED (etl_batch_id, order_id, item_id)
    );
    CREATE CLUSTERED INDEX cx_tiktok_shop_orders_order_item ON dbo.tiktok_shop_orders (order_id, item_id);
END;
