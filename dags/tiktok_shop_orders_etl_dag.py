"""
### TikTok Shop orders ETL

Every 6 hours: pull the TikTok Shop orders of the run's data interval, flatten
them to one row per line item and merge them into the staging table. Each
stage is a container of the `tiktok-shop-etl` image started by a
`DockerOperator`; stages talk only through the store
(`<store>/runs/<run id>/<stage>/`), so each retries on its own and any one can
be cleared and re-run alone with the same result.

| task | binary | reads | writes |
|---|---|---|---|
| `extract` | `/usr/local/bin/extract` | TikTok Shop API | raw Parquet |
| `transform` | `/usr/local/bin/transform` | raw Parquet | staged Parquet, rejects |
| `load` | `/usr/local/bin/load` | staged Parquet | staging table |

**Window**: `--since` = data interval start minus `TIKTOK_ETL_OVERLAP_MINUTES`
(default 30), `--until` = data interval end, so scheduled runs, retries and
backfills read the same orders every time; the merge keeps reloads idempotent.

**Trigger with params** (all optional): `days_back` (extract the last N days
instead of the data interval), `load_mode` (`merge`, `append` or `replace`),
`shops` (comma-separated shop ciphers instead of `TIKTOK_SHOP_CIPHER`).

**Results**: each stage's last stdout line is a one-line JSON summary (row
counts, durations, files); it is the task's `return_value` XCom (task
instance, *XCom* tab) and is in its log.

**Settings**: an Airflow Variable of the name below wins, else the
environment variable of the same name, else the default.

| name | default | meaning |
|---|---|---|
| `TIKTOK_ETL_IMAGE` | `tiktok-shop-etl:latest` | image with the stage binaries |
| `TIKTOK_ETL_DOCKER_URL` | `unix://var/run/docker.sock` | Docker engine that runs the stages |
| `TIKTOK_ETL_DOCKER_NETWORK` | `bridge` | network of the stage containers |
| `TIKTOK_ETL_STORE_VOLUME` | `tiktok_etl_store` | volume (or absolute host path: bind mount) mounted at `/data` |
| `TIKTOK_ETL_STORE` | `/data` | store URL as the containers see it (`s3://bucket/prefix` too) |
| `TIKTOK_ETL_TARGET` | `sqlite:///data/staging.db` | load target (URL or ADO.NET string, no password) |
| `TIKTOK_ETL_TABLE` | (binary default) | staging table, optionally schema-qualified |
| `TIKTOK_ETL_LOAD_MODE` | `merge` | default load mode |
| `TIKTOK_ETL_CREATE_TABLE` | `false` | let the load create a missing table |
| `TIKTOK_ETL_LOG_FORMAT` | `json` | stage log format (`text` or `json`) |
| `TIKTOK_ETL_OVERLAP_MINUTES` | `30` | how far before the data interval extract starts |
| `TIKTOK_ETL_SCHEDULE` | `0 */6 * * *` | cron schedule (`none`: manual only); read when parsed |
| `TIKTOK_ETL_RETRY_DELAY_SECONDS` | `60` | first retry delay, doubled on each retry; read when parsed |
| `TIKTOK_ETL_ALERT_EMAIL` | (none) | where failure emails go (SMTP from `[smtp]`) |
| `TIKTOK_API_BASE_URL`, `TIKTOK_AUTH_BASE_URL` | (binary default) | API hosts |
| `TIKTOK_SHOP_CIPHER` | (all authorised shops) | comma-separated shop ciphers |
| `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP` | (none) | S3 store settings |
| `TIKTOK_ETL_TEST_FAULT_TRANSFORM` | (none) | testing hook: a path in `/data`; transform fails once, before any work |

**Secrets** reach the containers only through `private_environment`, read
when the task runs, never rendered: `TIKTOK_APP_KEY`, `TIKTOK_APP_SECRET`,
`TIKTOK_ACCESS_TOKEN`, `TIKTOK_REFRESH_TOKEN` (extract), `DB_PASSWORD`
(load; `ETL_DB_PASSWORD` wins if set), `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (all stages).

Exit code 1 is retried (3 times, 60 s doubling); exit code 2 (bad
configuration, missing upstream output) fails the task at once.
"""

from __future__ import annotations

import logging
import os
import shlex
from datetime import timedelta

import pendulum
from docker.types import Mount
from jinja2 import pass_context

from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, Variable
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

DAG_ID = "tiktok_shop_orders_etl"

log = logging.getLogger(__name__)

SETTINGS = {
    "TIKTOK_ETL_IMAGE": "tiktok-shop-etl:latest",
    "TIKTOK_ETL_DOCKER_URL": "unix://var/run/docker.sock",
    "TIKTOK_ETL_DOCKER_NETWORK": "bridge",
    "TIKTOK_ETL_STORE_VOLUME": "tiktok_etl_store",
    "TIKTOK_ETL_STORE": "/data",
    "TIKTOK_ETL_TARGET": "sqlite:///data/staging.db",
    "TIKTOK_ETL_TABLE": "",
    "TIKTOK_ETL_LOAD_MODE": "merge",
    "TIKTOK_ETL_CREATE_TABLE": "false",
    "TIKTOK_ETL_LOG_FORMAT": "json",
    "TIKTOK_ETL_OVERLAP_MINUTES": "30",
    "TIKTOK_ETL_SCHEDULE": "0 */6 * * *",
    "TIKTOK_ETL_RETRY_DELAY_SECONDS": "60",
    "TIKTOK_ETL_ALERT_EMAIL": "",
    "TIKTOK_API_BASE_URL": "",
    "TIKTOK_AUTH_BASE_URL": "",
    "TIKTOK_SHOP_CIPHER": "",
    "AWS_REGION": "",
    "AWS_ENDPOINT_URL": "",
    "AWS_ALLOW_HTTP": "",
    "TIKTOK_ETL_TEST_FAULT_TRANSFORM": "",
}

# Container variable -> where its value is looked up, first found wins.
SECRETS = {
    "TIKTOK_APP_KEY": ("TIKTOK_APP_KEY",),
    "TIKTOK_APP_SECRET": ("TIKTOK_APP_SECRET",),
    "TIKTOK_ACCESS_TOKEN": ("TIKTOK_ACCESS_TOKEN",),
    "TIKTOK_REFRESH_TOKEN": ("TIKTOK_REFRESH_TOKEN",),
    "DB_PASSWORD": ("ETL_DB_PASSWORD", "DB_PASSWORD"),
    "AWS_ACCESS_KEY_ID": ("AWS_ACCESS_KEY_ID",),
    "AWS_SECRET_ACCESS_KEY": ("AWS_SECRET_ACCESS_KEY",),
    "AWS_SESSION_TOKEN": ("AWS_SESSION_TOKEN",),
}
STORE_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

# A manual run without a logical date has no data interval: read this far back.
FALLBACK_PERIOD = timedelta(hours=6)
EXIT_NOT_RETRYABLE = 2


def _lookup(name: str) -> str | None:
    """An Airflow Variable (or secrets backend) first, then the process environment; empty is unset."""
    try:
        value = Variable.get(name, default=None)
    except Exception:  # no metadata DB or API while parsing in some contexts
        value = None
    if value in (None, ""):
        value = os.environ.get(name)
    return str(value) if value not in (None, "") else None


def etl_setting(name: str) -> str:
    """A non-secret setting: Variable, else environment, else its documented default."""
    value = _lookup(name)
    return SETTINGS[name] if value is None else value


def etl_flag(name: str) -> str:
    """`true` when a yes/no setting is on, else empty (not passed to the container)."""
    return "true" if etl_setting(name).strip().lower() in ("1", "true", "yes", "on") else ""


def secret_environment(names: tuple[str, ...]) -> dict[str, str]:
    """The secrets a stage needs, read when it runs and masked in Airflow's logs."""
    found = {}
    for name in names:
        value = next(filter(None, map(_lookup, SECRETS[name])), None)
        if value:
            mask_secret(value, name=name)
            found[name] = value
    return found


@pass_context
def etl_extract_window(context) -> str:
    """`--since … --until …` for the run's data interval plus overlap, or `--days-back N`."""
    days_back = context["params"].get("days_back")
    if days_back:
        return f"--days-back {int(days_back)}"
    until = context.get("data_interval_end") or context["dag_run"].run_after
    start = context.get("data_interval_start") or until - FALLBACK_PERIOD
    since = start - timedelta(minutes=int(etl_setting("TIKTOK_ETL_OVERLAP_MINUTES")))
    return f"--since {since.isoformat()} --until {until.isoformat()}"


def on_failure_alert(context) -> None:
    """Email `TIKTOK_ETL_ALERT_EMAIL` about a task that failed for good; otherwise log it."""
    ti = context["ti"]
    subject = f"[airflow] {ti.dag_id}.{ti.task_id} failed in run {ti.run_id}"
    recipient = etl_setting("TIKTOK_ETL_ALERT_EMAIL")
    if not recipient:
        log.error("%s (set TIKTOK_ETL_ALERT_EMAIL to be emailed)", subject)
        return
    body = f"<p>{subject} after {ti.try_number} tries.</p><p>Error: {context.get('exception')}</p>"
    try:
        from airflow.utils.email import send_email

        send_email(to=recipient, subject=subject, html_content=body)
    except Exception:
        log.exception("could not email %s: %s", recipient, subject)


class EtlStageOperator(DockerOperator):
    """A DockerOperator whose secrets, store mount and Docker endpoint are resolved when it runs,
    and whose XCom is the stage's JSON summary."""

    def __init__(self, *, secret_names: tuple[str, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.secret_names = secret_names

    def execute(self, context):
        self.docker_url = etl_setting("TIKTOK_ETL_DOCKER_URL")
        self.network_mode = etl_setting("TIKTOK_ETL_DOCKER_NETWORK")
        source = etl_setting("TIKTOK_ETL_STORE_VOLUME")
        mount_type = "bind" if source.startswith("/") else "volume"
        self.mounts = [Mount(target="/data", source=source, type=mount_type)]
        self.environment = {k: v for k, v in self.environment.items() if v}
        self._private_environment = secret_environment(self.secret_names)
        try:
            last_log_line = super().execute(context)
            return self._last_stdout_line() or last_log_line
        except DockerContainerFailedException as err:
            if f"'StatusCode': {EXIT_NOT_RETRYABLE}" in str(err):
                raise AirflowFailException(f"{self.task_id}: not retryable (exit 2), see log") from err
            raise
        finally:
            self._remove_container()

    def _last_stdout_line(self) -> str | None:
        """The summary: the last stdout line. DockerOperator's own XCom is the last line of stdout
        and stderr together, whose order Docker does not keep, so a log line may end up last."""
        if not self.container:
            return None
        stdout = self.cli.logs(self.container["Id"], stdout=True, stderr=False)
        lines = [line for line in stdout.decode("utf-8", "replace").splitlines() if line.strip()]
        return lines[-1] if lines else None

    def _remove_container(self) -> None:
        if self.container:
            try:
                self.cli.remove_container(self.container["Id"], force=True)
            except Exception:
                log.warning("could not remove container %s", self.container["Id"], exc_info=True)


def etl_stage(stage: str, args: str, timeout: timedelta, secrets: tuple[str, ...] = (), **env):
    """One stage container: `/usr/local/bin/<stage> --run-id <run id><args>` with the shared settings."""
    return EtlStageOperator(
        task_id=stage,
        image="{{ etl_setting('TIKTOK_ETL_IMAGE') }}",
        entrypoint=[f"/usr/local/bin/{stage}"],
        command=f"--run-id {{{{ run_id | shquote }}}}{args}",
        environment={
            "ETL_STORE": "{{ etl_setting('TIKTOK_ETL_STORE') }}",
            "ETL_LOG_FORMAT": "{{ etl_setting('TIKTOK_ETL_LOG_FORMAT') }}",
            "AWS_REGION": "{{ etl_setting('AWS_REGION') }}",
            "AWS_ENDPOINT_URL": "{{ etl_setting('AWS_ENDPOINT_URL') }}",
            "AWS_ALLOW_HTTP": "{{ etl_setting('AWS_ALLOW_HTTP') }}",
            **env,
        },
        secret_names=secrets + STORE_SECRETS,
        execution_timeout=timeout,
        mount_tmp_dir=False,
        auto_remove="never",  # removed by EtlStageOperator once the summary is read
        do_xcom_push=True,
        xcom_all=False,
        retrieve_output=False,
    )


def _schedule():
    cron = etl_setting("TIKTOK_ETL_SCHEDULE").strip()
    if cron.lower() in ("", "none", "manual"):
        return None
    return CronDataIntervalTimetable(cron, timezone="UTC")


with DAG(
    dag_id=DAG_ID,
    description="TikTok Shop orders: extract >> transform >> load, one container per stage",
    doc_md=__doc__,
    schedule=_schedule(),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["tiktok-shop", "etl"],
    default_args={
        "owner": "data-engineering",
        "retries": 3,
        "retry_delay": timedelta(seconds=int(etl_setting("TIKTOK_ETL_RETRY_DELAY_SECONDS"))),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": on_failure_alert,
    },
    params={
        "days_back": Param(None, type=["null", "integer"], minimum=1, description="extract the last N days"),
        "load_mode": Param(None, type=["null", "string"], enum=[None, "merge", "append", "replace"]),
        "shops": Param(None, type=["null", "string"], description="comma-separated shop ciphers"),
    },
    user_defined_macros={"etl_setting": etl_setting, "etl_flag": etl_flag, "etl_extract_window": etl_extract_window},
    user_defined_filters={"shquote": lambda value: shlex.quote(str(value))},
) as dag:
    extract = etl_stage(
        "extract",
        " {{ etl_extract_window() }}{% if params.shops %} --shop-cipher {{ params.shops | shquote }}{% endif %}",
        timedelta(minutes=60),
        secrets=("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_ACCESS_TOKEN", "TIKTOK_REFRESH_TOKEN"),
        TIKTOK_API_BASE_URL="{{ etl_setting('TIKTOK_API_BASE_URL') }}",
        TIKTOK_AUTH_BASE_URL="{{ etl_setting('TIKTOK_AUTH_BASE_URL') }}",
        TIKTOK_SHOP_CIPHER="{{ etl_setting('TIKTOK_SHOP_CIPHER') }}",
    )
    transform = etl_stage(
        "transform",
        "",
        timedelta(minutes=30),
        ETL_FAULT_FAIL_ONCE="{{ etl_setting('TIKTOK_ETL_TEST_FAULT_TRANSFORM') }}",
    )
    load = etl_stage(
        "load",
        "{% if params.load_mode %} --load-mode {{ params.load_mode }}{% endif %}",
        timedelta(minutes=30),
        secrets=("DB_PASSWORD",),
        ETL_TARGET="{{ etl_setting('TIKTOK_ETL_TARGET') }}",
        ETL_TABLE="{{ etl_setting('TIKTOK_ETL_TABLE') }}",
        ETL_LOAD_MODE="{{ etl_setting('TIKTOK_ETL_LOAD_MODE') }}",
        ETL_CREATE_TABLE="{{ etl_flag('TIKTOK_ETL_CREATE_TABLE') }}",
    )

    extract >> transform >> load
