"""Pools bound the API calls across scheduled, backfill and manual runs: the real scheduler.

scheduler_probe.py (in a subprocess, with its own copy of the metadata DB)
parses the DAG into the DB, starts a 3-run backfill beside the scheduled
catch-up run and a manual run, and calls the scheduler's own loop. The pool
of the API then decides how many extracts are queued at once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pendulum
from conftest import DAGS_DIR

HERE = Path(__file__).resolve().parent


def probe(tmp_path, api_slots, shops_per_chain="0", finish_list_shops="0"):
    shutil.copy(Path(os.environ["AIRFLOW_HOME"]) / "airflow.db", tmp_path / "airflow.db")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        # The day before yesterday: the catch-up has scheduled runs to create.
        "TIKTOK_ETL_START_DATE": pendulum.now("UTC").subtract(days=2).to_date_string(),
        "TIKTOK_ETL_SHOPS_PER_CHAIN": shops_per_chain,
        "TIKTOK_SHOP_CIPHER": "A,B,C",
    }
    result = subprocess.run(
        [sys.executable, str(HERE / "scheduler_probe.py"), str(api_slots), "6", finish_list_shops],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def extracts(report, state):
    return [ti for ti in report["task_instances"] if ti[1] == "extract" and ti[2] == state]


def test_one_api_slot_means_one_extract_at_a_time_across_backfill_and_scheduled_runs(tmp_path):
    report = probe(tmp_path, api_slots=1)
    running_runs = Counter(run_type for _, run_type, state in report["runs"] if state == "running")
    print(json.dumps(report["states"]), dict(running_runs))
    # The situation of the issue: a backfill runs beside the scheduled runs.
    assert running_runs["backfill"] == 3 and running_runs["scheduled"] == 1
    waiting = extracts(report, "scheduled")
    queued = extracts(report, "queued")
    assert len(queued) == 1, "the pool lets one extract through"
    assert len(waiting) == 3, "the others wait for the pool, whatever their run type"
    assert {ti[0] for ti in waiting + queued} == {"backfill", "scheduled"}
    assert all(ti[3] == "tiktok_api" for ti in waiting + queued)
    assert report["queued_to_executor"] == 1
    # max_active_runs=1 holds for the scheduled and manual runs: the manual run waits its turn.
    assert [state for _, run_type, state in report["runs"] if run_type == "manual"] == ["queued"]


def test_more_api_slots_let_more_extracts_through(tmp_path):
    """The control: the same runs with 3 slots queue 3 extracts, so the pool is what limits."""
    report = probe(tmp_path, api_slots=3)
    assert len(extracts(report, "queued")) == 3
    assert len(extracts(report, "scheduled")) == 1


def test_fanned_out_extracts_share_the_same_pool_and_chains_go_on_alone(tmp_path):
    """Four runs of three shops each: twelve mapped extracts, two API slots, two queued. Then the
    first shop's extract of the scheduled run succeeds: its transform is scheduled, the other
    shops' transforms wait for their own extracts."""
    report = probe(tmp_path, api_slots=2, shops_per_chain="1", finish_list_shops="1")
    print(json.dumps(report["states"]))
    # (The manual run waits for its turn, its chains not expanded yet.)
    mapped = [ti for ti in report["task_instances"] if ti[1] == "shop_chain.extract" and ti[0] != "manual"]
    assert Counter(ti[2] for ti in mapped) == {"queued": 2, "scheduled": 9, "success": 1}
    assert {ti[3] for ti in mapped} == {"tiktok_api"}
    transforms = {
        ti[4]: ti[2] for ti in report["task_instances"] if ti[0] == "scheduled" and ti[1] == "shop_chain.transform"
    }
    assert transforms[0] in ("scheduled", "queued")
    assert transforms[1] == transforms[2] == "None"
