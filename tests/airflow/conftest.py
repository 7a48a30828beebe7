"""Shared fixtures for the Airflow tests: the parsed DAG and template rendering.

Run through tests/airflow/run.sh, which installs Airflow from PyPI into
.venv/airflow, points AIRFLOW_HOME at a fresh, migrated metadata DB and
the DAGs folder at dags/.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO / "dags"
DAG_ID = "tiktok_shop_orders_etl"

# Settings a developer may have exported; the tests must see the DAG's defaults.
_DAG_SETTINGS = (
    "TIKTOK_ETL_IMAGE TIKTOK_ETL_DOCKER_URL TIKTOK_ETL_DOCKER_NETWORK TIKTOK_ETL_STORE_VOLUME "
    "TIKTOK_ETL_STORE TIKTOK_ETL_TARGET TIKTOK_ETL_TABLE TIKTOK_ETL_LOAD_MODE TIKTOK_ETL_CREATE_TABLE "
    "TIKTOK_ETL_LOG_FORMAT TIKTOK_ETL_OVERLAP_MINUTES TIKTOK_ETL_SCHEDULE TIKTOK_ETL_RETRY_DELAY_SECONDS "
    "TIKTOK_ETL_ALERT_EMAIL TIKTOK_ETL_TEST_FAULT_TRANSFORM TIKTOK_API_BASE_URL TIKTOK_AUTH_BASE_URL "
    "TIKTOK_SHOP_CIPHER TIKTOK_APP_KEY TIKTOK_APP_SECRET TIKTOK_ACCESS_TOKEN TIKTOK_REFRESH_TOKEN "
    "DB_PASSWORD ETL_DB_PASSWORD AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN "
    "AWS_REGION AWS_ENDPOINT_URL AWS_ALLOW_HTTP "
    "TIKTOK_ETL_START_DATE TIKTOK_ETL_DAGRUN_TIMEOUT_MINUTES TIKTOK_ETL_SHOPS_PER_CHAIN TIKTOK_ETL_API_POOL "
    "TIKTOK_ETL_LOAD_POOL TIKTOK_ETL_TASK_RUNNER TIKTOK_ETL_K8S_NAMESPACE TIKTOK_ETL_API_CONN_ID "
    "TIKTOK_ETL_DB_CONN_ID TIKTOK_ETL_STORE_CONN_ID TIKTOK_ETL_ASSET_URI"
).split()
_CONNECTIONS = ("TIKTOK_SHOP_API", "TIKTOK_ETL_DB", "TIKTOK_ETL_STORE", "SMTP_DEFAULT")


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch):
    for name in _DAG_SETTINGS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"AIRFLOW_VAR_{name}", raising=False)
    for conn_id in _CONNECTIONS:
        monkeypatch.delenv(f"AIRFLOW_CONN_{conn_id}", raising=False)


def load_dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


@pytest.fixture
def dagbag():
    return load_dagbag()


@pytest.fixture
def dag(dagbag):
    assert dagbag.import_errors == {}
    return dagbag.get_dag(DAG_ID)


def render(
    dag, task_id, *, run_id, start=None, end=None, run_after=None, conf=None, run_type="scheduled", try_number=1
):
    """Render a task's templated fields with the Task SDK's real runtime context.

    The context comes from RuntimeTaskInstance.get_template_context(), as in a
    worker, fed with the DagRun the API server would send; no scheduler needed.
    """
    from airflow.sdk.api.datamodels._generated import DagRun, TIRunContext
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    # Rendering replaces a task's templates and params in place: use a fresh parse.
    task = load_dagbag().get_dag(dag.dag_id).get_task(task_id)
    run_after = run_after or end
    dag_run = DagRun(
        dag_id=dag.dag_id,
        run_id=run_id,
        logical_date=start,
        data_interval_start=start,
        data_interval_end=end,
        run_after=run_after,
        start_date=run_after,
        end_date=None,
        run_type=run_type,
        state="running",
        conf=conf or {},
        consumed_asset_events=[],
        partition_key=None,
    )
    runtime_ti = RuntimeTaskInstance.model_construct(
        id=uuid.uuid4(),
        task_id=task_id,
        dag_id=dag.dag_id,
        run_id=run_id,
        try_number=try_number,
        map_index=-1,
        dag_version_id=uuid.uuid4(),
        task=task,
        start_date=run_after,
        max_tries=task.retries,
        _ti_context_from_server=TIRunContext(
            dag_run=dag_run, max_tries=task.retries, variables=[], connections=[], xcom_keys_to_clear=[]
        ),
    )
    context = runtime_ti.get_template_context()
    task.render_template_fields(context)
    return task, context


def pytest_configure(config):
    if not os.environ.get("AIRFLOW_HOME"):
        pytest.exit("run these tests with tests/airflow/run.sh (it sets AIRFLOW_HOME)", returncode=2)
