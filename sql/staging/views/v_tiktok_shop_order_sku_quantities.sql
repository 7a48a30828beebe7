-- Quantity per order and SKU.
--
-- In API version 202309 a line item is one unit, so the staging table holds
-- one row per unit and the quantity of a SKU in an order is the number of its
-- line items. COUNT(DISTINCT item_id), not COUNT(*): a table loaded with
-- `--load-mode append` keeps one copy of a line item per batch, and a unit
-- must not count twice.
--
-- Run it in the staging database after the table exists (it replaces an older
-- version of the view). The SQLite target creates the same view from the
-- SELECT below (src/load/sqlite/sql.rs swaps the first line and the dbo.
-- prefix), so keep the SELECT to portable SQL.
CREATE OR ALTER VIEW dbo.v_tiktok_shop_order_sku_quantities AS
SELECT
    shop_cipher,
    order_id,
    sku_id,
    MAX(product_id) AS product_id,
    MAX(seller_sku) AS seller_sku,
    MAX(sku_name) AS sku_name,
    MAX(item_name) AS item_name,
    COUNT(DISTINCT item_id) AS quantity
FROM dbo.tiktok_shop_orders
GROUP BY shop_cipher, order_id, sku_id;
