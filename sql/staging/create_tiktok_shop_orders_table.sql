-- The staging table of TikTok Shop order line items: one row per line item
-- (in API 202309 a line item is one unit), in SQL Server.
--
-- Mirrors the staged Parquet schema (src/schema/staged.rs, `COLUMNS`) column
-- for column, in the same order, plus etl_created_at and etl_updated_at, which
-- the load sets. A test (src/load/mssql/tests.rs) holds this file to COLUMNS:
-- change both together. The load never creates or alters this table on its
-- own; it checks the table against COLUMNS and names every difference.
--
-- Types: text is NVARCHAR(n) (n counts UTF-16 code units; free text is
-- NVARCHAR(4000), the widest size the TDS bulk load sends without LOB
-- chunking; a longer value is cut by the transform and named in etl_flags),
-- money is DECIMAL(19,4) (exact, like the staged Decimal128(19, 4)), times
-- are DATETIME2(3) in UTC (the staged timestamps are UTC milliseconds),
-- booleans are BIT. Arrays and objects kept whole (item_tax,
-- combined_listing_skus, package_ids, ...) are their JSON text.
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
        etl_batch_id                           NVARCHAR(255)  NOT NULL,
        shop_cipher                            NVARCHAR(128)  NOT NULL,
        order_id                               NVARCHAR(32)   NOT NULL,
        item_id                                NVARCHAR(32)   NOT NULL,
        -- Order.
        order_status                           NVARCHAR(40)   NULL,
        order_type                             NVARCHAR(40)   NULL,
        create_time                            DATETIME2(3)   NULL,
        update_time                            DATETIME2(3)   NOT NULL,
        paid_time                              DATETIME2(3)   NULL,
        rts_time                               DATETIME2(3)   NULL,
        rts_sla_time                           DATETIME2(3)   NULL,
        tts_sla_time                           DATETIME2(3)   NULL,
        shipping_due_time                      DATETIME2(3)   NULL,
        collection_due_time                    DATETIME2(3)   NULL,
        delivery_due_time                      DATETIME2(3)   NULL,
        cancel_order_sla_time                  DATETIME2(3)   NULL,
        delivery_sla_time                      DATETIME2(3)   NULL,
        delivery_option_required_delivery_time DATETIME2(3)   NULL,
        fast_dispatch_sla_time                 DATETIME2(3)   NULL,
        pick_up_cut_off_time                   DATETIME2(3)   NULL,
        recommended_shipping_time              DATETIME2(3)   NULL,
        release_date                           DATETIME2(3)   NULL,
        instore_pickup_sla_time                DATETIME2(3)   NULL,
        collection_time                        DATETIME2(3)   NULL,
        delivery_time                          DATETIME2(3)   NULL,
        cancel_time                            DATETIME2(3)   NULL,
        request_cancel_time                    DATETIME2(3)   NULL,
        cancel_reason                          NVARCHAR(4000) NULL,
        cancellation_initiator                 NVARCHAR(20)   NULL,
        is_buyer_request_cancel                BIT            NULL,
        -- Buyer.
        buyer_user_id                          NVARCHAR(64)   NULL,
        buyer_email                            NVARCHAR(320)  NULL,
        buyer_nickname                         NVARCHAR(4000) NULL,
        buyer_avatar                           NVARCHAR(4000) NULL,
        buyer_message                          NVARCHAR(4000) NULL,
        seller_note                            NVARCHAR(4000) NULL,
        cpf                                    NVARCHAR(64)   NULL,
        cpf_name                               NVARCHAR(4000) NULL,
        -- Fulfilment.
        payment_method_name                    NVARCHAR(255)  NULL,
        shipping_type                          NVARCHAR(20)   NULL,
        shipping_provider                      NVARCHAR(255)  NULL,
        shipping_provider_id                   NVARCHAR(64)   NULL,
        tracking_number                        NVARCHAR(100)  NULL,
        delivery_option_id                     NVARCHAR(64)   NULL,
        delivery_option_name                   NVARCHAR(255)  NULL,
        delivery_type                          NVARCHAR(40)   NULL,
        fulfillment_type                       NVARCHAR(60)   NULL,
        fulfillment_priority_level             INT            NULL,
        fast_delivery_program                  NVARCHAR(64)   NULL,
        handling_duration_days                 NVARCHAR(16)   NULL,
        handling_duration_type                 NVARCHAR(40)   NULL,
        warehouse_id                           NVARCHAR(64)   NULL,
        split_or_combine_tag                   NVARCHAR(20)   NULL,
        auto_combine_group_id                  NVARCHAR(64)   NULL,
        package_ids                            NVARCHAR(4000) NULL,
        replaced_order_id                      NVARCHAR(32)   NULL,
        exchange_source_order_id               NVARCHAR(32)   NULL,
        consultation_id                        NVARCHAR(64)   NULL,
        commerce_platform                      NVARCHAR(64)   NULL,
        need_upload_invoice                    NVARCHAR(64)   NULL,
        order_rights                           NVARCHAR(4000) NULL,
        is_cod                                 BIT            NULL,
        is_sample_order                        BIT            NULL,
        is_on_hold_order                       BIT            NULL,
        is_replacement_order                   BIT            NULL,
        is_exchange_order                      BIT            NULL,
        is_subscription_order                  BIT            NULL,
        is_refundable_sample                   BIT            NULL,
        authentication_required                BIT            NULL,
        has_updated_recipient_address          BIT            NULL,
        -- Order amounts (`payment`).
        currency                               NVARCHAR(8)    NULL,
        sub_total                              DECIMAL(19,4)  NULL,
        shipping_fee                           DECIMAL(19,4)  NULL,
        seller_discount                        DECIMAL(19,4)  NULL,
        platform_discount                      DECIMAL(19,4)  NULL,
        tax_amount                             DECIMAL(19,4)  NULL,
        product_tax                            DECIMAL(19,4)  NULL,
        shipping_fee_tax                       DECIMAL(19,4)  NULL,
        total_amount                           DECIMAL(19,4)  NULL,
        original_total_product_price           DECIMAL(19,4)  NULL,
        original_shipping_fee                  DECIMAL(19,4)  NULL,
        shipping_fee_seller_discount           DECIMAL(19,4)  NULL,
        shipping_fee_platform_discount         DECIMAL(19,4)  NULL,
        shipping_fee_cofunded_discount         DECIMAL(19,4)  NULL,
        retail_delivery_fee                    DECIMAL(19,4)  NULL,
        small_order_fee                        DECIMAL(19,4)  NULL,
        buyer_service_fee                      DECIMAL(19,4)  NULL,
        handling_fee                           DECIMAL(19,4)  NULL,
        item_insurance_fee                     DECIMAL(19,4)  NULL,
        item_insurance_tax                     DECIMAL(19,4)  NULL,
        shipping_insurance_fee                 DECIMAL(19,4)  NULL,
        payment_platform_discount              DECIMAL(19,4)  NULL,
        payment_discount_service_fee           DECIMAL(19,4)  NULL,
        distance_fee                           DECIMAL(19,4)  NULL,
        distance_shipping_fee                  DECIMAL(19,4)  NULL,
        -- Recipient.
        recipient_name                         NVARCHAR(4000) NULL,
        recipient_first_name                   NVARCHAR(4000) NULL,
        recipient_last_name                    NVARCHAR(4000) NULL,
        recipient_first_name_local_script      NVARCHAR(4000) NULL,
        recipient_last_name_local_script       NVARCHAR(4000) NULL,
        recipient_phone                        NVARCHAR(64)   NULL,
        recipient_address_full                 NVARCHAR(4000) NULL,
        recipient_address_detail               NVARCHAR(4000) NULL,
        recipient_address_line1                NVARCHAR(4000) NULL,
        recipient_address_line2                NVARCHAR(4000) NULL,
        recipient_address_line3                NVARCHAR(4000) NULL,
        recipient_address_line4                NVARCHAR(4000) NULL,
        recipient_postal_code                  NVARCHAR(32)   NULL,
        recipient_post_town                    NVARCHAR(255)  NULL,
        recipient_region_code                  NVARCHAR(8)    NULL,
        recipient_drop_off_location            NVARCHAR(4000) NULL,
        recipient_address_country              NVARCHAR(255)  NULL,
        recipient_address_state                NVARCHAR(255)  NULL,
        recipient_address_city                 NVARCHAR(255)  NULL,
        recipient_address_district             NVARCHAR(255)  NULL,
        recipient_address_town                 NVARCHAR(255)  NULL,
        recipient_district_info                NVARCHAR(4000) NULL,
        -- Line item.
        product_id                             NVARCHAR(32)   NULL,
        item_name                              NVARCHAR(4000) NULL,
        sku_id                                 NVARCHAR(32)   NULL,
        sku_name                               NVARCHAR(4000) NULL,
        seller_sku                             NVARCHAR(255)  NULL,
        sku_image                              NVARCHAR(4000) NULL,
        sku_type                               NVARCHAR(40)   NULL,
        product_listing_type                   NVARCHAR(40)   NULL,
        item_display_status                    NVARCHAR(40)   NULL,
        item_currency                          NVARCHAR(8)    NULL,
        item_original_price                    DECIMAL(19,4)  NULL,
        item_sale_price                        DECIMAL(19,4)  NULL,
        item_seller_discount                   DECIMAL(19,4)  NULL,
        item_platform_discount                 DECIMAL(19,4)  NULL,
        item_tax_amount                        DECIMAL(19,4)  NULL,
        item_tax                               NVARCHAR(4000) NULL,
        item_small_order_fee                   DECIMAL(19,4)  NULL,
        item_retail_delivery_fee               DECIMAL(19,4)  NULL,
        item_buyer_service_fee                 DECIMAL(19,4)  NULL,
        item_pfand_fee                         DECIMAL(19,4)  NULL,
        item_gift_retail_price                 DECIMAL(19,4)  NULL,
        item_distance_fee                      DECIMAL(19,4)  NULL,
        item_distance_shipping_fee             DECIMAL(19,4)  NULL,
        item_shipping_vat_amount               DECIMAL(19,4)  NULL,
        item_shipping_vat_rate                 NVARCHAR(32)   NULL,
        package_id                             NVARCHAR(32)   NULL,
        package_status                         NVARCHAR(40)   NULL,
        item_shipping_provider_id              NVARCHAR(64)   NULL,
        item_shipping_provider_name            NVARCHAR(255)  NULL,
        item_tracking_number                   NVARCHAR(100)  NULL,
        item_rts_time                          DATETIME2(3)   NULL,
        item_cancel_reason                     NVARCHAR(4000) NULL,
        item_cancel_user                       NVARCHAR(20)   NULL,
        item_handling_duration_days            NVARCHAR(16)   NULL,
        is_gift                                BIT            NULL,
        is_dangerous_good                      BIT            NULL,
        needs_prescription                     BIT            NULL,
        combined_listing_skus                  NVARCHAR(4000) NULL,
        sub_item_info                          NVARCHAR(4000) NULL,
        room_id                                NVARCHAR(64)   NULL,
        is_unboxing_item                       BIT            NULL,
        unboxing_sku_code                      NVARCHAR(64)   NULL,
        unboxing_case_list                     NVARCHAR(4000) NULL,
        is_pod_customized                      BIT            NULL,
        pod_info_id                            NVARCHAR(64)   NULL,
        item_quantity                          INT            NOT NULL,
        -- What the transform did to this row.
        etl_flags                              NVARCHAR(4000) NULL,
        etl_row_hash                           NVARCHAR(64)   NOT NULL,
        -- Set by the load (UTC): first inserted, last changed.
        etl_created_at                 DATETIME2(3)   NOT NULL,
        etl_updated_at                 DATETIME2(3)   NOT NULL,
        CONSTRAINT uq_tiktok_shop_orders_batch_order_item UNIQUE NONCLUSTERED (etl_batch_id, order_id, item_id)
    );
    CREATE CLUSTERED INDEX cx_tiktok_shop_orders_order_item ON dbo.tiktok_shop_orders (order_id, item_id);
END;
