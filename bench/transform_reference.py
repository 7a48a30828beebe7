"""The references the transform benchmark runs beside `transform`.

    python bench/transform_reference.py duckdb RAW_GLOB OUT.parquet
    python bench/transform_reference.py pandas RAW_GLOB OUT.parquet

Both do the same flatten as `transform`: keep the newest copy of each order,
one row per line item, every staged column of docs/contracts.md (read from
that table, so the references follow the contract), money as DECIMAL(19,4),
times as UTC timestamps. `duckdb` writes it as one SQL statement; `pandas`
is the old system's way: `json.loads` and `pandas.json_normalize`. Each
prints the number of rows written.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

CONTRACTS = Path(__file__).resolve().parent.parent / "docs" / "contracts.md"


def staged_columns() -> list[tuple[str, str, str]]:
    """(name, SQL Server type, source) of every staged column, in order."""
    text = CONTRACTS.read_text()
    table = text.split("### Staged (transform)")[1].split("### Rejects")[0]
    rows = []
    for line in table.splitlines():
        m = re.match(r"\| `(\w+)` \| [^|]+ \| ([^|]+) \| [^|]* \| (.+) \|$", line)
        if m:
            rows.append((m.group(1), m.group(2).strip(), m.group(3).strip()))
    return rows


def source_path(source: str) -> tuple[str, str] | None:
    """('order' | 'item' | 'order_json' | 'item_json', json path) of a source text."""
    m = re.match(r"(order|line item) `([^`]+)`(, as JSON text)?$", source)
    if not m:
        return None
    scope = "order" if m.group(1) == "order" else "item"
    return (scope + ("_json" if m.group(3) else ""), m.group(2))


def duckdb_sql(raw_glob: str, out: str) -> str:
    """One statement: each payload parsed once (`from_json` with the structure
    the columns read), line items unnested, every column cast."""
    columns = staged_columns()
    order: dict = {}
    item: dict = {}

    def put(tree: dict, path: str, duck_type) -> None:
        *parents, leaf = path.split(".")
        for p in parents:
            tree = tree.setdefault(p, {})
        tree.setdefault(leaf, duck_type)

    for _, sql_type, source in columns:
        path = source_path(source)
        if not path:
            continue
        scope, p = path
        if p in ("item_tax", "recipient_address.district_info"):
            continue
        if scope.endswith("_json"):
            duck = "JSON"
        elif sql_type.startswith("DATETIME2"):
            duck = "BIGINT"
        elif sql_type == "BIT":
            duck = "BOOLEAN"
        elif sql_type == "INT":
            duck = "INTEGER"
        else:
            duck = "VARCHAR"
        put(order if scope.startswith("order") else item, p, duck)
    put(order, "recipient_address.district_info",
        [{"address_level": "VARCHAR", "address_name": "VARCHAR", "address_level_name": "VARCHAR", "iso_code": "VARCHAR"}])
    item["item_tax"] = [{"tax_type": "VARCHAR", "tax_amount": "VARCHAR", "tax_rate": "VARCHAR"}]
    order["line_items"] = [item]
    structure = json.dumps(order).replace("'", "''")

    exprs = []
    for name, sql_type, source in columns:
        path = source_path(source)
        if path:
            scope, p = path
            ref = ("j" if scope.startswith("order") else "i") + "." + p
            if scope.endswith("_json") or p in ("item_tax",):
                e = f"CAST(to_json({ref}) AS VARCHAR)"
            elif sql_type.startswith("DECIMAL"):
                e = f"TRY_CAST({ref} AS DECIMAL(19,4))"
            elif sql_type.startswith("DATETIME2"):
                e = f"to_timestamp(NULLIF({ref}, 0))"
            else:
                e = ref
        elif "district_info" in source:
            level = source.split("level ")[1]
            e = f"list_filter(j.recipient_address.district_info, lambda x: x.address_level = '{level}')[1].address_name"
        elif name == "etl_batch_id":
            e = "'bench'"
        elif name == "shop_cipher":
            e = "shop_cipher"
        elif name == "item_tax_amount":
            e = "list_sum(list_transform(i.item_tax, lambda t: TRY_CAST(t.tax_amount AS DECIMAL(19,4))))"
        elif name == "item_quantity":
            e = "1"
        elif name == "etl_row_hash":
            e = "CAST(hash(j, i) AS VARCHAR)"
        else:
            e = "NULL"
        exprs.append(f"{e} AS {name}")
    select = ",\n  ".join(exprs)
    # The content hash: DuckDB's own 64-bit hash of the parsed order and
    # line item (the tool's SHA-256 over every cell is dearer, which only
    # favours DuckDB).
    return f"""
COPY (
WITH raw AS (
  SELECT * FROM read_parquet('{raw_glob}', filename = true, file_row_number = true)
), keep AS (
  SELECT filename, file_row_number FROM raw
  QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY update_time DESC) = 1
), newest AS (
  SELECT shop_cipher, payload FROM raw SEMI JOIN keep USING (filename, file_row_number)
), orders AS (
  SELECT shop_cipher, from_json(payload, '{structure}') AS j FROM newest
), items AS (
  SELECT shop_cipher, j, unnest(j.line_items) AS i FROM orders
)
SELECT
  {select}
FROM items
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
"""


def run_duckdb(raw_glob: str, out: str) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute(duckdb_sql(raw_glob, out))
    return con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]


def run_pandas(raw_glob: str, out: str) -> int:
    import glob

    import pandas as pd
    import pyarrow.parquet as pq

    raw = pd.concat(pq.read_table(f).to_pandas() for f in sorted(glob.glob(raw_glob)))
    raw = raw.sort_values("update_time").drop_duplicates("order_id", keep="last")
    orders = [json.loads(p) for p in raw["payload"]]
    meta = []
    for _, _, source in staged_columns():
        path = source_path(source)
        if path and path[0] == "order":
            meta.append(path[1].split("."))
    flat = pd.json_normalize(orders, record_path="line_items", meta=meta, record_prefix="item.", errors="ignore")
    for column in flat.columns:
        if flat[column].dtype == object:
            flat[column] = flat[column].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    flat.to_parquet(out, compression="zstd", index=False)
    return len(flat)


if __name__ == "__main__":
    mode, raw_glob, out = sys.argv[1:4]
    rows = {"duckdb": run_duckdb, "pandas": run_pandas}[mode](raw_glob, out)
    print(rows)
