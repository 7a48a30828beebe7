"""End to end: `airflow dags test` runs the DAG's DockerOperators for real.

The image is built with docker/build-local-image.sh (FROM scratch, no
registry) from the binaries in ETL_E2E_BIN_DIR (default target/debug); the
sandbox API runs on the host and the containers use the host network to
reach it; the store is a host directory bind-mounted at /data, with a SQLite
target in it. Scenario 2 makes transform fail on its first attempt and checks
that Airflow retried transform alone, reusing extract's files, and that the
table ends up the same.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import DAG_ID, REPO

BINARIES = ("extract", "transform", "load", "tiktok-etl")
IMAGE = os.environ.get("ETL_E2E_IMAGE", "tiktok-shop-etl:local")
SANDBOX_CREDENTIALS = {
    "TIKTOK_APP_KEY": "sandbox-app-key",
    "TIKTOK_APP_SECRET": "sandbox-app-secret",
    "TIKTOK_ACCESS_TOKEN": "sandbox-access-token",
    "TIKTOK_REFRESH_TOKEN": "sandbox-refresh-token",
}
SHOPS = os.environ.get("ETL_E2E_SHOPS", "GCP_SANDBOX_SHOP_0001,ROW_SANDBOX_SHOP_0002")
TABLE = "tiktok_shop_orders"
# Load times, and the batch id: `airflow dags test` names each run after its start time.
VOLATILE_COLUMNS = {"etl_created_at", "etl_updated_at", "etl_batch_id"}
DAG_TEST_TIMEOUT = 300


def run_segment(run_id: str) -> str:
    """The store path segment of a run id: bytes outside [A-Za-z0-9._-] (and a leading '.') as =XX."""
    out = []
    for i, byte in enumerate(run_id.encode()):
        char = chr(byte)
        plain = (char.isascii() and char.isalnum()) or char in "_-" or (char == "." and i > 0)
        out.append(char if plain else f"={byte:02X}")
    return "".join(out)


def test_run_segment_mapping():
    assert run_segment("scheduled__2026-11-25T06:00:00+00:00") == "scheduled__2026-11-25T06=3A00=3A00=2B00=3A00"


# The sandbox's data clock is frozen at the end of the run's data interval, so
# both scenarios see the same orders: the window of the run with logical date
# 2026-11-25T06:00Z is [2026-11-24T23:30Z, 2026-11-25T06:00Z) (30 min overlap).
LOGICAL_DATE = os.environ.get("ETL_E2E_LOGICAL_DATE", "2026-11-25T06:00:00+00:00")
SANDBOX_NOW = os.environ.get("ETL_E2E_SANDBOX_NOW", "2026-11-25T06:00:00Z")


@pytest.fixture(scope="module")
def bin_dir():
    try:
        docker_ok = subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        docker_ok = False
    if not docker_ok:
        pytest.skip("skipped: no Docker engine")
    path = Path(os.environ.get("ETL_E2E_BIN_DIR", REPO / "target" / "debug")).resolve()
    missing = [name for name in BINARIES if not (path / name).is_file()]
    if missing:
        pytest.skip(f"skipped: ETL binaries {missing} not in {path} (run `cargo build --bins` or set ETL_E2E_BIN_DIR)")
    return path


@pytest.fixture(scope="module")
def image(bin_dir):
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(REPO / "docker" / "build-local-image.sh"), IMAGE],
        env={**os.environ, "ETL_BIN_DIR": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"built {IMAGE}" in result.stdout
    print(f"{result.stdout.strip()} in {time.monotonic() - started:.1f}s")
    inspect = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", IMAGE],
        capture_output=True,
        text=True,
    )
    assert inspect.stdout.strip() == '10001:10001 ["/usr/local/bin/tiktok-etl"]'
    yield IMAGE
    subprocess.run(["docker", "image", "rm", "--force", IMAGE], capture_output=True)


@pytest.fixture(scope="module")
def sandbox(bin_dir, tmp_path_factory):
    log = (tmp_path_factory.mktemp("sandbox") / "stderr.log").open("w")
    process = subprocess.Popen(
        [str(bin_dir / "tiktok-etl"), "sandbox", "--listen", "127.0.0.1:0", "--frozen-now", SANDBOX_NOW],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=30)
    match = re.search(r"sandbox listening on (http://\S+)", first_line[0] if first_line else "")
    if not match:
        process.kill()
        pytest.fail(f"the sandbox did not say where it listens: {first_line!r}, see {log.name}")
    yield match.group(1).rstrip("/")
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


class ManifestWatcher(threading.Thread):
    """Remembers extract's manifest and raw Parquet files as first written, while the DAG runs."""

    def __init__(self, store: Path):
        super().__init__(daemon=True)
        self.store = store
        self.first: dict[Path, tuple[int, bytes]] = {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for manifest in self.store.glob("runs/*/extract/_manifest.json"):
                if manifest not in self.first:
                    self.first.update(snapshot(manifest.parent))
            time.sleep(0.05)


def snapshot(extract_dir: Path) -> dict[Path, tuple[int, bytes]]:
    files = [extract_dir / "_manifest.json", *sorted(extract_dir.glob("shop=*/*.parquet"))]
    return {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in files}


@dataclass
class DagRun:
    store: Path
    metadata_db: Path
    output: str
    extract_files_first_seen: dict = field(default_factory=dict)

    def query_metadata(self, sql, *args):
        with sqlite3.connect(self.metadata_db) as db:
            return db.execute(sql, args).fetchall()

    @property
    def run_id(self) -> str:
        ((run_id, state),) = self.query_metadata("SELECT run_id, state FROM dag_run WHERE dag_id = ?", DAG_ID)
        assert state == "success", self.output[-5000:]
        return run_id

    def tries(self) -> dict[str, tuple[int, str]]:
        rows = self.query_metadata(
            "SELECT task_id, try_number, state FROM task_instance WHERE dag_id = ?", DAG_ID
        )
        return {task_id: (try_number, state) for task_id, try_number, state in rows}

    def summaries(self) -> dict[str, dict]:
        rows = self.query_metadata(
            "SELECT task_id, value FROM xcom WHERE dag_id = ? AND key = 'return_value'", DAG_ID
        )
        out = {}
        for task_id, value in rows:
            line = json.loads(value) if isinstance(value, str | bytes) else value
            out[task_id] = json.loads(line)
        return out

    def run_dir(self) -> Path:
        return self.store / "runs" / run_segment(self.run_id)

    def staged_rows(self) -> int:
        files = sorted((self.run_dir() / "transform" / "order_lines").glob("*.parquet"))
        assert files, f"no staged Parquet in {self.run_dir()}"
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        pattern = str(self.run_dir() / "transform" / "order_lines" / "*.parquet")
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{pattern}')").fetchall() == [(rows,)]
        return rows

    def batch_ids(self) -> set[str]:
        with sqlite3.connect(self.store / "staging.db") as db:
            return {row[0] for row in db.execute(f"SELECT DISTINCT etl_batch_id FROM {TABLE}")}

    def table(self) -> tuple[int, list[tuple]]:
        with sqlite3.connect(self.store / "staging.db") as db:
            cursor = db.execute(f"SELECT * FROM {TABLE}")
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        keep = [i for i, name in enumerate(columns) if name not in VOLATILE_COLUMNS]
        content = sorted((tuple(row[i] for i in keep) for row in rows), key=repr)
        return len(rows), content


def run_dag(workdir: Path, sandbox_url: str, **settings) -> DagRun:
    """`airflow dags test` with its own metadata DB (a copy of the migrated one) and store."""
    store = workdir / "store"
    store.mkdir(parents=True)
    store.chmod(0o777)  # the containers run as uid 10001
    home = workdir / "airflow-home"
    home.mkdir()
    shutil.copy(Path(os.environ["AIRFLOW_HOME"]) / "airflow.db", home / "airflow.db")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW_VAR_TIKTOK_ETL_IMAGE": IMAGE,  # as an Airflow Variable
        "TIKTOK_ETL_DOCKER_NETWORK": "host",
        "TIKTOK_ETL_STORE_VOLUME": str(store),
        "TIKTOK_ETL_STORE": "/data",
        "TIKTOK_ETL_TARGET": "sqlite:///data/staging.db",
        "TIKTOK_ETL_CREATE_TABLE": "true",
        "TIKTOK_ETL_RETRY_DELAY_SECONDS": "1",
        "TIKTOK_API_BASE_URL": sandbox_url,
        "TIKTOK_AUTH_BASE_URL": sandbox_url,
        "TIKTOK_SHOP_CIPHER": SHOPS,
        **SANDBOX_CREDENTIALS,
        **settings,
    }
    watcher = ManifestWatcher(store)
    watcher.start()
    started = time.monotonic()
    try:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "dags", "test", DAG_ID, LOGICAL_DATE],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=DAG_TEST_TIMEOUT,
        )
    finally:
        watcher.stop.set()
        watcher.join()
    output = result.stdout + result.stderr
    print(f"airflow dags test {LOGICAL_DATE}: exit {result.returncode} in {time.monotonic() - started:.1f}s")
    (workdir / "dags-test.log").write_text(output)
    assert result.returncode == 0, output[-8000:]
    for secret in SANDBOX_CREDENTIALS.values():
        assert secret not in output, "a secret reached the task logs"
    return DagRun(store, home / "airflow.db", output, watcher.first)


@pytest.fixture(scope="module")
def clean_run(image, sandbox, tmp_path_factory):
    return run_dag(tmp_path_factory.mktemp("scenario1"), sandbox)


def test_dag_run_loads_every_staged_row(clean_run):
    assert clean_run.tries() == {name: (1, "success") for name in ("extract", "transform", "load")}
    staged = clean_run.staged_rows()
    loaded, _ = clean_run.table()
    print(f"run {clean_run.run_id}: {staged} staged rows, {loaded} in the table")
    assert staged > 0, "the window held no orders"
    assert loaded == staged
    assert clean_run.batch_ids() == {clean_run.run_id}
    assert (clean_run.run_dir() / "load" / "_manifest.json").is_file()


def test_each_stage_hands_its_json_summary_to_xcom(clean_run):
    summaries = clean_run.summaries()
    print(json.dumps(summaries, indent=1)[:3000])
    assert set(summaries) == {"extract", "transform", "load"}
    for task_id, summary in summaries.items():
        assert summary.get("stage") == task_id, f"{task_id}'s XCom is not its summary: {summary!r}"
        assert summary.get("run_id") == clean_run.run_id
    # the data interval [logical date - 6 h, logical date) plus the default 30 min overlap
    until = datetime.fromisoformat(LOGICAL_DATE).astimezone(timezone.utc)
    since = until - timedelta(hours=6, minutes=30)
    assert summaries["extract"]["window"] == {
        "since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert summaries["load"]["rows_out"] == clean_run.table()[0]
    leftovers = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"ancestor={IMAGE}"], capture_output=True, text=True
    )
    assert leftovers.stdout.strip() == "", "stage containers were left behind"


def test_transform_failing_once_is_retried_alone(clean_run, image, sandbox, tmp_path_factory):
    marker = "/data/.fault-transform-once"
    faulty = run_dag(tmp_path_factory.mktemp("scenario2"), sandbox, TIKTOK_ETL_TEST_FAULT_TRANSFORM=marker)

    assert (faulty.store / marker.removeprefix("/data/")).is_file(), "the injected fault did not fire"
    assert faulty.tries() == {
        "extract": (1, "success"),
        "transform": (2, "success"),
        "load": (1, "success"),
    }
    print(f"run {faulty.run_id}: tries {faulty.tries()}")
    extract_dir = faulty.run_dir() / "extract"
    assert faulty.extract_files_first_seen, "never saw extract's manifest being written"
    assert snapshot(extract_dir) == faulty.extract_files_first_seen, "extract's files changed after the retry"

    assert faulty.staged_rows() == clean_run.staged_rows()
    assert faulty.table() == clean_run.table()
