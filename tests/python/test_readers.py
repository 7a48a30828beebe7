"""The Parquet files a run leaves are readable by pyarrow and DuckDB with the
documented schemas (docs/contracts.md), and their counts match the manifests and the
SQLite table."""

import json
import os
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

BIN_DIR = Path(os.environ.get("ETL_BIN_DIR", Path(__file__).resolve().parents[2] / "target" / "debug"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One sandbox run of the README's first command, in a temp directory."""
    work = tmp_path_factory.mktemp("run")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ETL_", "TIKTOK_", "AWS_", "DB_"))}
    done = subprocess.run(
        [str(BIN_DIR / "tiktok-etl"), "run", "--sandbox", "--days-back", "2",
         "--store", str(work / "data"), "--target", f"sqlite://{work / 'data' / 'staging.db'}"],
        env=env, cwd=work, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    run_dir = work / "data" / summary["run_dir"]
    return {"summary": summary, "dir": run_dir, "db": work / "data" / "staging.db"}


def manifest(run, stage):
    return json.loads((run["dir"] / stage / "_manifest.json").read_text())


def test_raw_parquet_has_the_documented_schema_and_counts(run):
    files = sorted((run["dir"] / "extract").glob("shop=*/part-*.parquet"))
    assert len(files) == len(manifest(run, "extract")["shops"]) >= 1
    table = pa.concat_tables(pq.read_table(f) for f in files)
    ts = pa.timestamp("ms", tz="UTC")
    assert table.schema.field("order_id").type == pa.string()
    assert table.schema.field("update_time").type == ts
    assert table.schema.field("payload").type == pa.large_string()
    assert table.num_rows == manifest(run, "extract")["rows_out"] == run["summary"]["orders"] > 0
    first = json.loads(table.column("payload")[0].as_py())
    assert first["id"] == table.column("order_id")[0].as_py()


def test_staged_parquet_types_and_money_are_exact(run):
    path = run["dir"] / "transform" / "order_lines" / "part-00000.parquet"
    table = pq.read_table(path)
    assert table.schema.field("total_amount").type == pa.decimal128(19, 4)
    assert table.schema.field("create_time").type == pa.timestamp("ms", tz="UTC")
    assert table.schema.field("is_cod").type == pa.bool_()
    assert table.num_rows == manifest(run, "transform")["rows_out"] == run["summary"]["line_items"]
    amounts = table.column("total_amount").to_pylist()
    assert all(isinstance(a, Decimal) for a in amounts if a is not None)
    assert set(table.column("item_quantity").to_pylist()) == {1}
    keys = list(zip(table.column("order_id").to_pylist(), table.column("item_id").to_pylist()))
    assert len(keys) == len(set(keys)), "(order_id, item_id) is unique in the staged output"


def test_duckdb_reads_the_store_and_agrees_with_sqlite(run):
    pattern = str(run["dir"] / "transform" / "order_lines" / "*.parquet")
    con = duckdb.connect()
    rows, orders, total = con.execute(
        f"SELECT count(*), count(DISTINCT order_id), sum(item_sale_price) FROM read_parquet('{pattern}')"
    ).fetchone()
    kind = con.execute(f"DESCRIBE SELECT create_time, total_amount FROM read_parquet('{pattern}')").fetchall()
    assert [k[1] for k in kind] == ["TIMESTAMP WITH TIME ZONE", "DECIMAL(19,4)"]
    db = sqlite3.connect(run["db"])
    assert db.execute("SELECT count(*) FROM tiktok_shop_orders").fetchone()[0] == rows > 0
    assert db.execute("SELECT count(DISTINCT order_id) FROM tiktok_shop_orders").fetchone()[0] == orders
    sqlite_total = sum(Decimal(v) for (v,) in db.execute(
        "SELECT item_sale_price FROM tiktok_shop_orders WHERE item_sale_price IS NOT NULL"))
    assert sqlite_total == total, "money survives Parquet -> SQLite to the last digit"


def test_rejects_file_is_readable_even_when_empty(run):
    path = run["dir"] / "transform" / "rejects" / "part-00000.parquet"
    table = pq.read_table(path)
    assert {"order_id", "reason", "detail", "payload"} <= set(table.schema.names)
    assert table.num_rows == sum(manifest(run, "transform").get("rejects_by_reason", {}).values())
