"""The reference for bench/load.sh: a hand-written Python loader.

What a data engineer would write in an afternoon: pyarrow reads the staged
Parquet files of a run in batches, and sqlite3's executemany upserts every
row with INSERT ... ON CONFLICT DO UPDATE ... WHERE (newer update_time, or
the same one with another row hash), in one transaction, into a fresh table
with a unique index on (order_id, item_id). Values are stored in the same
forms as the Rust loader's (money as 4-decimal text, times as ISO text).

    python bench/reference_loader.py STORE RUN_ID DATABASE
"""

import datetime
import json
import sqlite3
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq


def sql_type(field):
    if pa.types.is_boolean(field.type) or pa.types.is_integer(field.type):
        return "INTEGER"
    return "TEXT"


def converter(field):
    if pa.types.is_decimal(field.type):
        return lambda v: None if v is None else f"{v:.4f}"
    if pa.types.is_timestamp(field.type):
        def iso(v):
            if v is None:
                return None
            v = v.astimezone(datetime.timezone.utc)
            return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
        return iso
    if pa.types.is_boolean(field.type):
        return lambda v: None if v is None else int(v)
    return None


def main(store, run_id, database):
    manifest = json.load(open(f"{store}/runs/{run_id}/transform/_manifest.json"))
    files = [f"{store}/{f['path']}" for f in manifest["files"] if f["dataset"] == "order_lines"]
    schema = pq.read_schema(files[0])
    names = schema.names
    conn = sqlite3.connect(database)
    columns = ", ".join(f'"{f.name}" {sql_type(f)}' for f in schema)
    conn.execute(f"CREATE TABLE orders ({columns}, etl_created_at TEXT NOT NULL, etl_updated_at TEXT NOT NULL)")
    conn.execute("CREATE UNIQUE INDEX ux_orders_key ON orders (order_id, item_id)")
    places = ", ".join("?" for _ in range(len(names) + 2))
    sets = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n not in ("order_id", "item_id"))
    upsert = (
        f"INSERT INTO orders ({', '.join(names)}, etl_created_at, etl_updated_at) VALUES ({places}) "
        f"ON CONFLICT (order_id, item_id) DO UPDATE SET {sets}, etl_updated_at = excluded.etl_updated_at "
        "WHERE excluded.update_time > orders.update_time OR "
        "(excluded.update_time = orders.update_time AND excluded.etl_row_hash <> orders.etl_row_hash)"
    )
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    converters = [converter(f) for f in schema]
    rows = 0
    started = time.monotonic()
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            values = []
            for name, convert in zip(names, converters):
                column = batch.column(name).to_pylist()
                values.append(column if convert is None else [convert(v) for v in column])
            n = batch.num_rows
            conn.executemany(upsert, zip(*values, [now] * n, [now] * n))
            rows += n
    conn.commit()
    seconds = time.monotonic() - started
    print(json.dumps({"rows": rows, "seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
