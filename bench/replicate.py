"""Makes a run N times larger from a real staged run, for bench/load.sh.

Copies every staged file of run SOURCE N times into run TARGET, each copy
with its own order ids (`<k:03>-<order_id>`: copy k's ids all sort after copy
k-1's, as a later day's orders do) and TARGET as etl_batch_id, and
writes TARGET's transform manifest. The schema is the source files' own, as
transform wrote it (so it follows src/schema/staged.rs); the load checks it
on read like any other run.

    python bench/replicate.py STORE SOURCE TARGET N
"""

import json
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def main(store, source, target, copies):
    copies = int(copies)
    manifest = json.load(open(f"{store}/runs/{source}/transform/_manifest.json"))
    files = [f for f in manifest["files"] if f["dataset"] == "order_lines"]
    out_dir = f"runs/{target}/transform/order_lines"
    os.makedirs(f"{store}/{out_dir}", exist_ok=True)
    entries, part, total = [], 0, 0
    for k in range(copies):
        for entry in files:
            table = pq.read_table(f"{store}/{entry['path']}")
            schema = table.schema
            order_ids = pc.binary_join_element_wise(pa.scalar(f"{k:03d}-"), table["order_id"], "")
            table = table.set_column(schema.get_field_index("order_id"), schema.field("order_id"), order_ids)
            batch_ids = pa.array([target] * table.num_rows, type=schema.field("etl_batch_id").type)
            table = table.set_column(schema.get_field_index("etl_batch_id"), schema.field("etl_batch_id"), batch_ids)
            path = f"{out_dir}/part-{part:05d}.parquet"
            pq.write_table(table.cast(schema), f"{store}/{path}", compression="zstd", row_group_size=65536)
            entries.append({"path": path, "dataset": "order_lines", "rows": table.num_rows,
                            "bytes": os.path.getsize(f"{store}/{path}")})
            part += 1
            total += table.num_rows
    manifest["run_id"] = target
    manifest["files"] = entries
    manifest["rows_out"] = total
    with open(f"{store}/runs/{target}/transform/_manifest.json", "w") as f:
        json.dump(manifest, f)
    print(total)


if __name__ == "__main__":
    main(*sys.argv[1:5])
