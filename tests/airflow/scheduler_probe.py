"""Drive the real Airflow scheduler over the DAG, without running any task; print JSON.

    python scheduler_probe.py <api pool slots> <scheduler loops> [finish list_shops: 0|1]

Run by test_pools.py in a subprocess with its own copy of the migrated metadata
DB (AIRFLOW_HOME, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) and the DAG settings in
the environment. It parses dags/ into the DB as the DAG processor does,
creates the pools, starts a backfill (max_active_runs 3) and a manual run
beside the scheduled catch-up runs, then calls the scheduler's own scheduling
loop (`SchedulerJobRunner._do_scheduling`) a few times. The executor is a
LocalExecutor that is never started, so queued tasks stay queued and keep
their pool slots, as running tasks would. With the fan-out, the third
argument 1 makes each `list_shops` end after the first loop as the task
runner would record it (state, XCom, map length), so the scheduler expands the
mapped chains.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import timedelta

import pendulum
from sqlalchemy import select

from airflow.dag_processing.bundles.manager import DagBundlesManager
from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
from airflow.executors.local_executor import LocalExecutor
from airflow.jobs.job import Job
from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
from airflow.models.backfill import _create_backfill
from airflow.models.dag import DagModel
from airflow.models.dagrun import DagRun
from airflow.models.pool import Pool
from airflow.models.serialized_dag import SerializedDagModel
from airflow.models.taskinstance import TaskInstance
from airflow.models.taskmap import TaskMap
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState, TaskInstanceState
from airflow.utils.types import DagRunTriggeredByType, DagRunType

DAG_ID = "tiktok_shop_orders_etl"
api_slots, loops = int(sys.argv[1]), int(sys.argv[2])
finish_list_shops = len(sys.argv) > 3 and sys.argv[3] == "1"

# As the DAG processor does: the bundle `dags-folder` (the DAGs folder), parsed into the DB.
manager = DagBundlesManager()
with create_session() as session:
    manager.sync_bundles_to_db(session=session)
(bundle,) = [b for b in manager.get_all_dag_bundles() if b.name == "dags-folder"]
bundle.initialize()
bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
assert not bag.import_errors, bag.import_errors
sync_bag_to_db(bag, bundle.name, bundle.version)
dag = bag.get_dag(DAG_ID)

with create_session() as session:
    pools = {task.task_id.rpartition(".")[2]: task.pool for task in dag.tasks}
    Pool.create_or_update_pool(pools["extract"], api_slots, "TikTok API", False, session=session)
    Pool.create_or_update_pool(pools["load"], 1, "staging table", False, session=session)
    session.get(DagModel, DAG_ID).is_paused = False

# A backfill of the three intervals before the start date's catch-up, and a manual run.
start = dag.start_date
_create_backfill(
    dag_id=DAG_ID,
    from_date=start - timedelta(hours=18),
    to_date=start - timedelta(hours=6),
    max_active_runs=3,
    reverse=False,
    dag_run_conf={},
    triggering_user_name="probe",
)
with create_session() as session:
    scheduler_dag = SerializedDagModel.get_dag(DAG_ID, session=session)
    now = pendulum.now("UTC")
    scheduler_dag.create_dagrun(
        run_id="manual__probe",
        run_after=now,
        run_type=DagRunType.MANUAL,
        triggered_by=DagRunTriggeredByType.CLI,
        state=DagRunState.QUEUED,
        conf={},
        session=session,
    )

executor = LocalExecutor()
runner = SchedulerJobRunner(job=Job(), executors=[executor])
def finish_list_shops_tasks(session):
    """What the task runner records when list_shops succeeds: its XCom and the map length."""
    for ti in session.scalars(select(TaskInstance).where(TaskInstance.task_id == "list_shops")):
        chains = [{"run": f"{ti.run_id}.shop-{s}", "shops": s} for s in ("A", "B", "C")]
        XComModel.set("return_value", chains, dag_id=DAG_ID, task_id="list_shops", run_id=ti.run_id, session=session)
        session.add(TaskMap(dag_id=DAG_ID, task_id="list_shops", run_id=ti.run_id, map_index=-1, length=3, keys=None))
        ti.state = TaskInstanceState.SUCCESS
    executor.queued_tasks.clear()


for loop in range(loops):
    with create_session() as session:
        runner._do_scheduling(session)
        if finish_list_shops and loop == 0:
            finish_list_shops_tasks(session)

if finish_list_shops:
    # The first shop's extract of the scheduled run succeeds: only that chain's transform may start.
    with create_session() as session:
        (run_id,) = session.scalars(select(DagRun.run_id).where(DagRun.run_type == DagRunType.SCHEDULED))
        extract = session.scalars(
            select(TaskInstance).where(
                TaskInstance.run_id == run_id, TaskInstance.task_id == "shop_chain.extract", TaskInstance.map_index == 0
            )
        ).one()
        extract.state = TaskInstanceState.SUCCESS
    for _ in range(2):
        with create_session() as session:
            runner._do_scheduling(session)

with create_session() as session:
    runs = session.execute(select(DagRun.run_id, DagRun.run_type, DagRun.state).where(DagRun.dag_id == DAG_ID)).all()
    tis = session.execute(
        select(
            TaskInstance.run_id, TaskInstance.task_id, TaskInstance.state, TaskInstance.pool, TaskInstance.map_index
        ).where(TaskInstance.dag_id == DAG_ID)
    ).all()
run_types = {run_id: str(run_type) for run_id, run_type, _ in runs}
print(
    json.dumps(
        {
            "runs": [[run_id, str(run_type), str(state)] for run_id, run_type, state in runs],
            "task_instances": [[run_types[r], t, str(s), p, i] for r, t, s, p, i in tis],
            "queued_to_executor": len(executor.queued_tasks),
            "states": Counter(f"{t}:{s}" for _, t, s, _, _ in tis),
        }
    )
)
