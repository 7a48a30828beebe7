"""Rendered command lines of a sample scheduled run and of manual triggers."""

from __future__ import annotations

import shlex

import pendulum

from conftest import render

RUN_ID = "scheduled__2026-11-25T06:00:00+00:00"
START = pendulum.datetime(2026, 11, 25, 0, tz="UTC")
END = pendulum.datetime(2026, 11, 25, 6, tz="UTC")
WINDOW = "--since 2026-11-24T23:30:00+00:00 --until 2026-11-25T06:00:00+00:00"


def commands(dag, conf=None, **run):
    run = {"run_id": RUN_ID, "start": START, "end": END, **run}
    return {task_id: render(dag, task_id, conf=conf, **run)[0].command for task_id in dag.task_ids}


def test_scheduled_run_renders_its_run_id_and_exact_window(dag):
    assert commands(dag) == {
        "extract": f"--run-id {RUN_ID} {WINDOW}",
        "transform": f"--run-id {RUN_ID}",
        "load": f"--run-id {RUN_ID}",
    }


def test_rendered_commands_split_into_the_expected_argv(dag):
    argv = shlex.split(commands(dag)["extract"])
    assert argv == [
        "--run-id", RUN_ID,
        "--since", "2026-11-24T23:30:00+00:00",
        "--until", "2026-11-25T06:00:00+00:00",
    ]  # fmt: skip


def test_overlap_is_configurable(dag, monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_OVERLAP_MINUTES", "90")
    assert "--since 2026-11-24T22:30:00+00:00 --until 2026-11-25T06:00:00+00:00" in commands(dag)["extract"]
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_OVERLAP_MINUTES", "0")  # a Variable wins
    assert "--since 2026-11-25T00:00:00+00:00 --until 2026-11-25T06:00:00+00:00" in commands(dag)["extract"]


def test_manual_params_override(dag):
    rendered = commands(dag, conf={"days_back": 7, "load_mode": "append", "shops": "GCP_a,ROW_b"})
    assert rendered["extract"] == f"--run-id {RUN_ID} --days-back 7 --shop-cipher GCP_a,ROW_b"
    assert "--since" not in rendered["extract"]
    assert rendered["transform"] == f"--run-id {RUN_ID}"
    assert rendered["load"] == f"--run-id {RUN_ID} --load-mode append"


def test_each_param_alone(dag):
    assert commands(dag, conf={"shops": "GCP_a"})["extract"] == f"--run-id {RUN_ID} {WINDOW} --shop-cipher GCP_a"
    assert commands(dag, conf={"load_mode": "replace"})["load"] == f"--run-id {RUN_ID} --load-mode replace"
    assert commands(dag, conf={"days_back": 2})["extract"] == f"--run-id {RUN_ID} --days-back 2"


def test_manual_run_without_logical_date_reads_the_last_period(dag):
    run_after = pendulum.datetime(2026, 11, 25, 7, 45, tz="UTC")
    run_id = "manual__2026-11-25T07:45:00+00:00_a1b2c3"
    command = commands(dag, run_id=run_id, start=None, end=None, run_after=run_after, run_type="manual")["extract"]
    assert command == f"--run-id {run_id} --since 2026-11-25T01:15:00+00:00 --until 2026-11-25T07:45:00+00:00"


def test_environment_and_image_render_from_settings(dag, monkeypatch):
    task, _ = render(dag, "load", run_id=RUN_ID, start=START, end=END)
    assert task.image == "tiktok-shop-etl:latest"
    assert task.environment["ETL_TARGET"] == "sqlite:///data/staging.db"
    assert task.environment["ETL_STORE"] == "/data"
    assert task.environment["ETL_LOAD_MODE"] == "merge"

    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_IMAGE", "registry.example.test/tiktok-shop-etl:1.2.3")
    monkeypatch.setenv("TIKTOK_ETL_TARGET", "server=tcp:sqlserver,1433;database=Facolos_Staging;user id=tiktok_etl")
    monkeypatch.setenv("TIKTOK_ETL_CREATE_TABLE", "true")
    task, _ = render(dag, "load", run_id=RUN_ID, start=START, end=END)
    assert task.image == "registry.example.test/tiktok-shop-etl:1.2.3"
    assert task.environment["ETL_TARGET"].endswith("user id=tiktok_etl")
    assert task.environment["ETL_CREATE_TABLE"] == "true"


def test_fault_hook_reaches_only_transform(dag, monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_TEST_FAULT_TRANSFORM", "/data/.fault-transform")
    envs = {t: render(dag, t, run_id=RUN_ID, start=START, end=END)[0].environment for t in dag.task_ids}
    assert envs["transform"]["ETL_FAULT_FAIL_ONCE"] == "/data/.fault-transform"
    assert "ETL_FAULT_FAIL_ONCE" not in envs["extract"] and "ETL_FAULT_FAIL_ONCE" not in envs["load"]


def test_the_sample_is_what_airflow_schedules(dag):
    """The interval and run id above are those Airflow gives the run that starts at 06:00."""
    from airflow.models.dagrun import DagRun
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.utils.types import DagRunType

    interval = coerce_to_core_timetable(dag.timetable).infer_manual_data_interval(run_after=END)
    assert (interval.start, interval.end) == (START, END)
    run_id = DagRun.generate_run_id(run_type=DagRunType.SCHEDULED, logical_date=interval.start, run_after=END)
    assert run_id == RUN_ID
