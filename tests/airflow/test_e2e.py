"""End to end: `airflow dags test` runs the DAG's DockerOperators for real.

The image is built with docker/build-local-image.sh (FROM scratch, no
registry) from the binaries in ETL_E2E_BIN_DIR (default target/debug); the
sandbox API runs on the host with three shops and the containers use the host
network to reach it; the store is a host directory bind-mounted at /data,
with a SQLite target in it.

* a single chain over the three shops (the reference table);
* the same with transform failing once (exit code 1): transform is retried
  alone, reusing extract's files, and the table is the same;
* the fan-out (one chain per shop, shops listed by `tiktok-etl check`,
  credentials and target from Airflow Connections only) with one transform
  failing once: that chain's transform alone is retried, and the table equals
  the single chain's;
* extract without credentials exits 2: failed on its first try, not retried;
* the stage operator alone against real containers: exit codes 1 and 2, and a
  container left by an earlier try removed before the next try starts.
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
SHOPS = os.environ.get("ETL_E2E_SHOPS", "GCP_SANDBOX_SHOP_0001,ROW_SANDBOX_SHOP_0002,ROW_SANDBOX_SHOP_0003")
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
        [str(bin_dir / "tiktok-etl"), "sandbox", "--listen", "127.0.0.1:0", "--frozen-now", SANDBOX_NOW, "--shops", SHOPS],
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
    returncode: int
    extract_files_first_seen: dict = field(default_factory=dict)

    def query_metadata(self, sql, *args):
        with sqlite3.connect(self.metadata_db) as db:
            return db.execute(sql, args).fetchall()

    @property
    def state(self) -> str:
        ((state,),) = self.query_metadata("SELECT state FROM dag_run WHERE dag_id = ?", DAG_ID)
        return state

    @property
    def run_id(self) -> str:
        ((run_id, state),) = self.query_metadata("SELECT run_id, state FROM dag_run WHERE dag_id = ?", DAG_ID)
        assert state == "success", self.output[-5000:]
        return run_id

    def tries(self) -> dict[str, tuple[int, str]]:
        """{task: (try number, state)}; mapped tasks as `task[map index]`."""
        rows = self.query_metadata(
            "SELECT task_id, map_index, try_number, state FROM task_instance WHERE dag_id = ?", DAG_ID
        )
        return {(t if i < 0 else f"{t}[{i}]"): (n, state) for t, i, n, state in rows}

    def xcom(self, task_id, map_index=-1):
        ((value,),) = self.query_metadata(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND map_index = ? AND key = 'return_value'",
            DAG_ID,
            task_id,
            map_index,
        )
        return json.loads(value) if isinstance(value, str | bytes) else value

    def summaries(self) -> dict[str, dict]:
        rows = self.query_metadata(
            "SELECT task_id, value FROM xcom WHERE dag_id = ? AND key = 'return_value'", DAG_ID
        )
        out = {}
        for task_id, value in rows:
            line = json.loads(value) if isinstance(value, str | bytes) else value
            out[task_id] = json.loads(line)
        return out

    def run_dir(self, chain: str = "") -> Path:
        return self.store / "runs" / run_segment(self.run_id + chain)

    def staged_rows(self, chain: str = "") -> int:
        files = sorted((self.run_dir(chain) / "transform" / "order_lines").glob("*.parquet"))
        assert files, f"no staged Parquet in {self.run_dir(chain)}"
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        pattern = str(self.run_dir(chain) / "transform" / "order_lines" / "*.parquet")
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

    def assert_no_secret_stored(self, secrets):
        """Not in the task logs, XComs or rendered templates (what the UI shows)."""
        stored = repr(self.query_metadata("SELECT value FROM xcom"))
        stored += repr(self.query_metadata("SELECT rendered_fields FROM rendered_task_instance_fields"))
        assert self.query_metadata("SELECT count(*) FROM rendered_task_instance_fields")[0][0] > 0
        for secret in secrets:
            assert secret not in self.output, "a secret reached the task logs"
            assert secret not in stored, "a secret reached the XComs or rendered templates"


def run_dag(workdir: Path, sandbox_url: str, *, credentials=SANDBOX_CREDENTIALS, expect_success=True, **settings):
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
        **credentials,
        **settings,
    }
    env = {name: value for name, value in env.items() if value is not None}
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
    run = DagRun(store, home / "airflow.db", output, result.returncode, watcher.first)
    if expect_success:
        assert result.returncode == 0, output[-8000:]
        assert run.state == "success", output[-8000:]
    run.assert_no_secret_stored(SANDBOX_CREDENTIALS.values())
    return run


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
    shops = {path.name.removeprefix("shop=") for path in (clean_run.run_dir() / "extract").glob("shop=*")}
    assert shops == set(SHOPS.split(","))


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
    assert leftover_containers() == "", "stage containers were left behind"


def test_the_load_records_an_event_of_the_staging_table_asset(clean_run):
    events = clean_run.query_metadata(
        "SELECT asset.name, asset.uri, asset_event.source_task_id FROM asset_event "
        "JOIN asset ON asset.id = asset_event.asset_id"
    )
    assert events == [
        ("tiktok_shop_orders_staging", "mssql://sqlserver:1433/Facolos_Staging/dbo/tiktok_shop_orders", "load")
    ]


def leftover_containers() -> str:
    result = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"ancestor={IMAGE}"], capture_output=True, text=True
    )
    return result.stdout.strip()


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


def test_fan_out_over_three_shops_retries_one_chain_alone(clean_run, image, sandbox, tmp_path_factory):
    """One chain per shop, the shops listed by `tiktok-etl check` (no TIKTOK_SHOP_CIPHER), the
    credentials and the target from Airflow Connections only; the first transform to run fails
    once. That chain's transform alone is retried; the table equals the single chain's."""
    marker = "/data/.fault-transform-once"
    api = {
        "conn_type": "generic",
        "login": SANDBOX_CREDENTIALS["TIKTOK_APP_KEY"],
        "password": SANDBOX_CREDENTIALS["TIKTOK_APP_SECRET"],
        "extra": {
            "access_token": SANDBOX_CREDENTIALS["TIKTOK_ACCESS_TOKEN"],
            "refresh_token": SANDBOX_CREDENTIALS["TIKTOK_REFRESH_TOKEN"],
            "api_base_url": sandbox,
            "auth_base_url": sandbox,
        },
    }
    fanned = run_dag(
        tmp_path_factory.mktemp("fan-out"),
        sandbox,
        credentials={},  # no TIKTOK_APP_KEY … in the environment: the connection is the only source
        TIKTOK_SHOP_CIPHER=None,
        TIKTOK_API_BASE_URL=None,
        TIKTOK_AUTH_BASE_URL=None,
        TIKTOK_ETL_TARGET=None,
        AIRFLOW_CONN_TIKTOK_SHOP_API=json.dumps(api),
        AIRFLOW_CONN_TIKTOK_ETL_DB=json.dumps({"conn_type": "sqlite", "host": "/data/staging.db"}),
        TIKTOK_ETL_SHOPS_PER_CHAIN="1",
        TIKTOK_ETL_TEST_FAULT_TRANSFORM=marker,
    )
    shops = sorted(SHOPS.split(","))
    chains = fanned.xcom("list_shops")
    assert chains == [{"run": f"{fanned.run_id}.shop-{shop}", "shops": shop} for shop in shops]

    tries = fanned.tries()
    print(f"run {fanned.run_id}: tries {tries}")
    assert tries.pop("list_shops") == (1, "success")
    retried = {task for task, (n, _) in tries.items() if n > 1}
    assert len(retried) == 1 and retried.pop().startswith("shop_chain.transform["), tries
    assert sorted(tries) == sorted(f"shop_chain.{stage}[{i}]" for stage in ("extract", "transform", "load") for i in range(3))
    assert {state for _, state in tries.values()} == {"success"}
    assert sum(n for n, _ in tries.values()) == 9 + 1
    assert (fanned.store / marker.removeprefix("/data/")).is_file(), "the injected fault did not fire"

    for i, shop in enumerate(shops):
        chain = f".shop-{shop}"
        extracted = {p.name for p in (fanned.run_dir(chain) / "extract").glob("shop=*")}
        assert extracted == {f"shop={shop}"}, "each chain extracts its own shop"
        assert (fanned.run_dir(chain) / "load" / "_manifest.json").is_file()
        assert json.loads(fanned.xcom("shop_chain.load", i))["run_id"] == fanned.run_id + chain
    assert fanned.batch_ids() == {c["run"] for c in chains}
    assert sum(fanned.staged_rows(f".shop-{shop}") for shop in shops) == clean_run.staged_rows()
    assert fanned.table() == clean_run.table(), "the fan-out loads the same rows as one chain"
    events = fanned.query_metadata("SELECT source_map_index FROM asset_event ORDER BY source_map_index")
    assert events == [(0,), (1,), (2,)], "one staging-table asset event per chain"
    assert leftover_containers() == ""


def test_exit_code_2_fails_at_once_without_retry(image, sandbox, tmp_path_factory):
    """extract without credentials exits 2: failed on its first try although 3 retries (1 s apart
    here) are allowed; nothing downstream runs."""
    failed = run_dag(
        tmp_path_factory.mktemp("exit-2"),
        sandbox,
        credentials={name: None for name in SANDBOX_CREDENTIALS},
        expect_success=False,
    )
    assert failed.state == "failed"
    assert failed.tries() == {
        "extract": (1, "failed"),
        "transform": (0, "upstream_failed"),
        "load": (0, "upstream_failed"),
    }
    assert "extract: the stage exited with code 2" in failed.output
    # The failure callback ran (no address set: it logs), and the run's callback did not break.
    assert f"extract failed in run {failed.query_metadata('SELECT run_id FROM dag_run')[0][0]}" in failed.output
    assert "AttributeError" not in failed.output
    assert leftover_containers() == ""


# --- The stage operator alone against real containers ----------------------------------------


@pytest.fixture
def operator_settings(image, tmp_path, monkeypatch):
    store = tmp_path / "store"
    store.mkdir()
    store.chmod(0o777)
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_IMAGE", IMAGE)
    monkeypatch.setenv("TIKTOK_ETL_DOCKER_NETWORK", "none")
    monkeypatch.setenv("TIKTOK_ETL_STORE_VOLUME", str(store))
    return store


def render_stage(task_id, run_id, try_number=1):
    from conftest import load_dagbag, render

    dag = load_dagbag().get_dag(DAG_ID)
    until = datetime.fromisoformat(LOGICAL_DATE)
    return render(dag, task_id, run_id=run_id, start=until - timedelta(hours=6), end=until, try_number=try_number)


def test_real_container_exit_code_2_is_not_retryable_and_1_is(operator_settings, monkeypatch):
    from airflow.providers.docker.exceptions import DockerContainerFailedException
    from airflow.sdk.exceptions import AirflowFailException

    task, context = render_stage("transform", "manual__no-extract-ran")  # no upstream manifest: exit 2
    with pytest.raises(AirflowFailException, match="exited with code 2"):
        task.execute(context)

    monkeypatch.setenv("TIKTOK_ETL_TEST_FAULT_TRANSFORM", "/data/.fail-once")  # exit 1, before any work
    task, context = render_stage("transform", "manual__no-extract-ran")
    with pytest.raises(DockerContainerFailedException) as raised:
        task.execute(context)
    assert not isinstance(raised.value, AirflowFailException)
    assert (operator_settings / ".fail-once").is_file()
    assert leftover_containers() == "", "each container removed after its exit code was read"


def test_real_container_of_an_earlier_try_is_removed_first(operator_settings):
    """A stale try-1 container still running (a killed worker's orphan) is removed before try 2."""
    run_id = "scheduled__2026-11-25T06:00:00+00:00"
    first, first_context = render_stage("transform", run_id, try_number=1)
    labels = sys.modules[type(first).__module__].container_labels(first_context["ti"])
    orphan = subprocess.run(
        ["docker", "run", "--detach", "--name", first.container_name, "--network", "none",
         *[arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")],
         IMAGE, "sandbox", "--listen", "127.0.0.1:0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert orphan.returncode == 0, orphan.stderr
    started = time.time()
    second, second_context = render_stage("transform", run_id, try_number=2)
    assert second.container_name != first.container_name and second.container_name.endswith("_try2")
    try:
        second.execute(second_context)  # exits 2 (no extract ran): only its start matters here
    except Exception:
        pass
    events = subprocess.run(
        ["docker", "events", "--since", str(int(started) - 1), "--until", str(int(time.time()) + 1),
         "--filter", "type=container", "--format", "{{.Action}} {{.Actor.Attributes.name}}"],
        capture_output=True, text=True, timeout=30,
    ).stdout.split("\n")  # fmt: skip
    actions = [line for line in events if line.split(" ")[0] in ("destroy", "create")]
    print(actions)
    assert actions.index(f"destroy {first.container_name}") < actions.index(f"create {second.container_name}")
    assert leftover_containers() == ""


def test_real_engine_summary_is_read_when_stderr_is_stored_after_it(operator_settings):
    """Docker takes `tail` over both streams before it keeps stdout alone, so a log line on
    stderr stored after the summary made a `tail=1` read empty: how CI once lost transform's XCom.
    `tiktok-etl check` prints its result on stdout and then its error on stderr; the engine's two
    copiers race, so a few containers are run (the old read came back empty in most of them)."""
    task, _ = render_stage("transform", "manual__summary-reader")
    task.docker_url = sys.modules[type(task).__module__].etl_setting("TIKTOK_ETL_DOCKER_URL")
    empty_tail_reads = 0
    for _ in range(5):
        started = subprocess.run(
            ["docker", "run", "--detach", "--network", "none", IMAGE,
             "check", "--skip-api", "--target", "sqlite:///"],  # "/" cannot be opened
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        container_id = started.stdout.strip()
        try:
            exit_code = subprocess.run(["docker", "wait", container_id], capture_output=True, text=True, timeout=60)
            assert exit_code.stdout.strip() not in ("", "0"), "the check was meant to fail"
            task.container = {"Id": container_id}
            summary = task._result()
            assert summary is not None and summary.startswith("database: FAILED"), summary
            assert "error:" in task.cli.logs(container_id, stdout=False, stderr=True).decode()
            empty_tail_reads += not task.cli.logs(container_id, stdout=True, stderr=False, tail=1).strip()
        finally:
            subprocess.run(["docker", "rm", "--force", container_id], capture_output=True, timeout=60)
    print(f"a tail=1 read of stdout came back empty for {empty_tail_reads} of 5 containers")
    assert leftover_containers() == ""
