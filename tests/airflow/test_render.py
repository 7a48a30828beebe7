"""Rendered command lines (argv lists, no shell) of a sample scheduled run and of manual triggers."""

from __future__ import annotations

import pendulum

from conftest import render

RUN_ID = "scheduled__2026-11-25T06:00:00+00:00"
START = pendulum.datetime(2026, 11, 25, 0, tz="UTC")
END = pendulum.datetime(2026, 11, 25, 6, tz="UTC")
WINDOW = ["--since", "2026-11-24T23:30:00+00:00", "--until", "2026-11-25T06:00:00+00:00"]


def rendered(dag, conf=None, **run):
    run = {"run_id": RUN_ID, "start": START, "end": END, **run}
    return {task_id: render(dag, task_id, conf=conf, **run)[0] for task_id in dag.task_ids}


def commands(dag, conf=None, **run):
    return {task_id: task.command for task_id, task in rendered(dag, conf, **run).items()}


def test_scheduled_run_renders_its_run_id_and_exact_window(dag):
    assert commands(dag) == {
        "extract": ["--run-id", RUN_ID, *WINDOW],
        "transform": ["--run-id", RUN_ID],
        "load": ["--run-id", RUN_ID],
    }


def test_a_run_id_with_spaces_and_quotes_stays_one_argument(dag):
    run_id = "manual__it's a \"test\" $(run)"
    assert commands(dag, run_id=run_id)["load"] == ["--run-id", run_id]


def test_overlap_is_configurable(dag, monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_OVERLAP_MINUTES", "90")
    assert commands(dag)["extract"][2:] == ["--since", "2026-11-24T22:30:00+00:00", "--until", "2026-11-25T06:00:00+00:00"]
    monkeypatch.setenv("AIRFLOW_VAR_TIKTOK_ETL_OVERLAP_MINUTES", "0")  # a Variable wins
    assert commands(dag)["extract"][2:] == ["--since", "2026-11-25T00:00:00+00:00", "--until", "2026-11-25T06:00:00+00:00"]


def test_manual_params_override(dag):
    tasks = rendered(dag, conf={"days_back": 7, "load_mode": "append", "shops": "GCP_a,ROW_b"})
    assert tasks["extract"].command == [
        "--run-id", RUN_ID, "--since", "2026-11-18T06:00:00+00:00", "--until", "2026-11-25T06:00:00+00:00",
    ]  # fmt: skip
    assert tasks["extract"].environment["TIKTOK_SHOP_CIPHER"] == "GCP_a,ROW_b"
    assert tasks["transform"].command == ["--run-id", RUN_ID]
    assert tasks["load"].environment["ETL_LOAD_MODE"] == "append"


def test_each_param_alone(dag, monkeypatch):
    monkeypatch.setenv("TIKTOK_SHOP_CIPHER", "FROM_SETTING")
    monkeypatch.setenv("TIKTOK_ETL_LOAD_MODE", "replace")
    defaults = rendered(dag)
    assert defaults["extract"].environment["TIKTOK_SHOP_CIPHER"] == "FROM_SETTING"
    assert defaults["load"].environment["ETL_LOAD_MODE"] == "replace"
    assert rendered(dag, conf={"shops": "GCP_a"})["extract"].environment["TIKTOK_SHOP_CIPHER"] == "GCP_a"
    assert rendered(dag, conf={"load_mode": "merge"})["load"].environment["ETL_LOAD_MODE"] == "merge"
    assert commands(dag, conf={"days_back": 2})["extract"][2:] == [
        "--since", "2026-11-23T06:00:00+00:00", "--until", "2026-11-25T06:00:00+00:00",
    ]  # fmt: skip


def test_manual_run_without_logical_date_reads_the_last_period(dag):
    run_after = pendulum.datetime(2026, 11, 25, 7, 45, tz="UTC")
    run_id = "manual__2026-11-25T07:45:00+00:00_a1b2c3"
    command = commands(dag, run_id=run_id, start=None, end=None, run_after=run_after, run_type="manual")["extract"]
    assert command == ["--run-id", run_id, "--since", "2026-11-25T01:15:00+00:00", "--until", "2026-11-25T07:45:00+00:00"]


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


def test_only_extract_runs_with_a_fixed_mmap_threshold(dag):
    """Extract's memory stays flat with it; transform is 10-20 % slower with it, so not there."""
    envs = {t: render(dag, t, run_id=RUN_ID, start=START, end=END)[0].environment for t in dag.task_ids}
    assert envs["extract"]["MALLOC_MMAP_THRESHOLD_"] == "131072"
    assert "MALLOC_MMAP_THRESHOLD_" not in envs["transform"] and "MALLOC_MMAP_THRESHOLD_" not in envs["load"]


def test_the_sample_is_what_airflow_schedules(dag):
    """The interval and run id above are those Airflow gives the run that starts at 06:00."""
    from airflow.models.dagrun import DagRun
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.utils.types import DagRunType

    interval = coerce_to_core_timetable(dag.timetable).infer_manual_data_interval(run_after=END)
    assert (interval.start, interval.end) == (START, END)
    run_id = DagRun.generate_run_id(run_type=DagRunType.SCHEDULED, logical_date=interval.start, run_after=END)
    assert run_id == RUN_ID
