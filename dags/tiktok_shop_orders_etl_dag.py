"""
### TikTok Shop orders ETL

Every 6 hours: pull the TikTok Shop orders of the run's data interval, flatten
them to one row per line item and merge them into the staging table. Each
stage is a container of the `tiktok-shop-etl` image (a `DockerOperator`, or a
`KubernetesPodOperator` with `TIKTOK_ETL_TASK_RUNNER=kubernetes`); stages talk
only through the store (`<store>/runs/<run id>/<stage>/`), so each retries on
its own and any one can be cleared and re-run alone with the same result.

| task | binary | reads | writes | pool |
|---|---|---|---|---|
| `extract` | `/usr/local/bin/extract` | TikTok Shop API | raw Parquet | `TIKTOK_ETL_API_POOL` |
| `transform` | `/usr/local/bin/transform` | raw Parquet | staged Parquet, rejects | `default_pool` |
| `load` | `/usr/local/bin/load` | staged Parquet | staging table (outlet asset) | `TIKTOK_ETL_LOAD_POOL` |

**No interval is skipped**: `catchup=True` from `TIKTOK_ETL_START_DATE` with
`max_active_runs=1`. After the DAG was paused or the scheduler was down, the
scheduler creates one run for every interval it missed and runs them oldest
first, so every order reaches the table. A run that fails (or exceeds
`dagrun_timeout`) stays failed and visible until it is cleared.

**Window**: `--since` = data interval start minus `TIKTOK_ETL_OVERLAP_MINUTES`
(default 30), `--until` = data interval end, so scheduled runs, retries and
backfills read the same orders every time; the merge keeps reloads idempotent.

**Pools**: every extract (and `list_shops`) takes a slot of the pool
`TIKTOK_ETL_API_POOL` (one pool per TikTok app), every load a slot of
`TIKTOK_ETL_LOAD_POOL` (one pool per target), so scheduled, manual and backfill
runs together never call the API or load more at once than the pools allow.
Create both pools (`airflow pools set tiktok_api 1 "…"`): a task in a missing
pool is never scheduled.

**Many shops**: `TIKTOK_ETL_SHOPS_PER_CHAIN=N` (N >= 1) fans out: `list_shops`
lists the shops (`shops` param, else `TIKTOK_SHOP_CIPHER`, else every shop the
token is authorized for, from `tiktok-etl check --skip-database`), and the
mapped task group `shop_chain` runs extract >> transform >> load once per group
of N shops, with the run id `<run id>.shop-<cipher>` (one shop) or
`<run id>.shops-<n>-<hash>` (a group) in the store. Each chain runs on any
worker and retries on its own. Unset or 0: one chain for all shops.

**Trigger with params** (all optional): `days_back` (extract the last N days
instead of the data interval), `load_mode` (`merge`, `append` or `replace`),
`shops` (comma-separated shop ciphers instead of `TIKTOK_SHOP_CIPHER`).

**Results**: each stage's last stdout line is a one-line JSON summary (row
counts, durations, files); it is the task's `return_value` XCom (task
instance, *XCom* tab) and is in its log.

**Settings read when the file is parsed** come from the environment only
(never from Variables: an unreachable API server must not change the
schedule), and must be the same for the DAG processor and the workers:

| name | default | meaning |
|---|---|---|
| `TIKTOK_ETL_SCHEDULE` | `0 */6 * * *` | cron schedule in UTC (`none`: manual runs only) |
| `TIKTOK_ETL_START_DATE` | `2026-01-01` | first data interval to load (catch-up starts here) |
| `TIKTOK_ETL_RETRY_DELAY_SECONDS` | `60` | base retry delay (see below) |
| `TIKTOK_ETL_DAGRUN_TIMEOUT_MINUTES` | `480` | a run still running after this is failed |
| `TIKTOK_ETL_SHOPS_PER_CHAIN` | `0` | fan-out: shops per chain (0: one chain) |
| `TIKTOK_ETL_API_POOL`, `TIKTOK_ETL_LOAD_POOL` | `tiktok_api`, `tiktok_etl_load` | pools |
| `TIKTOK_ETL_TASK_RUNNER` | `docker` | `docker` or `kubernetes` |
| `TIKTOK_ETL_K8S_NAMESPACE` | `default` | namespace of the stage pods |
| `TIKTOK_ETL_API_CONN_ID`, `TIKTOK_ETL_DB_CONN_ID`, `TIKTOK_ETL_STORE_CONN_ID` | `tiktok_shop_api`, `tiktok_etl_db`, `tiktok_etl_store` | Airflow connections |
| `TIKTOK_ETL_ASSET_URI` | `mssql://sqlserver:1433/Facolos_Staging/dbo/tiktok_shop_orders` | URI of the asset `tiktok_shop_orders_staging` |

**Settings read when a task runs**: a connection's value (below) wins, then an
Airflow Variable of the same name, then the environment, then the default:

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
| `TIKTOK_ETL_ALERT_EMAIL` | (none) | where failure emails go (connection `smtp_default`) |
| `TIKTOK_API_BASE_URL`, `TIKTOK_AUTH_BASE_URL` | (binary default) | API hosts |
| `TIKTOK_SHOP_CIPHER` | (all authorised shops) | comma-separated shop ciphers |
| `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP` | (none) | S3 store settings |
| `TIKTOK_ETL_TEST_FAULT_TRANSFORM` | (none) | testing hook: a path in `/data`; transform fails once, before any work |

**Connections** (any secrets backend: Vault, AWS Secrets Manager, …; the
environment is the fallback):

* `tiktok_shop_api`: login = app key, password = app secret, extra
  `access_token`, `refresh_token` and optionally `api_base_url`,
  `auth_base_url`, `shop_cipher`.
* `tiktok_etl_db`: type `mssql` (host, port, schema = database, login,
  password, extra `trust_server_certificate`) or `sqlite` (host = file path);
  it gives the load target and `DB_PASSWORD`.
* `tiktok_etl_store`: login/password = S3 access key id/secret, extra
  `aws_session_token`, `region_name`, `endpoint_url`.

**Secrets** reach the containers only through the operator's public
`private_environment` parameter (a mapping resolved when the container is
created, never rendered): `TIKTOK_APP_KEY`, `TIKTOK_APP_SECRET`,
`TIKTOK_ACCESS_TOKEN`, `TIKTOK_REFRESH_TOKEN` (extract, `list_shops`),
`DB_PASSWORD` (load; environment fallback `ETL_DB_PASSWORD`, then
`DB_PASSWORD`), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
`AWS_SESSION_TOKEN` (all stages).

**Failures**: the stage's exit code is read from the container; exit code 1
is retried 3 times, exit code 2 (bad configuration, missing upstream output)
fails the task at once (`AirflowFailException`). The delay after try n is
between `TIKTOK_ETL_RETRY_DELAY_SECONDS` × 2^(n−1) and twice that (Airflow
adds a deterministic per-task jitter), at most 30 minutes: 60–119 s,
120–239 s, 240–479 s by default. Each container is named after its run, task,
map index and try; a container left by an earlier try (a killed worker) is
removed before the next try starts. A task that failed for good, and a run that
timed out, are emailed to `TIKTOK_ETL_ALERT_EMAIL` by the SMTP provider's
`SmtpNotifier` through the connection `smtp_default`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta

import pendulum
from docker.types import Mount
from jinja2 import pass_context

from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import DAG, Asset, Connection, CronDataIntervalTimetable, Param, Variable, task_group
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowNotFoundException
from airflow.sdk.log import mask_secret

DAG_ID = "tiktok_shop_orders_etl"

log = logging.getLogger(__name__)

# --- Settings read when the file is parsed --------------------------------------------------
# The environment only. Reading Variables here would ask the API server on every parse, and
# the task SDK treats an API error like a missing Variable, so a brief outage would silently
# put the documented default in place of the configured schedule.
PARSE_TIME_DEFAULTS = {
    "TIKTOK_ETL_SCHEDULE": "0 */6 * * *",
    "TIKTOK_ETL_START_DATE": "2026-01-01",
    "TIKTOK_ETL_RETRY_DELAY_SECONDS": "60",
    "TIKTOK_ETL_DAGRUN_TIMEOUT_MINUTES": "480",
    "TIKTOK_ETL_SHOPS_PER_CHAIN": "0",
    "TIKTOK_ETL_API_POOL": "tiktok_api",
    "TIKTOK_ETL_LOAD_POOL": "tiktok_etl_load",
    "TIKTOK_ETL_TASK_RUNNER": "docker",
    "TIKTOK_ETL_K8S_NAMESPACE": "default",
    "TIKTOK_ETL_API_CONN_ID": "tiktok_shop_api",
    "TIKTOK_ETL_DB_CONN_ID": "tiktok_etl_db",
    "TIKTOK_ETL_STORE_CONN_ID": "tiktok_etl_store",
    "TIKTOK_ETL_ASSET_URI": "mssql://sqlserver:1433/Facolos_Staging/dbo/tiktok_shop_orders",
}


def parse_setting(name: str) -> str:
    """A setting that shapes the DAG: the environment, else its documented default."""
    return os.environ.get(name, "").strip() or PARSE_TIME_DEFAULTS[name]


def _parse_int(name: str, minimum: int) -> int:
    value = parse_setting(name)
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name}={value!r}: expected a whole number >= {minimum}")
    return int(value)


SHOPS_PER_CHAIN = _parse_int("TIKTOK_ETL_SHOPS_PER_CHAIN", 0)
RETRY_DELAY = timedelta(seconds=_parse_int("TIKTOK_ETL_RETRY_DELAY_SECONDS", 1))
DAGRUN_TIMEOUT = timedelta(minutes=_parse_int("TIKTOK_ETL_DAGRUN_TIMEOUT_MINUTES", 1))
START_DATE = pendulum.parse(parse_setting("TIKTOK_ETL_START_DATE"), tz="UTC")
TASK_RUNNER = parse_setting("TIKTOK_ETL_TASK_RUNNER").lower()
if TASK_RUNNER not in ("docker", "kubernetes"):
    raise ValueError(f"TIKTOK_ETL_TASK_RUNNER={TASK_RUNNER!r}: expected docker or kubernetes")
API_POOL = parse_setting("TIKTOK_ETL_API_POOL")
LOAD_POOL = parse_setting("TIKTOK_ETL_LOAD_POOL")

# Downstream DAGs can be scheduled on it: schedule=[Asset.ref(name="tiktok_shop_orders_staging")].
STAGING_TABLE = Asset(name="tiktok_shop_orders_staging", uri=parse_setting("TIKTOK_ETL_ASSET_URI"))

# --- Settings read when a task runs ---------------------------------------------------------
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
    "TIKTOK_ETL_ALERT_EMAIL": "",
    "TIKTOK_API_BASE_URL": "",
    "TIKTOK_AUTH_BASE_URL": "",
    "TIKTOK_SHOP_CIPHER": "",
    "AWS_REGION": "",
    "AWS_ENDPOINT_URL": "",
    "AWS_ALLOW_HTTP": "",
    "TIKTOK_ETL_TEST_FAULT_TRANSFORM": "",
}

# Settings a connection can hold: setting -> (its connection, the connection's extra field).
CONNECTION_EXTRAS = {
    "TIKTOK_API_BASE_URL": ("TIKTOK_ETL_API_CONN_ID", "api_base_url"),
    "TIKTOK_AUTH_BASE_URL": ("TIKTOK_ETL_API_CONN_ID", "auth_base_url"),
    "TIKTOK_SHOP_CIPHER": ("TIKTOK_ETL_API_CONN_ID", "shop_cipher"),
    "AWS_REGION": ("TIKTOK_ETL_STORE_CONN_ID", "region_name"),
    "AWS_ENDPOINT_URL": ("TIKTOK_ETL_STORE_CONN_ID", "endpoint_url"),
}

# Container variable -> (its connection, the connection field or extra, environment fallbacks).
SECRETS = {
    "TIKTOK_APP_KEY": ("TIKTOK_ETL_API_CONN_ID", "login", ("TIKTOK_APP_KEY",)),
    "TIKTOK_APP_SECRET": ("TIKTOK_ETL_API_CONN_ID", "password", ("TIKTOK_APP_SECRET",)),
    "TIKTOK_ACCESS_TOKEN": ("TIKTOK_ETL_API_CONN_ID", "extra.access_token", ("TIKTOK_ACCESS_TOKEN",)),
    "TIKTOK_REFRESH_TOKEN": ("TIKTOK_ETL_API_CONN_ID", "extra.refresh_token", ("TIKTOK_REFRESH_TOKEN",)),
    # ETL_DB_PASSWORD is the ETL login's; DB_PASSWORD is the old .env's (sa) password.
    "DB_PASSWORD": ("TIKTOK_ETL_DB_CONN_ID", "password", ("ETL_DB_PASSWORD", "DB_PASSWORD")),
    "AWS_ACCESS_KEY_ID": ("TIKTOK_ETL_STORE_CONN_ID", "login", ("AWS_ACCESS_KEY_ID",)),
    "AWS_SECRET_ACCESS_KEY": ("TIKTOK_ETL_STORE_CONN_ID", "password", ("AWS_SECRET_ACCESS_KEY",)),
    "AWS_SESSION_TOKEN": ("TIKTOK_ETL_STORE_CONN_ID", "extra.aws_session_token", ("AWS_SESSION_TOKEN",)),
}
API_SECRETS = ("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_ACCESS_TOKEN", "TIKTOK_REFRESH_TOKEN")
DB_SECRETS = ("DB_PASSWORD",)
STORE_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# With the KubernetesPodOperator the same variables come from Kubernetes Secrets of these names.
K8S_SECRETS = {API_SECRETS: "tiktok-etl-api", DB_SECRETS: "tiktok-etl-db", STORE_SECRETS: "tiktok-etl-store"}

# A manual run without a logical date has no data interval: read this far back.
FALLBACK_PERIOD = timedelta(hours=6)
EXIT_NOT_RETRYABLE = 2
LABEL = "io.github.tiktok-shop-etl"


def etl_connection(conn_setting: str) -> Connection | None:
    """The Airflow connection named by a `TIKTOK_ETL_*_CONN_ID` setting, from any secrets
    backend; None when no backend has it (then the environment is used)."""
    try:
        return Connection.get(parse_setting(conn_setting))
    except AirflowNotFoundException:
        return None


def _connection_field(conn: Connection, field: str) -> str | None:
    value = conn.extra_dejson.get(field.removeprefix("extra.")) if field.startswith("extra.") else getattr(conn, field)
    return str(value) if value not in (None, "") else None


def _target_from_connection(conn: Connection) -> str:
    """The load target for `tiktok_etl_db`: an ADO.NET string without its password, or SQLite."""
    if conn.conn_type == "sqlite":
        return f"sqlite://{conn.host}"
    if conn.conn_type != "mssql":
        raise AirflowFailException(f"connection {conn.conn_id}: type {conn.conn_type!r}, expected mssql or sqlite")
    parts = [f"server=tcp:{conn.host},{conn.port or 1433}", f"database={conn.schema}", f"user id={conn.login}"]
    if str(conn.extra_dejson.get("trust_server_certificate", "")).lower() in ("1", "true", "yes"):
        parts.append("TrustServerCertificate=true")
    return ";".join(parts)


def etl_setting(name: str) -> str:
    """A setting read when a task runs: the connection's value, else an Airflow Variable (any
    secrets backend), else the environment, else its documented default. No blanket `except`:
    an error the task SDK raises (e.g. access denied) fails the task, which is retried, instead
    of this code quietly using the default. (The SDK itself treats a value the API server
    fails to return as missing, which is why the settings that shape the DAG are not here.)"""
    if name == "TIKTOK_ETL_TARGET" and (conn := etl_connection("TIKTOK_ETL_DB_CONN_ID")):
        return _target_from_connection(conn)
    if name in CONNECTION_EXTRAS:
        conn_setting, extra = CONNECTION_EXTRAS[name]
        if (conn := etl_connection(conn_setting)) and (value := _connection_field(conn, f"extra.{extra}")):
            return value
    value = Variable.get(name, default=None)
    if value in (None, ""):
        value = os.environ.get(name)
    return SETTINGS[name] if value in (None, "") else str(value)


def etl_flag(name: str) -> str:
    """`true` when a yes/no setting is on, else empty (not passed to the container)."""
    return "true" if etl_setting(name).strip().lower() in ("1", "true", "yes", "on") else ""


def secret_environment(names: tuple[str, ...]) -> dict[str, str]:
    """The secrets a stage needs: its connection's field, else the environment; masked in the logs."""
    found, connections = {}, {}
    for name in names:
        conn_setting, field, fallbacks = SECRETS[name]
        if conn_setting not in connections:
            connections[conn_setting] = etl_connection(conn_setting)
        conn = connections[conn_setting]
        value = (_connection_field(conn, field) if conn else None) or next(
            filter(None, (os.environ.get(env) for env in fallbacks)), None
        )
        if value:
            mask_secret(value, name=name)
            found[name] = value
    return found


class StageSecrets(Mapping):
    """A stage's `private_environment`: the names of its secrets, whose values are looked up
    only when DockerOperator builds the container's environment from it. So the DAG processor
    never reads a secret, and the values never sit in a template field, the serialized DAG or
    the rendered templates."""

    def __init__(self, names: tuple[str, ...]):
        self.names = tuple(names)
        self._values: dict[str, str] | None = None

    def refresh(self) -> None:
        """Look the values up again on the next read (each try gets current credentials)."""
        self._values = None

    def _resolved(self) -> dict[str, str]:
        if self._values is None:
            self._values = secret_environment(self.names)
        return self._values

    def __getitem__(self, key: str) -> str:
        return self._resolved()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())

    def __bool__(self) -> bool:  # DockerOperator keeps `private_environment or {}`: do not resolve then
        return bool(self.names)

    def __repr__(self) -> str:  # never the values
        return f"StageSecrets({', '.join(self.names)})"


@pass_context
def etl_window(context) -> dict[str, str]:
    """`since`/`until` of extract: the run's data interval plus overlap, or the last `days_back` days."""
    until = context.get("data_interval_end") or context["dag_run"].run_after
    if days_back := context["params"].get("days_back"):
        since = until - timedelta(days=int(days_back))
    else:
        start = context.get("data_interval_start") or until - FALLBACK_PERIOD
        since = start - timedelta(minutes=int(etl_setting("TIKTOK_ETL_OVERLAP_MINUTES")))
    return {"since": since.isoformat(), "until": until.isoformat()}


def container_key(ti) -> str:
    """Identifies a task instance's containers across its tries: (DAG, run, task, map index)."""
    key = "\0".join((ti.dag_id, ti.run_id, ti.task_id, str(ti.map_index)))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def etl_container_name(ti) -> str:
    """`tiktok-etl_<task>[-<map index>]_<run id, cleaned>_<key>_try<n>`: one name per (run, task,
    try), a valid Docker name whatever the run id holds; the key keeps it unique."""
    task = ti.task_id if ti.map_index < 0 else f"{ti.task_id}-{ti.map_index}"
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{task}_{ti.run_id}")[:100]
    return f"tiktok-etl_{readable}_{container_key(ti)}_try{ti.try_number}"


def container_labels(ti) -> dict[str, str]:
    return {
        f"{LABEL}.key": container_key(ti),
        f"{LABEL}.dag-id": ti.dag_id,
        f"{LABEL}.run-id": ti.run_id,
        f"{LABEL}.task-id": ti.task_id,
        f"{LABEL}.map-index": str(ti.map_index),
        f"{LABEL}.try-number": str(ti.try_number),
    }


def shop_chains(run_id: str, ciphers, shops_per_chain: int) -> list[dict[str, str]]:
    """The fan-out: one `{run, shops}` per group of shops, sorted so that the grouping (and so
    each chain's run id in the store) is the same on every try."""
    ciphers = sorted({c.strip() for c in ciphers if c.strip()})
    chains = []
    for i in range(0, len(ciphers), shops_per_chain):
        group = ciphers[i : i + shops_per_chain]
        if len(group) == 1:
            key = f"shop-{group[0]}"
        else:
            key = f"shops-{len(group)}-{hashlib.sha256(','.join(group).encode()).hexdigest()[:12]}"
        chains.append({"run": f"{run_id}.{key}", "shops": ",".join(group)})
    return chains


class EtlFailureNotifier(SmtpNotifier):
    """The SMTP provider's notifier, to `TIKTOK_ETL_ALERT_EMAIL` through the connection
    `smtp_default`; without an address the failure is only logged. `timeouts_only` is the DAG
    callback: a run that exceeded `dagrun_timeout` (its tasks are skipped, so no task fails)."""

    def __init__(self, *, timeouts_only: bool = False):
        what = "run {{ run_id }} timed out" if timeouts_only else "{{ ti.task_id }} failed in run {{ ti.run_id }}"
        super().__init__(
            to="{{ etl_setting('TIKTOK_ETL_ALERT_EMAIL') }}",
            smtp_conn_id="smtp_default",
            subject=f"[airflow] {{{{ dag.dag_id }}}}: {what}",
            html_content=(
                f"<p>{{{{ dag.dag_id }}}}: {what}"
                + ("" if timeouts_only else " after {{ ti.try_number }} tries")
                + ".</p><p>{{ exception | e if exception is defined else '' }}</p>"
            ),
        )
        self.timeouts_only = timeouts_only

    def __call__(self, *args):
        # Rendering replaces the template fields in place: render a copy, keep this one reusable.
        return super(EtlFailureNotifier, copy.copy(self)).__call__(*args)

    def render_template_fields(self, context, jinja_env=None):
        # With this file's DAG and its macros: a DAG callback run by `airflow dags test` has the
        # scheduler's SerializedDAG in its context, which has no template environment.
        super().render_template_fields(context, jinja_env or dag.get_template_env())

    def notify(self, context):
        if self.timeouts_only and context.get("reason") != "timed_out":
            return
        if not self.to:
            log.error("%s (set TIKTOK_ETL_ALERT_EMAIL to be emailed)", self.subject)
            return
        super().notify(context)


class EtlStageOperator(DockerOperator):
    """A DockerOperator for one stage container: the store mount and Docker endpoint resolved
    when it runs, secrets through `private_environment`, the stage's exit code read from the
    container (2: not retried), a name per (run, task, try) with stale containers of earlier
    tries removed first, and the stage's JSON summary (last stdout line) as its XCom."""

    def __init__(self, *, secrets: tuple[str, ...] = (), **kwargs) -> None:
        stage_secrets = StageSecrets(secrets)
        super().__init__(private_environment=stage_secrets, **kwargs)
        self.stage_secrets = stage_secrets

    def execute(self, context):
        self.docker_url = etl_setting("TIKTOK_ETL_DOCKER_URL")
        self.network_mode = etl_setting("TIKTOK_ETL_DOCKER_NETWORK")
        source = etl_setting("TIKTOK_ETL_STORE_VOLUME")
        mount_type = "bind" if source.startswith("/") else "volume"
        self.mounts = [Mount(target="/data", source=source, type=mount_type)]
        self.environment = {k: v for k, v in self.environment.items() if v}
        self.labels = container_labels(context["ti"])
        self.stage_secrets.refresh()
        self._remove_stale_containers(context["ti"])
        try:
            super().execute(context)
            return self._result()
        except DockerContainerFailedException as err:
            exit_code = self._exit_code()
            if exit_code == EXIT_NOT_RETRYABLE:
                raise AirflowFailException(
                    f"{self.task_id}: the stage exited with code 2 (retrying cannot help): see the log"
                ) from err
            log.error("%s: the stage exited with code %s (retryable)", self.task_id, exit_code)
            raise
        finally:
            self._remove_container()

    def _exit_code(self) -> int | None:
        """The stage's exit code, from Docker: the container is kept until it is read."""
        if not self.container:
            return None
        return self.cli.inspect_container(self.container["Id"])["State"]["ExitCode"]

    def _result(self):
        """The summary: the last line of stdout only. DockerOperator's own XCom is the last line
        of stdout and stderr together, whose order Docker does not keep. Not `tail=1` either: the
        engine takes the tail of both streams before it filters one out, so a log line on stderr
        stored after the summary made that read empty (stdout holds only the summary, so reading
        all of it is cheap)."""
        stdout = self.cli.logs(self.container["Id"], stdout=True, stderr=False)
        lines = stdout.decode("utf-8", "replace").splitlines()
        return next((line.strip() for line in reversed(lines) if line.strip()), None)

    def _remove_stale_containers(self, ti) -> None:
        """Remove (stopping it if needed) any container of an earlier try of this task instance,
        e.g. one orphaned by a killed worker, which would write the same store directory."""
        stale = self.cli.containers(all=True, filters={"label": f"{LABEL}.key={container_key(ti)}"})
        for container in stale:
            log.warning(
                "removing container %s (%s) left by an earlier try",
                ",".join(container.get("Names") or []),
                container.get("State"),
            )
            self.cli.remove_container(container["Id"], force=True)

    def _remove_container(self) -> None:
        if self.container:
            try:
                self.cli.remove_container(self.container["Id"], force=True)
            except Exception:
                log.warning("could not remove container %s", self.container["Id"], exc_info=True)


class EtlShopListOperator(EtlStageOperator):
    """`list_shops` of the fan-out: the shops given (`shops`), else every shop the token is
    authorized for (`tiktok-etl check --skip-database` prints `TIKTOK_SHOP_CIPHER=a,b,…`),
    returned as the chains to map over."""

    template_fields = (*EtlStageOperator.template_fields, "shops")

    def __init__(self, *, shops: str, shops_per_chain: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shops = shops
        self.shops_per_chain = shops_per_chain

    def execute(self, context):
        ciphers = [c for c in (self.shops or "").split(",") if c.strip()]
        if not ciphers:
            ciphers = super().execute(context)
        chains = shop_chains(context["run_id"], ciphers, self.shops_per_chain)
        log.info("%d shop(s) in %d chain(s): %s", len(ciphers), len(chains), [c["shops"] for c in chains])
        return chains

    def _result(self):
        stdout = self.cli.logs(self.container["Id"], stdout=True, stderr=False).decode("utf-8", "replace")
        match = re.search(r"^\s*TIKTOK_SHOP_CIPHER=(\S*)\s*$", stdout, re.M)
        if not match:
            raise AirflowException("`tiktok-etl check --skip-database` printed no TIKTOK_SHOP_CIPHER= line")
        return match.group(1).split(",")


def configured_shop_chains(shops: str, run_id: str, shops_per_chain: int) -> list[dict[str, str]]:
    """`list_shops` with the KubernetesPodOperator: the shops must be given, since a pod's stdout
    cannot be told apart from its log (see docs/airflow.md)."""
    ciphers = [c for c in shops.split(",") if c.strip()]
    if not ciphers:
        raise AirflowFailException(
            "with TIKTOK_ETL_TASK_RUNNER=kubernetes the fan-out needs the shops: set TIKTOK_SHOP_CIPHER "
            "(or the `shops` param)"
        )
    return shop_chains(run_id, ciphers, shops_per_chain)


def pod_exit_code(pod, container_name: str) -> int | None:
    """The exit code of a finished pod's stage container, from its status."""
    statuses = (pod.status.container_statuses if pod is not None and pod.status else None) or []
    for status in statuses:
        if status.name == container_name and status.state and status.state.terminated:
            return status.state.terminated.exit_code
    return None


def unset_env_vars_removed(env_vars):
    """KubernetesPodOperator's rendered `env_vars` (V1EnvVar objects) without the empty ones:
    an unset setting is not passed, as with the DockerOperator."""
    return [var for var in env_vars or [] if var.value or var.value_from]


@functools.cache
def _pod_operator_class():
    """EtlStagePodOperator, built on first use so that Docker users need not install the
    cncf.kubernetes provider."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    class EtlStagePodOperator(KubernetesPodOperator):
        """The stage as a pod: same image, arguments and environment; secrets from Kubernetes
        Secrets; exit code 2 from the pod's status fails the task at once. Its XCom is off: the
        summary is in the log (a pod's stdout is not kept apart from its stderr)."""

        def execute(self, context):
            self.env_vars = unset_env_vars_removed(self.env_vars)
            try:
                return super().execute(context)
            except AirflowFailException:
                raise
            except Exception as err:
                if pod_exit_code(getattr(self, "remote_pod", None), self.base_container_name) == EXIT_NOT_RETRYABLE:
                    raise AirflowFailException(
                        f"{self.task_id}: the stage exited with code 2 (retrying cannot help): see the log"
                    ) from err
                raise

    return EtlStagePodOperator


def _k8s_secret_sources(secrets: tuple[str, ...]):
    from kubernetes.client import models as k8s

    sources = []
    for names, secret in K8S_SECRETS.items():
        if set(names) & set(secrets):
            optional = names == STORE_SECRETS  # a local-volume test setup has no S3 keys
            sources.append(k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=secret, optional=optional)))
    return sources


def etl_stage(
    stage: str,
    *,
    run,
    arguments=(),
    secrets: tuple[str, ...] = (),
    pool: str | None = None,
    timeout: timedelta,
    outlets=(),
    binary: str | None = None,
    operator_class=None,
    operator_kwargs=None,
    **env,
):
    """One stage container: `<binary> --run-id <run> <arguments>` with the shared settings, as a
    DockerOperator or, with TIKTOK_ETL_TASK_RUNNER=kubernetes, a KubernetesPodOperator. `run`
    (and any value) may be a template or a mapped argument of the fan-out's task group."""
    command = [*(["--run-id", run] if run else []), *arguments]
    environment = {
        "ETL_STORE": "{{ etl_setting('TIKTOK_ETL_STORE') }}",
        "ETL_LOG_FORMAT": "{{ etl_setting('TIKTOK_ETL_LOG_FORMAT') }}",
        "AWS_REGION": "{{ etl_setting('AWS_REGION') }}",
        "AWS_ENDPOINT_URL": "{{ etl_setting('AWS_ENDPOINT_URL') }}",
        "AWS_ALLOW_HTTP": "{{ etl_setting('AWS_ALLOW_HTTP') }}",
        **env,
    }
    common = {
        "task_id": stage,
        "image": "{{ etl_setting('TIKTOK_ETL_IMAGE') }}",
        "execution_timeout": timeout,
        "outlets": list(outlets),
        **({"pool": pool} if pool else {}),
    }
    binary = binary or f"/usr/local/bin/{stage}"
    if TASK_RUNNER == "kubernetes":
        return _pod_operator_class()(
            cmds=[binary],
            arguments=command,
            env_vars=environment,
            env_from=_k8s_secret_sources(secrets + STORE_SECRETS),
            namespace=parse_setting("TIKTOK_ETL_K8S_NAMESPACE"),
            get_logs=True,
            on_finish_action="delete_pod",
            do_xcom_push=False,
            **common,
        )
    return (operator_class or EtlStageOperator)(
        entrypoint=[binary],
        command=command,
        environment=environment,
        secrets=secrets + STORE_SECRETS,
        container_name="{{ etl_container_name(ti) }}",
        mount_tmp_dir=False,
        auto_remove="never",  # removed by EtlStageOperator once the exit code and summary are read
        do_xcom_push=True,
        xcom_all=False,
        retrieve_output=False,
        **common,
        **(operator_kwargs or {}),
    )


def etl_chain(run, shops):
    """extract >> transform >> load for one run id: the whole run, or one group of shops."""
    extract = etl_stage(
        "extract",
        run=run,
        arguments=["--since", "{{ etl_window().since }}", "--until", "{{ etl_window().until }}"],
        secrets=API_SECRETS,
        pool=API_POOL,
        timeout=timedelta(minutes=60),
        TIKTOK_API_BASE_URL="{{ etl_setting('TIKTOK_API_BASE_URL') }}",
        TIKTOK_AUTH_BASE_URL="{{ etl_setting('TIKTOK_AUTH_BASE_URL') }}",
        TIKTOK_SHOP_CIPHER=shops,
        # glibc otherwise raises its mmap threshold to the size of the first large buffer freed,
        # and the API's page buffers then fragment its arenas: peak RSS grew with the orders
        # read (61 -> 76 MiB at 10x); with it, 38 -> 43 MiB (README, "Benchmark").
        MALLOC_MMAP_THRESHOLD_="131072",  # bytes: buffers of 128 KiB and more mmapped
    )
    transform = etl_stage(
        "transform",
        run=run,
        timeout=timedelta(minutes=30),
        ETL_FAULT_FAIL_ONCE="{{ etl_setting('TIKTOK_ETL_TEST_FAULT_TRANSFORM') }}",
    )
    load = etl_stage(
        "load",
        run=run,
        secrets=DB_SECRETS,
        pool=LOAD_POOL,
        outlets=[STAGING_TABLE],
        timeout=timedelta(minutes=30),
        ETL_TARGET="{{ etl_setting('TIKTOK_ETL_TARGET') }}",
        ETL_TABLE="{{ etl_setting('TIKTOK_ETL_TABLE') }}",
        ETL_LOAD_MODE="{{ params.load_mode or etl_setting('TIKTOK_ETL_LOAD_MODE') }}",
        ETL_CREATE_TABLE="{{ etl_flag('TIKTOK_ETL_CREATE_TABLE') }}",
    )
    extract >> transform >> load


def list_shops_task():
    """The fan-out's first task: the chains to map `shop_chain` over."""
    shops = "{{ params.shops or etl_setting('TIKTOK_SHOP_CIPHER') }}"
    if TASK_RUNNER == "kubernetes":
        from airflow.providers.standard.operators.python import PythonOperator

        return PythonOperator(
            task_id="list_shops",
            python_callable=configured_shop_chains,
            op_kwargs={"shops": shops, "run_id": "{{ run_id }}", "shops_per_chain": SHOPS_PER_CHAIN},
        )
    return etl_stage(
        "list_shops",
        run=None,
        arguments=["check", "--skip-database"],
        binary="/usr/local/bin/tiktok-etl",
        secrets=API_SECRETS,
        pool=API_POOL,
        timeout=timedelta(minutes=10),
        operator_class=EtlShopListOperator,
        operator_kwargs={"shops": shops, "shops_per_chain": SHOPS_PER_CHAIN},
        TIKTOK_API_BASE_URL="{{ etl_setting('TIKTOK_API_BASE_URL') }}",
        TIKTOK_AUTH_BASE_URL="{{ etl_setting('TIKTOK_AUTH_BASE_URL') }}",
    )


def _schedule():
    cron = parse_setting("TIKTOK_ETL_SCHEDULE")
    if cron.lower() in ("none", "manual"):
        return None
    return CronDataIntervalTimetable(cron, timezone="UTC")


with DAG(
    dag_id=DAG_ID,
    description="TikTok Shop orders: extract >> transform >> load, one container per stage",
    doc_md=__doc__,
    schedule=_schedule(),
    start_date=START_DATE,
    # Every interval since START_DATE gets its run, one at a time, oldest first: after a pause
    # or an outage the missed intervals are run, not skipped (their orders are in no other run).
    catchup=True,
    max_active_runs=1,
    dagrun_timeout=DAGRUN_TIMEOUT,
    on_failure_callback=EtlFailureNotifier(timeouts_only=True),
    tags=["tiktok-shop", "etl"],
    default_args={
        "owner": "data-engineering",
        "retries": 3,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": EtlFailureNotifier(),
    },
    params={
        "days_back": Param(None, type=["null", "integer"], minimum=1, description="extract the last N days"),
        "load_mode": Param(None, type=["null", "string"], enum=[None, "merge", "append", "replace"]),
        "shops": Param(None, type=["null", "string"], description="comma-separated shop ciphers"),
    },
    user_defined_macros={
        "etl_setting": etl_setting,
        "etl_flag": etl_flag,
        "etl_window": etl_window,
        "etl_container_name": etl_container_name,
    },
) as dag:
    if SHOPS_PER_CHAIN:
        # One chain per group of shops, each keyed in the store by `<run id>.shop-…`.
        list_shops = list_shops_task()
        list_shops >> task_group(group_id="shop_chain")(etl_chain).expand_kwargs(list_shops.output)
    else:
        etl_chain(run="{{ run_id }}", shops="{{ params.shops or etl_setting('TIKTOK_SHOP_CIPHER') }}")
