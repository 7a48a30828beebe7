"""No interval is skipped: the runs the scheduler creates around an outage, and their windows.

The scheduler decides the next run with SerializedDAG.next_dagrun_info (from
DagModel.calculate_dagrun_date_fields, each time it creates a run); here the
same call is made, on the DAG as the scheduler deserializes it, along a
timeline where the scheduler is down for more than a day. Each run's extract
command is then rendered as a worker would, and the windows must cover the
whole time without a hole. The same DAG with catchup=False (the old setting)
must show the hole, so the check can fail.
"""

from __future__ import annotations

import pendulum
import pytest

from conftest import load_dagbag, render

START_DATE = pendulum.datetime(2026, 11, 20, tz="UTC")
SCHEDULER_STOPS = pendulum.datetime(2026, 11, 21, 7, 10, tz="UTC")
SCHEDULER_BACK = pendulum.datetime(2026, 11, 22, 19, 40, tz="UTC")  # 5 intervals and more later
SIMULATION_ENDS = pendulum.datetime(2026, 11, 23, 13, 0, tz="UTC")
MAX_RUNS = 100


def scheduler_dag(dag):
    from airflow.serialization.serialized_objects import DagSerialization

    return DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))


def simulate(sdag, monkeypatch) -> list:
    """The runs the scheduler creates, in order, with the time it creates each.

    The scheduler creates the stored next run once its run_after has passed and the scheduler
    is up, then computes the following one at that moment ("now" matters with catchup=False)."""
    import airflow.timetables.interval as interval_module

    clock = {"now": START_DATE}
    monkeypatch.setattr(interval_module, "utcnow", lambda: clock["now"])
    created = []
    info = sdag.next_dagrun_info(last_automated_run_info=None)
    while info is not None and len(created) < MAX_RUNS:
        created_at = max(info.run_after, clock["now"])
        if SCHEDULER_STOPS < created_at < SCHEDULER_BACK:
            created_at = SCHEDULER_BACK
        if created_at > SIMULATION_ENDS:
            break
        clock["now"] = created_at
        created.append((info, created_at))
        info = sdag.next_dagrun_info(last_automated_run_info=info)
    assert len(created) < MAX_RUNS
    return created


def extract_windows(dag, created) -> list[tuple[pendulum.DateTime, pendulum.DateTime]]:
    windows = []
    for info, _ in created:
        start, end = info.data_interval.start, info.data_interval.end
        run_id = f"scheduled__{end.isoformat()}"
        command = render(dag, "extract", run_id=run_id, start=start, end=end)[0].command
        since, until = command[command.index("--since") + 1], command[command.index("--until") + 1]
        windows.append((pendulum.parse(since), pendulum.parse(until)))
    return windows


def holes(windows, begin, end):
    """The parts of [begin, end) that no window covers."""
    missing, covered_to = [], begin
    for since, until in sorted(windows):
        if since > covered_to:
            missing.append((covered_to, since))
        covered_to = max(covered_to, until)
    if covered_to < end:
        missing.append((covered_to, end))
    return missing


@pytest.fixture
def dag(monkeypatch):
    monkeypatch.setenv("TIKTOK_ETL_START_DATE", START_DATE.to_date_string())
    return load_dagbag().get_dag("tiktok_shop_orders_etl")


def test_after_an_outage_every_missed_interval_is_run_and_extracted(dag, monkeypatch):
    created = simulate(scheduler_dag(dag), monkeypatch)
    caught_up = [info for info, at in created if at == SCHEDULER_BACK]
    print(f"{len(created)} runs, {len(caught_up)} created when the scheduler came back")
    assert len(caught_up) >= 5, "the intervals of the outage were run when the scheduler came back"
    intervals = [info.data_interval for info, _ in created]
    assert intervals[0].start == START_DATE
    for before, after in zip(intervals, intervals[1:]):
        assert after.start == before.end, "consecutive intervals, none skipped"

    windows = extract_windows(dag, created)
    last_end = intervals[-1].end
    assert holes(windows, START_DATE, last_end) == []
    for (since, until), interval in zip(windows, intervals):
        assert until == interval.end and since == interval.start.subtract(minutes=30)


def test_without_catchup_the_outage_would_be_a_hole(dag, monkeypatch):
    """The control: the old catchup=False on the same timeline loses the outage's orders."""
    sdag = scheduler_dag(dag)
    sdag.catchup = False
    created = simulate(sdag, monkeypatch)
    windows = extract_windows(dag, created)
    missing = holes(windows, START_DATE, created[-1][0].data_interval.end)
    assert missing, "catchup=False skips intervals"
    assert missing[0][0] > SCHEDULER_STOPS.subtract(hours=12) and missing[0][1] <= SCHEDULER_BACK
