"""The DAG as Airflow parses it: schedule, tasks, pools, retries, secrets, connections, alerts.

Operators are driven for real; where a Docker engine would answer, FakeDockerAPI
answers instead (the end-to-end test does the same against a real engine).
"""

from __future__ import annotations

import re
import socket
import socketserver
import sys
import threading
import uuid
from datetime import timedelta

import pendulum
import pytest
from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import Asset, Connection, CronDataIntervalTimetable, Variable
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from conftest import DAG_ID, load_dagbag, render
from fake_docker import FakeDockerAPI

SECRETS = {
    "TIKTOK_APP_KEY": "key-6h2cosrovhjab",
    "TIKTOK_APP_SECRET": "secret-Zx81qq",
    "TIKTOK_ACCESS_TOKEN": "token-ROW_a1b2c3",
    "TIKTOK_REFRESH_TOKEN": "refresh-ROW_d4e5f6",
    "DB_PASSWORD": "Sa-Passw0rd!",
    "ETL_DB_PASSWORD": "Etl-Passw0rd!",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE0001",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-0002",
}
RUN_ID = "scheduled__2026-11-25T06:00:00+00:00"
START = pendulum.datetime(2026, 11, 25, 0, tz="UTC")
END = pendulum.datetime(2026, 11, 25, 6, tz="UTC")
DOCKER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")


def dag_module(task):
    """The parsed DAG file's module (DagBag imports it under a generated name)."""
    return sys.modules[type(task).__module__]


def fake_engine(monkeypatch, **kwargs) -> FakeDockerAPI:
    engine = FakeDockerAPI(**kwargs)
    monkeypatch.setattr(DockerOperator, "cli", property(lambda self: engine))
    return engine


def test_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert list(dagbag.dag_ids) == [DAG_ID]


def test_schedule_catches_up_one_run_at_a_time(dag):
    assert isinstance(dag.timetable, CronDataIntervalTimetable), "scheduled runs need a data interval"
    assert dag.timetable.expression == "0 */6 * * *"
    assert dag.catchup is True, "missed intervals must be run, not skipped"
    assert dag.max_active_runs == 1
    assert dag.start_date == pendulum.datetime(2026, 1, 1, tz="UTC")
    assert dag.dagrun_timeout == timedelta(minutes=480)


def test_parse_time_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_SCHEDULE", "15 */2 * * *")
    monkeypatch.setenv("TIKTOK_ETL_START_DATE", "2026-11-01")
    monkeypatch.setenv("TIKTOK_ETL_DAGRUN_TIMEOUT_MINUTES", "90")
    dag = load_dagbag().get_dag(DAG_ID)
    assert dag.timetable.expression == "15 */2 * * *"
    assert dag.start_date == pendulum.datetime(2026, 11, 1, tz="UTC")
    assert dag.dagrun_timeout == timedelta(minutes=90)
    monkeypatch.setenv("TIKTOK_ETL_SCHEDULE", "none")
    assert type(load_dagbag().get_dag(DAG_ID).timetable).__name__ == "NullTimetable"  # manual only


def test_parsing_never_asks_for_variables_or_connections(monkeypatch):
    """An unreachable API server (every Variable or Connection lookup failing) changes nothing:
    the schedule is the environment's, and a Variable of the same name is not consulted."""
    asked = []

    def api_down(*args, **kwargs):
        asked.append(args)
        raise RuntimeError("API server unreachable")

    monkeypatch.setattr(Variable, "get", api_down)
    monkeypatch.setattr(Connection, "get", api_down)
    monkeypatch.setenv("TIKTOK_ETL_SCHEDULE", "30 */3 * * *")
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_SCHEDULE", "0 3 * * *")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    dagbag = load_dagbag()
    assert dagbag.import_errors == {}
    assert dagbag.get_dag(DAG_ID).timetable.expression == "30 */3 * * *"
    assert asked == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIKTOK_ETL_SHOPS_PER_CHAIN", "two"),
        ("TIKTOK_ETL_RETRY_DELAY_SECONDS", "0"),
        ("TIKTOK_ETL_TASK_RUNNER", "podman"),
    ],
)
def test_a_bad_parse_time_setting_is_an_import_error_that_names_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    errors = load_dagbag().import_errors
    assert len(errors) == 1
    assert f"{name}={value!r}" in next(iter(errors.values()))


def test_doc_md_is_the_module_docstring(dag):
    assert dag.doc_md and dag.doc_md.lstrip().startswith("### TikTok Shop orders ETL")
    for name in ("TIKTOK_ETL_IMAGE", "TIKTOK_ETL_START_DATE", "private_environment", "days_back", "smtp_default"):
        assert name in dag.doc_md


def test_three_docker_tasks_in_order(dag):
    assert sorted(dag.task_ids) == ["extract", "load", "transform"]
    for task in dag.tasks:
        assert isinstance(task, DockerOperator)
        assert task.entrypoint == [f"/usr/local/bin/{task.task_id}"]
        assert task.do_xcom_push and not task.xcom_all and not task.retrieve_output
        assert task.mount_tmp_dir is False and task.auto_remove == "never"
    assert dag.get_task("extract").upstream_task_ids == set()
    assert dag.get_task("transform").upstream_task_ids == {"extract"}
    assert dag.get_task("load").upstream_task_ids == {"transform"}
    assert dag.get_task("load").downstream_task_ids == set()


def test_pools_serialize_the_api_and_the_loads(dag, monkeypatch):
    assert {t.task_id: t.pool for t in dag.tasks} == {
        "extract": "tiktok_api",
        "transform": "default_pool",
        "load": "tiktok_etl_load",
    }
    assert {t.pool_slots for t in dag.tasks} == {1}
    monkeypatch.setenv("TIKTOK_ETL_API_POOL", "tiktok_api_app2")
    monkeypatch.setenv("TIKTOK_ETL_LOAD_POOL", "load_facolos")
    monkeypatch.setenv("TIKTOK_ETL_SHOPS_PER_CHAIN", "1")
    fanned = load_dagbag().get_dag(DAG_ID)
    assert {t.task_id: t.pool for t in fanned.tasks} == {
        "list_shops": "tiktok_api_app2",
        "shop_chain.extract": "tiktok_api_app2",
        "shop_chain.transform": "default_pool",
        "shop_chain.load": "load_facolos",
    }


def test_load_declares_the_staging_table_asset(dag, monkeypatch):
    asset = Asset(name="tiktok_shop_orders_staging", uri="mssql://sqlserver:1433/Facolos_Staging/dbo/tiktok_shop_orders")
    assert dag.get_task("load").outlets == [asset]
    assert dag.get_task("extract").outlets == [] and dag.get_task("transform").outlets == []
    monkeypatch.setenv("TIKTOK_ETL_ASSET_URI", "mssql://db.example.test:1433/Staging/etl/orders")
    (outlet,) = load_dagbag().get_dag(DAG_ID).get_task("load").outlets
    assert (outlet.name, outlet.uri) == ("tiktok_shop_orders_staging", "mssql://db.example.test:1433/Staging/etl/orders")


def test_retries_backoff_and_timeouts(dag):
    timeouts = {task.task_id: task.execution_timeout for task in dag.tasks}
    assert timeouts == {
        "extract": timedelta(minutes=60),
        "transform": timedelta(minutes=30),
        "load": timedelta(minutes=30),
    }
    for task in dag.tasks:
        assert task.retries == 3
        assert task.retry_delay == timedelta(seconds=60)
        assert task.retry_exponential_backoff == 2.0
        assert task.max_retry_delay == timedelta(minutes=30)
        assert task.on_failure_callback


def test_documented_retry_delays_are_what_airflow_computes(dag):
    """docs: after try n the delay is 60·2^(n-1) s plus Airflow's jitter, below twice that.
    Computed by the scheduler's own TaskInstance.next_retry_datetime for many task instances."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.serialization.serialized_objects import DagSerialization

    scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    failed_at = pendulum.datetime(2026, 11, 25, 7, tz="UTC")
    delays = {1: [], 2: [], 3: []}
    for task_id in ("extract", "transform", "load"):
        for day in range(20):
            logical_date = START.subtract(days=day)
            run = DagRun(dag_id=DAG_ID, run_id=f"r{day}", logical_date=logical_date, run_after=logical_date, run_type="scheduled")
            for try_number in delays:
                ti = TaskInstance(task=scheduler_dag.get_task(task_id), run_id=run.run_id, dag_version_id=uuid.uuid4())
                ti.dag_run, ti.try_number, ti.end_date = run, try_number, failed_at
                delays[try_number].append((ti.next_retry_datetime() - failed_at).total_seconds())
    for try_number, seconds in delays.items():
        base = 60 * 2 ** (try_number - 1)
        assert base <= min(seconds) and max(seconds) < 2 * base, (try_number, min(seconds), max(seconds))
        assert max(seconds) - min(seconds) > base / 4, "the jitter the docs mention"


def test_retry_delay_can_be_changed(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_RETRY_DELAY_SECONDS", "2")
    dag = load_dagbag().get_dag(DAG_ID)
    assert {t.retry_delay for t in dag.tasks} == {timedelta(seconds=2)}


def test_manual_trigger_params(dag):
    assert set(dag.params.keys()) == {"days_back", "load_mode", "shops"}
    assert all(dag.params[name] is None for name in ("days_back", "load_mode", "shops"))


# --- The operator: container, secrets, exit codes ------------------------------------------------


def run_stage(dag, task_id, monkeypatch, *, try_number=1, **engine):
    """Render the task as a worker would, then execute it against the fake engine."""
    fake = fake_engine(monkeypatch, **engine)
    task, context = render(dag, task_id, run_id=RUN_ID, start=START, end=END, try_number=try_number)
    return fake, task, context


@pytest.mark.parametrize(
    ("task_id", "expected"),
    [
        ("extract", {"TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_ACCESS_TOKEN", "TIKTOK_REFRESH_TOKEN"}),
        ("transform", set()),
        ("load", {"DB_PASSWORD"}),
    ],
)
def test_secrets_reach_the_container_only_through_private_environment(dag, monkeypatch, task_id, expected):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    fake, task, context = run_stage(dag, task_id, monkeypatch, stdout_lines=['{"stage": "%s"}' % task_id])
    rendered = {field: getattr(task, field) for field in task.template_fields}
    result = task.execute(context)
    assert type(task.stage_secrets).__name__ == "StageSecrets"
    assert not any(value in repr(task.stage_secrets) for value in SECRETS.values())

    (created,) = fake.created
    secret_names = expected | {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert {k for k in created["environment"] if k in SECRETS or k == "DB_PASSWORD"} == secret_names
    if task_id == "load":  # the ETL's own password wins over the old sa-era DB_PASSWORD
        assert created["environment"]["DB_PASSWORD"] == SECRETS["ETL_DB_PASSWORD"]
    for value in SECRETS.values():
        assert value not in repr(rendered), f"{task_id}: a secret is in a rendered field"
        assert value not in repr(task.environment) and value not in repr(created["command"])
    assert "" not in created["environment"].values(), "unset settings are not passed as empty strings"
    assert result == '{"stage": "%s"}' % task_id


def test_no_secret_is_in_the_serialized_dag(monkeypatch):
    from airflow.serialization.serialized_objects import DagSerialization

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    for fan_out in ("0", "1"):
        monkeypatch.setenv("TIKTOK_ETL_SHOPS_PER_CHAIN", fan_out)
        serialized = repr(DagSerialization.serialize_dag(load_dagbag().get_dag(DAG_ID)))
        for value in SECRETS.values():
            assert value not in serialized


def test_runtime_settings_are_read_when_the_task_runs(dag, monkeypatch):
    fake, task, context = run_stage(dag, "transform", monkeypatch)
    monkeypatch.setenv("TIKTOK_ETL_DOCKER_NETWORK", "host")
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_STORE_VOLUME", "/srv/etl-store")
    monkeypatch.setenv("TIKTOK_ETL_DOCKER_URL", "tcp://docker-worker-2:2376")
    task.execute(context)
    host_config = fake.created[0]["host_config"]
    assert host_config["network_mode"] == "host"
    assert task.docker_url == "tcp://docker-worker-2:2376"
    (mount,) = host_config["mounts"]
    assert (mount["Target"], mount["Source"], mount["Type"]) == ("/data", "/srv/etl-store", "bind")


def test_default_store_is_the_named_volume(dag, monkeypatch):
    fake, task, context = run_stage(dag, "load", monkeypatch)
    task.execute(context)
    (mount,) = fake.created[0]["host_config"]["mounts"]
    assert (mount["Target"], mount["Source"], mount["Type"]) == ("/data", "tiktok_etl_store", "volume")
    assert fake.created[0]["host_config"]["network_mode"] == "bridge"


@pytest.mark.parametrize(("exit_code", "error"), [(1, DockerContainerFailedException), (2, AirflowFailException)])
def test_the_exit_code_read_from_the_container_decides_the_retry(dag, monkeypatch, exit_code, error):
    fake, task, context = run_stage(dag, "load", monkeypatch, exit_code=exit_code)
    with pytest.raises(error) as raised:
        task.execute(context)
    if exit_code == 1:
        assert not isinstance(raised.value, AirflowFailException), "exit code 1 is retried"
    assert fake.removed == [("container-1", True)], "removed only after the exit code was read"


@pytest.mark.parametrize("status", [20, 200, 255])
def test_exit_codes_that_merely_contain_a_2_are_retried(dag, monkeypatch, status):
    """The old check matched "'StatusCode': 2" in the exception text, so 20-29 and 200-255 too."""
    fake, task, context = run_stage(dag, "load", monkeypatch, exit_code=status)
    with pytest.raises(DockerContainerFailedException) as raised:
        task.execute(context)
    assert not isinstance(raised.value, AirflowFailException)


def test_xcom_is_the_last_stdout_line_read_alone(dag, monkeypatch):
    fake, task, context = run_stage(dag, "extract", monkeypatch, stdout_lines=["progress 1", "progress 2", '{"rows": 3}'])
    assert task.execute(context) == '{"rows": 3}'
    assert fake.logs_calls == [{"stdout": True, "stderr": False, "tail": "all"}], "not stdout alone"


def test_xcom_is_the_summary_when_a_stderr_line_is_stored_after_it(dag, monkeypatch):
    """The engine takes `tail` over both streams before keeping stdout: `tail=1` read nothing
    when a log line on stderr was stored after the summary, and the stage lost its XCom."""
    fake, task, context = run_stage(
        dag, "transform", monkeypatch, stdout_lines=['{"stage": "transform"}'], stderr_after=["a late log line"]
    )
    assert task.execute(context) == '{"stage": "transform"}'


def test_container_name_is_per_run_task_and_try(dag):
    names = set()
    for run_id in (RUN_ID, "manual__2026-11-25T07:45:00+00:00", "backfill__2026-11-25T06:00:00+00:00"):
        for task_id in ("extract", "transform", "load"):
            for try_number in (1, 2):
                task, _ = render(dag, task_id, run_id=run_id, start=START, end=END, try_number=try_number)
                assert DOCKER_NAME.fullmatch(task.container_name), task.container_name
                assert task.container_name.startswith(f"tiktok-etl_{task_id}_") and task.container_name.endswith(
                    f"_try{try_number}"
                )
                again, _ = render(dag, task_id, run_id=run_id, start=START, end=END, try_number=try_number)
                assert again.container_name == task.container_name, "deterministic"
                names.add(task.container_name)
    assert len(names) == 3 * 3 * 2


def test_a_container_left_by_an_earlier_try_is_removed_before_the_next_starts(dag, monkeypatch):
    first, context = render(dag, "transform", run_id=RUN_ID, start=START, end=END, try_number=1)
    labels = dag_module(first).container_labels(context["ti"])
    other_task, other_context = render(dag, "load", run_id=RUN_ID, start=START, end=END, try_number=1)
    other_labels = dag_module(other_task).container_labels(other_context["ti"])
    stale = [
        {"Id": "orphan-try-1", "Names": ["/" + first.container_name], "State": "running", "Labels": labels},
        {"Id": "other-task", "Names": ["/x"], "State": "running", "Labels": other_labels},
    ]
    fake, task, context = run_stage(dag, "transform", monkeypatch, try_number=2, stale=stale)
    task.execute(context)
    assert fake.removed[0] == ("orphan-try-1", True), "stopped and removed first"
    assert ("other-task", True) not in fake.removed
    (created,) = fake.created
    assert created["name"] == task.container_name and created["name"].endswith("_try2")
    assert created["labels"][f"{dag_module(task).LABEL}.try-number"] == "2"
    assert created["labels"][f"{dag_module(task).LABEL}.run-id"] == RUN_ID


# --- Connections in place of environment variables ----------------------------------------------

API_CONNECTION = (
    '{"conn_type": "generic", "login": "conn-app-key", "password": "conn-app-secret", '
    '"extra": {"access_token": "conn-access-token", "refresh_token": "conn-refresh-token", '
    '"api_base_url": "http://api.example.test", "auth_base_url": "http://auth.example.test", '
    '"shop_cipher": "GCP_from_conn"}}'
)


def test_tiktok_credentials_come_from_the_connection(dag, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)  # the fallback, overridden by the connection
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_SHOP_API", API_CONNECTION)
    fake, task, context = run_stage(dag, "extract", monkeypatch)
    assert task.environment["TIKTOK_API_BASE_URL"] == "http://api.example.test"
    assert task.environment["TIKTOK_AUTH_BASE_URL"] == "http://auth.example.test"
    assert task.environment["TIKTOK_SHOP_CIPHER"] == "GCP_from_conn"
    task.execute(context)
    env = fake.created[0]["environment"]
    assert (env["TIKTOK_APP_KEY"], env["TIKTOK_APP_SECRET"]) == ("conn-app-key", "conn-app-secret")
    assert (env["TIKTOK_ACCESS_TOKEN"], env["TIKTOK_REFRESH_TOKEN"]) == ("conn-access-token", "conn-refresh-token")
    for value in ("conn-app-secret", "conn-access-token", "conn-refresh-token"):
        assert value not in repr({f: getattr(task, f) for f in task.template_fields})


def test_the_environment_is_the_fallback_for_a_missing_connection(dag, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    fake, task, context = run_stage(dag, "extract", monkeypatch)
    task.execute(context)
    assert fake.created[0]["environment"]["TIKTOK_APP_SECRET"] == SECRETS["TIKTOK_APP_SECRET"]


def test_sql_server_target_and_password_come_from_the_connection(dag, monkeypatch):
    monkeypatch.setenv("ETL_DB_PASSWORD", "env-password")
    monkeypatch.setenv("TIKTOK_ETL_TARGET", "server=tcp:from-env,1433;database=X;user id=y")
    monkeypatch.setenv(
        "AIRFLOW_CONN_TIKTOK_ETL_DB",
        '{"conn_type": "mssql", "host": "sql.example.test", "port": 14330, "schema": "Facolos_Staging", '
        '"login": "tiktok_etl", "password": "conn-Passw0rd!", "extra": {"trust_server_certificate": true}}',
    )
    fake, task, context = run_stage(dag, "load", monkeypatch)
    assert task.environment["ETL_TARGET"] == (
        "server=tcp:sql.example.test,14330;database=Facolos_Staging;user id=tiktok_etl;TrustServerCertificate=true"
    )
    task.execute(context)
    assert fake.created[0]["environment"]["DB_PASSWORD"] == "conn-Passw0rd!"
    assert "conn-Passw0rd!" not in repr(task.environment)


def test_a_sqlite_connection_and_a_wrong_type(dag, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_ETL_DB", '{"conn_type": "sqlite", "host": "/data/staging.db"}')
    task, _ = render(dag, "load", run_id=RUN_ID, start=START, end=END)
    assert task.environment["ETL_TARGET"] == "sqlite:///data/staging.db"
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_ETL_DB", '{"conn_type": "postgres", "host": "db"}')
    with pytest.raises(AirflowFailException, match="expected mssql or sqlite"):
        render(dag, "load", run_id=RUN_ID, start=START, end=END)


def test_store_keys_come_from_the_store_connection(dag, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_TIKTOK_ETL_STORE",
        '{"conn_type": "aws", "login": "AKIACONN", "password": "conn-s3-secret", '
        '"extra": {"region_name": "ap-southeast-1", "endpoint_url": "http://s3.example.test:8333"}}',
    )
    fake, task, context = run_stage(dag, "transform", monkeypatch)
    assert task.environment["AWS_REGION"] == "ap-southeast-1"
    assert task.environment["AWS_ENDPOINT_URL"] == "http://s3.example.test:8333"
    task.execute(context)
    env = fake.created[0]["environment"]
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("AKIACONN", "conn-s3-secret")


# --- Fan-out --------------------------------------------------------------------------------------


@pytest.fixture
def fanned_out(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_SHOPS_PER_CHAIN", "1")
    return load_dagbag().get_dag(DAG_ID)


def test_fan_out_maps_one_chain_per_shop(fanned_out):
    assert sorted(fanned_out.task_ids) == ["list_shops", "shop_chain.extract", "shop_chain.load", "shop_chain.transform"]
    group = fanned_out.task_group_dict["shop_chain"]
    assert type(group).__name__ == "MappedTaskGroup"
    # Every task of a mapped group waits for the task its mapping comes from.
    assert fanned_out.get_task("shop_chain.extract").upstream_task_ids == {"list_shops"}
    assert fanned_out.get_task("shop_chain.transform").upstream_task_ids == {"list_shops", "shop_chain.extract"}
    assert fanned_out.get_task("shop_chain.load").upstream_task_ids == {"list_shops", "shop_chain.transform"}
    assert fanned_out.get_task("shop_chain.load").outlets[0].name == "tiktok_shop_orders_staging"


def test_chains_are_keyed_by_run_and_shop_and_grouped_deterministically(fanned_out):
    module = dag_module(fanned_out.get_task("list_shops"))
    one = module.shop_chains(RUN_ID, ["ROW_b", "GCP_a", " ", "GCP_a"], 1)
    assert one == [
        {"run": f"{RUN_ID}.shop-GCP_a", "shops": "GCP_a"},
        {"run": f"{RUN_ID}.shop-ROW_b", "shops": "ROW_b"},
    ]
    groups = module.shop_chains(RUN_ID, [f"S{i:03d}" for i in range(7)][::-1], 3)
    assert [g["shops"] for g in groups] == ["S000,S001,S002", "S003,S004,S005", "S006"]
    assert groups == module.shop_chains(RUN_ID, [f"S{i:03d}" for i in range(7)], 3), "order of input is irrelevant"
    assert groups[0]["run"].startswith(f"{RUN_ID}.shops-3-") and groups[2]["run"] == f"{RUN_ID}.shop-S006"


def test_list_shops_uses_the_given_shops_without_a_container(fanned_out, monkeypatch):
    fake = fake_engine(monkeypatch)
    task, context = render(fanned_out, "list_shops", run_id=RUN_ID, start=START, end=END, conf={"shops": "B,A"})
    assert task.execute(context) == [
        {"run": f"{RUN_ID}.shop-A", "shops": "A"},
        {"run": f"{RUN_ID}.shop-B", "shops": "B"},
    ]
    assert fake.created == []


def test_list_shops_asks_the_api_for_the_authorized_shops(fanned_out, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    check_output = [
        "api:      ok, 2 authorized shop(s) at http://127.0.0.1:8900",
        "          GCP_a Shop A (GB, CROSS_BORDER)",
        "          TIKTOK_SHOP_CIPHER=GCP_a,ROW_b",
    ]
    fake = fake_engine(monkeypatch, stdout_lines=check_output)
    task, context = render(fanned_out, "list_shops", run_id=RUN_ID, start=START, end=END)
    assert [chain["shops"] for chain in task.execute(context)] == ["GCP_a", "ROW_b"]
    (created,) = fake.created
    assert created["entrypoint"] == ["/usr/local/bin/tiktok-etl"]
    assert created["command"] == ["check", "--skip-database"]
    assert created["environment"]["TIKTOK_APP_SECRET"] == SECRETS["TIKTOK_APP_SECRET"]
    assert "DB_PASSWORD" not in created["environment"]


def test_list_shops_fails_when_check_prints_no_ciphers(fanned_out, monkeypatch):
    fake_engine(monkeypatch, stdout_lines=["api:      ok, 0 authorized shop(s)"])
    task, context = render(fanned_out, "list_shops", run_id=RUN_ID, start=START, end=END)
    with pytest.raises(AirflowException, match="TIKTOK_SHOP_CIPHER"):
        task.execute(context)


# --- KubernetesPodOperator variant (built and rendered here; no Kubernetes cluster runs it) -------


@pytest.fixture
def on_kubernetes(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_TASK_RUNNER", "kubernetes")
    monkeypatch.setenv("TIKTOK_ETL_K8S_NAMESPACE", "etl")
    return load_dagbag().get_dag(DAG_ID)


def test_kubernetes_variant_builds_the_same_stage_pods(on_kubernetes, monkeypatch):
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)  # must not end up in a pod spec: pods get Kubernetes Secrets
    secret_refs = {"extract": ["tiktok-etl-api", "tiktok-etl-store"], "transform": ["tiktok-etl-store"], "load": ["tiktok-etl-db", "tiktok-etl-store"]}
    for task_id, refs in secret_refs.items():
        task, context = render(on_kubernetes, task_id, run_id=RUN_ID, start=START, end=END)
        assert isinstance(task, KubernetesPodOperator)
        assert task.pool == {"extract": "tiktok_api", "transform": "default_pool", "load": "tiktok_etl_load"}[task_id]
        task.env_vars = dag_module(task).unset_env_vars_removed(task.env_vars)
        pod = task.build_pod_request_obj(context, dry_run=True)
        (container,) = pod.spec.containers
        assert container.command == [f"/usr/local/bin/{task_id}"]
        assert container.args[:2] == ["--run-id", RUN_ID]
        assert pod.metadata.namespace == "etl"
        assert [source.secret_ref.name for source in container.env_from] == refs
        env = {var.name: var.value for var in container.env}
        assert env["ETL_STORE"] == "/data" and "" not in env.values()
        for value in SECRETS.values():
            assert value not in repr(pod.to_dict())
    extract, _ = render(on_kubernetes, "extract", run_id=RUN_ID, start=START, end=END)
    assert extract.arguments[2:] == ["--since", "2026-11-24T23:30:00+00:00", "--until", "2026-11-25T06:00:00+00:00"]


@pytest.mark.parametrize(("exit_code", "fails_at_once"), [(2, True), (1, False), (None, False)])
def test_kubernetes_variant_reads_exit_code_2_from_the_pod_status(on_kubernetes, monkeypatch, exit_code, fails_at_once):
    """Only our mapping is checked here: the provider's execute is replaced by one that ends as
    a failed pod does (remote_pod set, then AirflowException from its cleanup)."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from kubernetes.client import models as k8s

    def failed_pod(self, context):
        terminated = k8s.V1ContainerStateTerminated(exit_code=exit_code) if exit_code is not None else None
        status = k8s.V1ContainerStatus(
            name=self.base_container_name, image="x", image_id="x", ready=False, restart_count=0,
            state=k8s.V1ContainerState(terminated=terminated),
        )  # fmt: skip
        self.remote_pod = k8s.V1Pod(status=k8s.V1PodStatus(container_statuses=[status]))
        raise AirflowException(f"Pod {self.task_id} returned a failure.")

    monkeypatch.setattr(KubernetesPodOperator, "execute", failed_pod)
    task, context = render(on_kubernetes, "load", run_id=RUN_ID, start=START, end=END)
    with pytest.raises(AirflowException) as raised:
        task.execute(context)
    assert isinstance(raised.value, AirflowFailException) is fails_at_once


def test_kubernetes_fan_out_needs_the_shops(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_TASK_RUNNER", "kubernetes")
    monkeypatch.setenv("TIKTOK_ETL_SHOPS_PER_CHAIN", "2")
    dag = load_dagbag().get_dag(DAG_ID)
    task, context = render(dag, "list_shops", run_id=RUN_ID, start=START, end=END, conf={"shops": "C,A,B"})
    assert [c["shops"] for c in task.execute(context)] == ["A,B", "C"]
    task, context = render(dag, "list_shops", run_id=RUN_ID, start=START, end=END)
    with pytest.raises(AirflowFailException, match="needs the shops"):
        task.execute(context)


# --- Failure notifications through the SMTP provider ------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 smtp.test ESMTP\r\n")
        message = {"rcpt": []}
        for line in iter(self.rfile.readline, b""):
            command = line.strip().decode().upper()
            if command.startswith(("EHLO", "HELO", "RSET", "NOOP")):
                self.wfile.write(b"250 smtp.test\r\n")
            elif command.startswith("MAIL FROM:"):
                message["from"] = line.strip().decode()[10:].strip("<>")
                self.wfile.write(b"250 OK\r\n")
            elif command.startswith("RCPT TO:"):
                message["rcpt"].append(line.strip().decode()[8:].strip("<>"))
                self.wfile.write(b"250 OK\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                message["data"] = data.decode()
                self.server.messages.append(dict(message))
                self.wfile.write(b"250 queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 not implemented\r\n")


@pytest.fixture
def smtp_server(monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        '{"conn_type": "smtp", "host": "127.0.0.1", "port": %d, "extra": {"from_email": '
        '"airflow@example.test", "disable_ssl": true, "disable_tls": true, "timeout": 5, "retry_limit": 0}}' % port,
    )
    yield server
    server.shutdown()
    server.server_close()


def failure_context(dag, task_id="load", **extra):
    task, context = render(dag, task_id, run_id=RUN_ID, start=START, end=END, try_number=4)
    return task, {**context, "exception": AirflowException("Docker container failed: exit 1"), **extra}


def test_failure_notifier_is_the_smtp_providers(dag):
    for task in dag.tasks:
        (callback,) = task.on_failure_callback
        assert isinstance(callback, SmtpNotifier) and callback.smtp_conn_id == "smtp_default"
    (run_callback,) = dag.on_failure_callback if isinstance(dag.on_failure_callback, list) else [dag.on_failure_callback]
    assert isinstance(run_callback, SmtpNotifier)


def test_a_failed_task_is_emailed_through_smtp_default(dag, smtp_server, monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_ALERT_EMAIL", "data-team@example.test")
    task, context = failure_context(dag)
    (notifier,) = task.on_failure_callback
    notifier(context)
    (message,) = smtp_server.messages
    assert message["from"] == "airflow@example.test" and message["rcpt"] == ["data-team@example.test"]
    assert f"tiktok_shop_orders_etl: load failed in run {RUN_ID}" in message["data"]
    notifier(failure_context(dag, "extract")[1])  # the notifier is reusable: rendered on a copy
    assert "extract failed" in smtp_server.messages[1]["data"]


def test_without_an_address_the_failure_is_only_logged(dag, smtp_server, caplog):
    task, context = failure_context(dag)
    task.on_failure_callback[0](context)
    assert smtp_server.messages == []
    assert f"load failed in run {RUN_ID} (set TIKTOK_ETL_ALERT_EMAIL" in caplog.text


def test_a_timed_out_run_is_emailed_and_nothing_else_by_the_run_callback(dag, smtp_server, monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_ALERT_EMAIL", "data-team@example.test")
    _, context = failure_context(dag)
    notifier = dag.on_failure_callback[0] if isinstance(dag.on_failure_callback, list) else dag.on_failure_callback
    notifier({**context, "reason": "task_failure"})
    assert smtp_server.messages == [], "task failures are emailed by the task callback"
    notifier({**context, "reason": "timed_out"})
    (message,) = smtp_server.messages
    assert f"run {RUN_ID} timed out" in message["data"]


def test_a_missing_smtp_server_does_not_break_the_task_runner(dag, monkeypatch):
    """The task runner runs the callback and logs its error (the task is failed anyway)."""
    from airflow.sdk.execution_time.task_runner import _run_task_state_change_callbacks

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        '{"conn_type": "smtp", "host": "127.0.0.1", "port": %d, "extra": {"from_email": "a@example.test", '
        '"disable_ssl": true, "disable_tls": true, "timeout": 2, "retry_limit": 0}}' % port,
    )
    monkeypatch.setenv("TIKTOK_ETL_ALERT_EMAIL", "data-team@example.test")
    task, context = failure_context(dag)

    class Log:
        def __init__(self):
            self.errors = []

        def exception(self, message, **kwargs):
            self.errors.append((message, kwargs))

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    log = Log()
    _run_task_state_change_callbacks(task, "on_failure_callback", context, log)
    assert [message for message, _ in log.errors] == ["Failed to run task callback"]
