"""The DAG as Airflow parses it: ids, schedule, tasks, retries, secrets, alerts."""

from __future__ import annotations

import smtplib
import socket
from datetime import timedelta
from types import SimpleNamespace

import pendulum
import pytest
from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import CronDataIntervalTimetable
from airflow.sdk.exceptions import AirflowFailException

from conftest import DAG_ID, load_dagbag, render

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


def test_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert list(dagbag.dag_ids) == [DAG_ID]


def test_dag_schedule_catchup_and_concurrency(dag):
    assert dag.dag_id == DAG_ID
    assert isinstance(dag.timetable, CronDataIntervalTimetable), "scheduled runs need a data interval"
    assert dag.timetable.expression == "0 */6 * * *"
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_schedule_can_be_changed_by_env_or_variable(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_SCHEDULE", "15 */2 * * *")
    assert load_dagbag().get_dag(DAG_ID).timetable.expression == "15 */2 * * *"
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_SCHEDULE", "0 3 * * *")  # a Variable wins
    assert load_dagbag().get_dag(DAG_ID).timetable.expression == "0 3 * * *"
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_SCHEDULE", "none")
    assert type(load_dagbag().get_dag(DAG_ID).timetable).__name__ == "NullTimetable"  # manual only


def test_doc_md_is_the_module_docstring(dag):
    assert dag.doc_md and dag.doc_md.lstrip().startswith("### TikTok Shop orders ETL")
    for name in ("TIKTOK_ETL_IMAGE", "TIKTOK_ETL_OVERLAP_MINUTES", "private_environment", "days_back"):
        assert name in dag.doc_md


def test_three_docker_tasks_in_order(dag):
    assert sorted(dag.task_ids) == ["extract", "load", "transform"]
    for task in dag.tasks:
        assert isinstance(task, DockerOperator)
        assert task.entrypoint == [f"/usr/local/bin/{task.task_id}"]
        assert task.do_xcom_push and not task.xcom_all and not task.retrieve_output
        assert task.mount_tmp_dir is False
    assert dag.get_task("extract").upstream_task_ids == set()
    assert dag.get_task("transform").upstream_task_ids == {"extract"}
    assert dag.get_task("load").upstream_task_ids == {"transform"}
    assert dag.get_task("load").downstream_task_ids == set()


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
        # Airflow 3.3 takes a multiplier: 2.0 doubles the delay (60 s, 120 s, 240 s).
        assert task.retry_exponential_backoff == 2.0
        assert task.on_failure_callback


def test_retry_delay_can_be_changed(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_RETRY_DELAY_SECONDS", "2")
    dag = load_dagbag().get_dag(DAG_ID)
    assert {t.retry_delay for t in dag.tasks} == {timedelta(seconds=2)}


def test_manual_trigger_params(dag):
    assert set(dag.params.keys()) == {"days_back", "load_mode", "shops"}
    assert all(dag.params[name] is None for name in ("days_back", "load_mode", "shops"))


def _run_execute(task, monkeypatch):
    """Call the task's execute with Docker replaced by a recorder of what it would get."""
    seen = {}

    def fake_execute(self, context):
        seen.update(
            environment=dict(self.environment),
            private=dict(self._private_environment),
            command=self.command,
            mounts=list(self.mounts),
            network=self.network_mode,
            docker_url=self.docker_url,
        )
        return '{"stage": "%s"}' % self.task_id

    monkeypatch.setattr(DockerOperator, "execute", fake_execute)
    return seen, task.execute({})


@pytest.mark.parametrize(
    ("task_id", "expected"),
    [
        ("extract", {"TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_ACCESS_TOKEN", "TIKTOK_REFRESH_TOKEN"}),
        ("transform", set()),
        ("load", {"DB_PASSWORD"}),
    ],
)
def test_secrets_only_reach_private_environment(dag, monkeypatch, task_id, expected):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    task, _ = render(dag, task_id, run_id=RUN_ID, start=START, end=END)
    rendered = {field: getattr(task, field) for field in task.template_fields}
    seen, result = _run_execute(task, monkeypatch)

    assert set(seen["private"]) == expected | {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    if task_id == "load":  # the ETL's own password wins over the old sa-era DB_PASSWORD
        assert seen["private"]["DB_PASSWORD"] == SECRETS["ETL_DB_PASSWORD"]
    for value in SECRETS.values():
        assert value not in repr(rendered), f"{task_id}: a secret is in a rendered field"
        assert value not in repr(seen["environment"]) and value not in repr(seen["command"])
    assert "" not in seen["environment"].values(), "unset settings are not passed as empty strings"
    assert result == '{"stage": "%s"}' % task_id


def test_runtime_settings_are_read_when_the_task_runs(dag, monkeypatch):
    task, _ = render(dag, "transform", run_id=RUN_ID, start=START, end=END)
    monkeypatch.setenv("TIKTOK_ETL_DOCKER_NETWORK", "host")
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_STORE_VOLUME", "/srv/etl-store")
    monkeypatch.setenv("TIKTOK_ETL_DOCKER_URL", "tcp://docker-worker-2:2376")
    seen, _ = _run_execute(task, monkeypatch)
    assert seen["network"] == "host"
    assert seen["docker_url"] == "tcp://docker-worker-2:2376"
    (mount,) = seen["mounts"]
    assert (mount["Target"], mount["Source"], mount["Type"]) == ("/data", "/srv/etl-store", "bind")


def test_default_store_is_the_named_volume(dag, monkeypatch):
    task, _ = render(dag, "load", run_id=RUN_ID, start=START, end=END)
    seen, _ = _run_execute(task, monkeypatch)
    (mount,) = seen["mounts"]
    assert (mount["Target"], mount["Source"], mount["Type"]) == ("/data", "tiktok_etl_store", "volume")
    assert seen["network"] == "bridge"


@pytest.mark.parametrize(("status", "error"), [(1, DockerContainerFailedException), (2, AirflowFailException)])
def test_exit_code_2_is_not_retried(dag, monkeypatch, status, error):
    task, _ = render(dag, "load", run_id=RUN_ID, start=START, end=END)

    def failing(self, context):
        raise DockerContainerFailedException(
            f"Docker container failed: {{'Error': None, 'StatusCode': {status}}}", logs=["boom"]
        )

    monkeypatch.setattr(DockerOperator, "execute", failing)
    with pytest.raises(error):
        task.execute({})


def _failure_context():
    ti = SimpleNamespace(dag_id=DAG_ID, task_id="load", run_id=RUN_ID, try_number=4)
    return {"ti": ti, "exception": RuntimeError("Docker container failed: exit 1")}


def test_failure_callback_without_email_only_logs(dag, caplog):
    callback = dag.get_task("load").on_failure_callback
    callback = callback[0] if isinstance(callback, list) else callback
    callback(_failure_context())
    assert "load failed in run scheduled__2026-11-25T06:00:00+00:00" in caplog.text


def test_failure_callback_emails_when_configured(dag, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host=None, port=None, timeout=None, **_):
            self.address = (host, port)

        def starttls(self, **_):
            pass

        def login(self, *_):
            pass

        def sendmail(self, sender, to, message):
            sent.append((self.address, sender, to, message))

        def quit(self):
            pass

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_HOST", "mail.example.test")
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_PORT", "2525")
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_MAIL_FROM", "airflow@example.test")
    monkeypatch.setenv("TIKTOK_ETL_ALERT_EMAIL", "data-team@example.test")
    callback = dag.get_task("load").on_failure_callback
    (callback[0] if isinstance(callback, list) else callback)(_failure_context())

    assert len(sent) == 1
    address, sender, to, message = sent[0]
    assert address == ("mail.example.test", 2525)
    assert to == ["data-team@example.test"]
    assert "tiktok_shop_orders_etl.load failed" in message


def test_failure_callback_survives_a_missing_smtp_server(dag, monkeypatch, caplog):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_PORT", str(port))
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_TIMEOUT", "2")
    monkeypatch.setenv("TIKTOK_ETL_ALERT_EMAIL", "data-team@example.test")
    callback = dag.get_task("extract").on_failure_callback
    (callback[0] if isinstance(callback, list) else callback)(_failure_context())
    assert "could not email data-team@example.test" in caplog.text
