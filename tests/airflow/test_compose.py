"""docker-compose.yml validated by Compose itself (default and `s3` profiles), then checked as
Compose parsed it: who gets the Docker socket and the secrets, what is published where, start
order, pinned images. The shell scripts inside it run here against stand-ins (no image can be
pulled on the machine these tests were written on, so `docker compose up` is not run).

Also the static parts of the image builds, docker/init-env.sh and the ETL login script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO

OLD_ENV_NAMES = (
    "TIKTOK_APP_KEY",
    "TIKTOK_APP_SECRET",
    "TIKTOK_ACCESS_TOKEN",
    "TIKTOK_REFRESH_TOKEN",
    "TIKTOK_SHOP_CIPHER",
    "DB_PASSWORD",
)
# Values a test .env gives the ETL's secrets, to find them in the parsed file.
ETL_SECRETS = {
    "TIKTOK_APP_KEY": "test-app-key-3f9a",
    "TIKTOK_APP_SECRET": "test-app-secret-81bc",
    "TIKTOK_ACCESS_TOKEN": "test-access-token-77d2",
    "TIKTOK_REFRESH_TOKEN": "test-refresh-token-09e4",
    "AWS_ACCESS_KEY_ID": "AKIATESTKEY4411",
    "AWS_SECRET_ACCESS_KEY": "test-aws-secret-5c3e",
    "AWS_SESSION_TOKEN": "test-aws-session-6a0f",
}
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-dag-processor", "airflow-scheduler")
SOCKET = "/var/run/docker.sock"


def compose_command():
    """`docker compose` (v2 plugin) where present, else the standalone `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("skipped: neither `docker compose` nor `docker-compose` is installed")


def compose(env_file, *args, profile=None):
    command = [*compose_command(), "--env-file", str(env_file), "-f", "docker-compose.yml"]
    if profile:
        command += ["--profile", profile]
    env = {k: v for k, v in os.environ.items() if not re.fullmatch(r"(TIKTOK_|AIRFLOW_|DB_|ETL_|S3_|AWS_|DOCKER_).*", k)}
    return subprocess.run([*command, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def init_env(path: Path, preset: dict[str, str] | None = None, socket: str = SOCKET) -> dict[str, str]:
    """docker/init-env.sh on `path` (created from .env.example with `preset` values first)."""
    if preset is not None:
        text = (REPO / ".env.example").read_text()
        for name, value in preset.items():
            text = re.sub(rf"^{name}=.*$", f"{name}={value}", text, flags=re.M)
        path.write_text(text)
    result = subprocess.run(
        ["bash", str(REPO / "docker" / "init-env.sh"), str(path)],
        env={**os.environ, "DOCKER_SOCKET": socket},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", path.read_text(), re.M))


@pytest.fixture(scope="module")
def env_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("compose") / ".env"
    init_env(path, ETL_SECRETS)
    return path


@pytest.fixture(scope="module")
def env(env_file):
    return dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", env_file.read_text(), re.M))


def parsed(env_file, profile=None):
    result = compose(env_file, "config", "--format", "json", profile=profile)
    if result.returncode == 0 and result.stdout.lstrip().startswith("{"):
        return json.loads(result.stdout)
    result = compose(env_file, "config", profile=profile)  # docker-compose v1 prints YAML only
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module", params=[None, "s3"], ids=["default", "s3"])
def config(request, env_file):
    return parsed(env_file, request.param)


@pytest.fixture(scope="module")
def s3_config(env_file):
    return parsed(env_file, "s3")


def volume_targets(service):
    """Mount targets, from Compose v2's dicts or v1's `source:target:mode` strings."""
    targets = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            targets[volume["target"]] = volume.get("source")
        else:
            source, target = volume.split(":")[:2]
            targets[target] = source
    return targets


def published(service):
    """(host address, host port, container port) of each published port, v1 or v2 form."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.append((port.get("host_ip", ""), str(port.get("published")), str(port["target"])))
        else:
            host_ip, host_port, target = str(port).split("/")[0].rsplit(":", 2)
            out.append((host_ip, host_port, target))
    return out


def depends(service, name):
    return service["depends_on"][name]["condition"]


# --- Compose accepts it, or says what is missing ---------------------------------------------------


@pytest.mark.parametrize("profile", [None, "s3"])
def test_compose_file_is_valid_for_the_default_and_s3_profiles(env_file, profile):
    result = compose(env_file, "config", "-q", profile=profile)
    assert result.returncode == 0, result.stderr


def test_required_values_missing_stop_compose_with_a_clear_message(tmp_path, env):
    """.env.example as it is (no generated secrets) fails, naming the value to set; so does a .env
    with everything but one."""
    result = compose(REPO / ".env.example", "config", "-q")
    assert result.returncode != 0
    assert re.search(r"set [A-Z_]+ .*in \.env", result.stderr), result.stderr
    for name in ("DOCKER_GID", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD", "ETL_DB_PASSWORD", "TIKTOK_ETL_START_DATE"):
        lacking = tmp_path / f"{name}.env"
        lacking.write_text("".join(f"{k}={'' if k == name else v}\n" for k, v in env.items()))
        result = compose(lacking, "config", "-q")
        assert result.returncode != 0 and f"set {name}" in result.stderr, (name, result.stderr)


# --- Who gets what ---------------------------------------------------------------------------------


def test_only_the_scheduler_gets_the_docker_socket(config):
    with_socket = {name for name, service in config["services"].items() if SOCKET in volume_targets(service)}
    assert with_socket == {"airflow-scheduler"}
    assert volume_targets(config["services"]["airflow-scheduler"])[SOCKET] == SOCKET
    with_groups = {name for name, service in config["services"].items() if service.get("group_add")}
    assert with_groups == {"airflow-scheduler"}


def test_the_scheduler_joins_the_sockets_group(config, env):
    assert [str(g) for g in config["services"]["airflow-scheduler"]["group_add"]] == [env["DOCKER_GID"]]
    assert env["DOCKER_GID"] == str(os.stat(SOCKET).st_gid)


def test_only_the_scheduler_gets_the_etl_secrets(config, env):
    """By value, anywhere in each service's parsed definition."""
    services = config["services"]
    allowed = {
        "airflow-scheduler": {*ETL_SECRETS, "ETL_DB_PASSWORD"},
        "sqlserver": {"DB_PASSWORD"},
        "sqlserver-init": {"DB_PASSWORD", "ETL_DB_PASSWORD"},
        "s3": {"S3_ACCESS_KEY", "S3_SECRET_KEY"},
    }
    secret_names = {*ETL_SECRETS, "DB_PASSWORD", "ETL_DB_PASSWORD", "S3_ACCESS_KEY", "S3_SECRET_KEY"}
    for name, service in services.items():
        text = json.dumps(service)
        present = {secret for secret in secret_names if env[secret] and env[secret] in text}
        assert present <= allowed.get(name, set()), f"{name} gets {present - allowed.get(name, set())}"
    scheduler = json.dumps(services["airflow-scheduler"])
    assert all(env[name] in scheduler for name in allowed["airflow-scheduler"])


def test_airflow_platform_secrets_are_generated_and_reach_only_airflow(config, env):
    from cryptography.fernet import Fernet

    Fernet(env["AIRFLOW_FERNET_KEY"].encode())  # a valid key
    assert len(env["AIRFLOW_JWT_SECRET"]) >= 32
    for name, service in config["services"].items():
        variables = service.get("environment", {})
        text = json.dumps(service)
        if name in AIRFLOW_SERVICES:
            assert variables["AIRFLOW__CORE__FERNET_KEY"] == env["AIRFLOW_FERNET_KEY"]
            assert variables["AIRFLOW__API_AUTH__JWT_SECRET"] == env["AIRFLOW_JWT_SECRET"]
        else:
            for platform in ("AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_POSTGRES_PASSWORD"):
                assert env[platform] not in text or name == "postgres", (name, platform)
        assert (env["AIRFLOW_ADMIN_PASSWORD"] in text) == (name == "airflow-init"), name
    init = config["services"]["airflow-init"]["environment"]
    assert init["_AIRFLOW_WWW_USER_PASSWORD"] == env["AIRFLOW_ADMIN_PASSWORD"] != "admin"
    raw = (REPO / "docker-compose.yml").read_text()
    assert "change-this" not in raw and ":-admin}" not in raw.split("_AIRFLOW_WWW_USER_PASSWORD")[1].split("\n")[0]


def test_published_ports_are_on_loopback(config):
    ports = {name: published(service) for name, service in config["services"].items() if service.get("ports")}
    expected = {"airflow-apiserver": [("127.0.0.1", "8080", "8080")], "sqlserver": [("127.0.0.1", "1433", "1433")]}
    if "s3" in config["services"]:
        expected["s3"] = [("127.0.0.1", "8333", "8333")]
    assert ports == expected


# --- Start order -----------------------------------------------------------------------------------


def test_the_scheduler_starts_after_the_inits_succeeded_and_the_api_server_is_healthy(config):
    scheduler = config["services"]["airflow-scheduler"]
    assert depends(scheduler, "sqlserver-init") == "service_completed_successfully"
    assert depends(scheduler, "airflow-init") == "service_completed_successfully"
    assert depends(scheduler, "etl-image") == "service_completed_successfully"
    assert depends(scheduler, "airflow-apiserver") == "service_healthy"
    assert depends(scheduler, "postgres") == "service_healthy"
    for name in ("airflow-apiserver", "airflow-dag-processor"):
        assert depends(config["services"][name], "airflow-init") == "service_completed_successfully"
        assert "healthcheck" in config["services"][name]
    assert depends(config["services"]["airflow-init"], "postgres") == "service_healthy"
    assert depends(config["services"]["sqlserver-init"], "sqlserver") == "service_healthy"
    if "s3-init" in config["services"]:
        assert depends(config["services"]["s3-init"], "s3") == "service_healthy"


# --- Images ----------------------------------------------------------------------------------------


def test_images_are_pinned_and_built_ones_are_named(config):
    for name, service in config["services"].items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" or "build" in service, f"{name}: {image} is not pinned"
        assert "latest" not in tag or "build" in service, f"{name}: {image}"
    services = config["services"]
    assert services["sqlserver"]["image"] == "mcr.microsoft.com/mssql/server:2022-CU17-ubuntu-22.04"
    assert services["postgres"]["image"] == "postgres:16.9-bookworm"
    if "s3" in services:
        assert services["s3"]["image"] == services["s3-init"]["image"] == "chrislusf/seaweedfs:3.97"
        assert not any("minio" in json.dumps(service) for service in services.values())
    for name in AIRFLOW_SERVICES:
        assert services[name]["image"] == "tiktok-etl-airflow:3.3.2"
        assert services[name]["build"]["dockerfile"] == "airflow.Dockerfile"


def test_providers_are_baked_into_the_airflow_image_not_installed_at_start(config):
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in (REPO / "docker-compose.yml").read_text()
    dockerfile = (REPO / "docker" / "airflow.Dockerfile").read_text()
    assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.2$", dockerfile, re.M)
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}$", dockerfile, re.M)
    pins = dict(re.findall(r'"(apache-airflow[a-z-]*)==([^"]+)"', dockerfile))
    requirements = dict(re.findall(r"^(apache-airflow[a-z-]*)==(\S+)$", (REPO / "tests/airflow/requirements.txt").read_text(), re.M))
    assert pins.pop("apache-airflow") == "${AIRFLOW_VERSION}"
    assert pins == {name: version for name, version in requirements.items() if name in pins}
    assert set(pins) == {"apache-airflow-providers-docker", "apache-airflow-providers-smtp"}
    assert config["services"]["airflow-scheduler"]["build"]["args"]["AIRFLOW_VERSION"] == requirements["apache-airflow"]


# --- The scripts inside the compose file, run against stand-ins --------------------------------------


def raw_service(name):
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"][name]


def script_of(name):
    command = raw_service(name)["command"]
    script = command[-1] if isinstance(command, list) else command
    return script.replace("$$", "$")


def stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_the_scheduler_refuses_to_start_without_the_sockets_group(tmp_path):
    """The scheduler's command, run as an unprivileged user against this host's real socket."""
    if not shutil.which("setpriv") or os.geteuid() != 0:
        pytest.skip("skipped: needs root and setpriv to run the check as another user")
    if not Path(SOCKET).is_socket() or os.stat(SOCKET).st_mode & stat.S_IWOTH:
        pytest.skip(f"skipped: no group-only {SOCKET} here")
    # Outside pytest's tmp_path, which only root may enter.
    bin_dir = Path(tempfile.mkdtemp(prefix="scheduler-check-"))
    bin_dir.chmod(0o755)
    stub(bin_dir, "airflow", 'echo "airflow $*"')
    script = script_of("airflow-scheduler")
    gid = os.stat(SOCKET).st_gid

    def run_as(*groups):
        group_args = ["--groups", ",".join(map(str, groups))] if groups else ["--clear-groups"]
        return subprocess.run(
            ["setpriv", "--reuid=50000", "--regid=0", *group_args, "bash", "-c", script],
            env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=30,
        )

    try:
        refused = run_as()
        started = run_as(gid)
    finally:
        shutil.rmtree(bin_dir)
    assert refused.returncode == 1
    assert "may not use /var/run/docker.sock: set DOCKER_GID in .env" in refused.stderr
    assert (started.returncode, started.stdout) == (0, "airflow scheduler\n"), started.stderr


def test_airflow_init_migrates_then_creates_both_pools(tmp_path, config):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    stub(bin_dir, "entrypoint", f'echo "entrypoint $*" >> {calls}')
    stub(bin_dir, "airflow", f'for a in "$@"; do printf "[%s]" "$a"; done >> {calls}; echo >> {calls}')
    script = script_of("airflow-init").replace("/entrypoint ", f"{bin_dir}/entrypoint ")
    env = {
        k: str(v)
        for k, v in config["services"]["airflow-init"]["environment"].items()
        if k.startswith(("TIKTOK_ETL_", "_AIRFLOW"))
    }
    result = subprocess.run(
        ["bash", "-c", script], env={**env, "PATH": f"{bin_dir}:/usr/bin:/bin"}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == [
        "entrypoint airflow version",
        "[pools][set][tiktok_api][1][TikTok Shop API calls of one app (extract, list_shops)]",
        "[pools][set][tiktok_etl_load][1][Loads into the staging table]",
    ]
    assert env["_AIRFLOW_DB_MIGRATE"] == "true" and env["_AIRFLOW_WWW_USER_CREATE"] == "true"


def test_the_pools_the_dag_uses_are_the_ones_init_creates(config, monkeypatch):
    from conftest import load_dagbag

    scheduler = config["services"]["airflow-scheduler"]["environment"]
    init = config["services"]["airflow-init"]["environment"]
    for name in ("TIKTOK_ETL_API_POOL", "TIKTOK_ETL_LOAD_POOL"):
        assert scheduler[name] == init[name] == config["services"]["airflow-dag-processor"]["environment"][name]
        monkeypatch.setenv(name, scheduler[name])
    dag = load_dagbag().get_dag("tiktok_shop_orders_etl")
    assert dag.get_task("extract").pool == init["TIKTOK_ETL_API_POOL"]
    assert dag.get_task("load").pool == init["TIKTOK_ETL_LOAD_POOL"]


def test_s3_server_gets_its_identity_from_the_environment(tmp_path, s3_config):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "weed", 'echo "weed $*"')
    script = script_of("s3").replace("/tmp/s3.json", str(tmp_path / "s3.json"))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **s3_config["services"]["s3"]["environment"]}
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("weed server -dir=/data") and "-s3.config=" in result.stdout
    (identity,) = json.loads((tmp_path / "s3.json").read_text())["identities"]
    (credentials,) = identity["credentials"]
    assert credentials == {"accessKey": env["S3_ACCESS_KEY"], "secretKey": env["S3_SECRET_KEY"]}
    assert stat.S_IMODE((tmp_path / "s3.json").stat().st_mode) == 0o600
    result = subprocess.run(["sh", "-c", script], env={**env, "S3_SECRET_KEY": ""}, capture_output=True, text=True)
    assert result.returncode != 0 and "set S3_SECRET_KEY in .env" in result.stderr


@pytest.mark.parametrize("bucket_appears", [True, False])
def test_s3_init_creates_the_bucket_or_fails_saying_so(tmp_path, s3_config, bucket_appears):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    listing = "  tiktok-etl\tsize:0" if bucket_appears else "  other-bucket"
    stub(bin_dir, "weed", f'read command; case "$command" in s3.bucket.list) echo "{listing}";; esac')
    stub(bin_dir, "sleep", ":")  # the 30 attempts without their 2 s waits
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **s3_config["services"]["s3-init"]["environment"]}
    result = subprocess.run(["sh", "-c", script_of("s3-init")], env=env, capture_output=True, text=True, timeout=60)
    if bucket_appears:
        assert (result.returncode, result.stdout.strip()) == (0, "bucket tiktok-etl is ready")
    else:
        assert result.returncode == 1 and "could not create the bucket tiktok-etl" in result.stderr


# --- docker/init-env.sh ---------------------------------------------------------------------------


def test_init_env_fills_what_is_missing_and_changes_nothing_else(tmp_path):
    path = tmp_path / ".env"
    old = {"DB_PASSWORD": "Old-Sa-Passw0rd!", "TIKTOK_APP_KEY": "old-key", "TIKTOK_ETL_START_DATE": "2025-06-01"}
    first = init_env(path, old)
    assert {k: first[k] for k in old} == old, "an old .env keeps its values"
    for name in ("DOCKER_GID", "AIRFLOW_UID", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD",
                 "AIRFLOW_POSTGRES_PASSWORD", "ETL_DB_PASSWORD", "S3_ACCESS_KEY", "S3_SECRET_KEY"):  # fmt: skip
        assert first[name], name
    assert re.fullmatch(r"[A-Za-z0-9]{24}-Aa1", first["ETL_DB_PASSWORD"]), "meets SQL Server's rules"
    assert first["AIRFLOW_UID"] == (str(os.getuid()) if os.getuid() else "50000")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert init_env(path) == first, "a second run changes nothing"
    assert len(re.findall(r"^DOCKER_GID=", path.read_text(), re.M)) == 1


def test_init_env_without_a_docker_socket_says_what_to_do(tmp_path):
    result = subprocess.run(
        ["bash", str(REPO / "docker" / "init-env.sh"), str(tmp_path / ".env")],
        env={**os.environ, "DOCKER_SOCKET": str(tmp_path / "no.sock")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "set DOCKER_GID in" in result.stderr


# --- SQL Server, the ETL image ---------------------------------------------------------------------


def test_sqlserver_has_health_check_and_data_volume(config):
    sqlserver = config["services"]["sqlserver"]
    assert sqlserver["container_name"] == "tiktok_sqlserver"
    test = " ".join(sqlserver["healthcheck"]["test"])
    assert "/opt/mssql-tools18/bin/sqlcmd -C" in test and "SELECT 1" in test
    assert "/var/opt/mssql" in volume_targets(sqlserver)


def test_init_applies_sql_once_sqlserver_is_healthy(config):
    init = config["services"]["sqlserver-init"]
    assert volume_targets(init)["/sql"].endswith("sql")
    script = " ".join(init["command"] if isinstance(init["command"], list) else [init["command"]])
    assert "sqlcmd -C" in script and "find /sql -name '*.sql'" in script
    assert "database=Facolos_Staging" in script, "sql/staging/ runs in the staging database"
    assert init.get("restart", "no") == "no"


def test_init_script_order_databases_and_password_fallback(tmp_path):
    """Runs the init service's script with a stand-in sqlcmd that records its calls."""
    raw = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    script = raw["services"]["sqlserver-init"]["command"][0].replace("$$", "$")
    fake = tmp_path / "sqlcmd"
    fake.write_text('#!/bin/sh\necho "$ETL_DB_PASSWORD $*" >> "$CALLS"\n')
    fake.chmod(0o755)
    script = script.replace("find /sql ", f"find {REPO / 'sql'} ").replace("/opt/mssql-tools18/bin/sqlcmd", str(fake))
    calls = tmp_path / "calls"
    env = {"PATH": "/usr/bin:/bin", "CALLS": str(calls), "SQLCMDPASSWORD": "Sa-Pw", "ETL_DB_PASSWORD": ""}
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    applied = [line.split() for line in calls.read_text().splitlines()]
    files = [str(Path(call[-1]).relative_to(REPO / "sql")) for call in applied]
    assert files[:2] == ["01_create_database.sql", "02_create_etl_login.sql"]
    assert "staging/create_tiktok_shop_orders_table.sql" in files
    assert files == sorted(files, key=lambda f: (f.count("/"), f)), "each folder before the ones below it"
    for call, file in zip(applied, files):
        assert call[0] == "Sa-Pw", "without ETL_DB_PASSWORD the script falls back to the sa password"
        assert call[call.index("-d") + 1] == ("master" if "/" not in file else "Facolos_Staging")


def test_airflow_services_mount_the_dags_read_only(config):
    for name in AIRFLOW_SERVICES:
        service = config["services"][name]
        (dags,) = [v for v in service["volumes"] if "/opt/airflow/dags" in json.dumps(v)]
        if isinstance(dags, dict):
            assert dags["source"] == str(REPO / "dags") and dags.get("read_only") is True
        else:
            assert dags == f"{REPO / 'dags'}:/opt/airflow/dags:ro"
        assert "postgresql" in service["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert service["environment"]["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"


def test_etl_connects_as_its_own_login_not_sa(config):
    env = config["services"]["airflow-scheduler"]["environment"]
    target = env["TIKTOK_ETL_TARGET"].lower()
    assert "user id=tiktok_etl" in target
    assert not re.search(r"(user id|uid|user)\s*=\s*sa\b", target)
    assert "password" not in target, "the password reaches the load through private_environment only"
    assert "DB_PASSWORD" not in env, "the sa password never reaches Airflow"
    assert env["TIKTOK_ETL_DOCKER_NETWORK"] == config["networks"]["default"]["name"] == "tiktok_etl"


def test_etl_image_and_store_volume(config):
    services = config["services"]
    etl = services["etl-image"]
    assert etl["image"] == "tiktok-shop-etl:latest"
    assert etl["build"]["dockerfile"] == "docker/Dockerfile"
    assert config["volumes"]["etl-store"]["name"] == "tiktok_etl_store"
    assert services["airflow-scheduler"]["environment"]["TIKTOK_ETL_STORE_VOLUME"] == "tiktok_etl_store"
    profiles = {name: service.get("profiles") for name, service in services.items() if service.get("profiles")}
    assert profiles in ({}, {"s3": ["s3"], "s3-init": ["s3"]})


def test_env_example_lists_every_variable_and_the_old_names():
    compose_text = (REPO / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", compose_text))
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert used - listed == set(), "variables used by docker-compose.yml but missing from .env.example"
    assert set(OLD_ENV_NAMES) <= listed
    for name in OLD_ENV_NAMES:
        assert f"${{{name}" in compose_text, f"{name} is not wired into docker-compose.yml"


def test_etl_login_is_least_privilege():
    sql = (REPO / "sql" / "02_create_etl_login.sql").read_text()
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    assert "CREATE LOGIN tiktok_etl" in code and "$(ETL_DB_PASSWORD)" in code
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA::dbo TO tiktok_etl" in code
    for too_much in ("db_owner", "db_ddladmin", "sysadmin", "CONTROL", "ALTER ON", "CREATE TABLE", "sp_addrolemember"):
        assert too_much not in code, too_much


def test_dockerfile_is_multi_stage_small_and_non_root():
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert stages == ["rust:1-bookworm", "scratch"]
    assert "cargo build --release --locked" in dockerfile
    assert "docker/rootfs.sh target/release /out/rootfs" in dockerfile
    rootfs = (REPO / "docker" / "rootfs.sh").read_text()
    assert 'stages=(extract transform load)' in rootfs
    assert 'ln -sf tiktok-etl "$rootfs/usr/local/bin/$stage"' in rootfs, "stages are links to one binary"
    assert re.search(r"^USER (?!0|root)\S+", dockerfile, re.M)
    assert re.search(r'^ENTRYPOINT \["/usr/local/bin/tiktok-etl"\]', dockerfile, re.M), "exec form"
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {"target", ".git", ".venv", "data", ".env"} <= set(ignored)


def final_stage(text):
    """The runtime stage's instructions other than COPY, continuation lines joined."""
    stage = text[text.rindex("FROM scratch") :].replace("\\\n", " ")
    lines = (" ".join(line.split()) for line in stage.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "COPY", "DOCKERFILE"))]


def test_local_image_matches_the_dockerfile():
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    local = (REPO / "docker" / "build-local-image.sh").read_text()
    local = local[: local.index("\nDOCKERFILE\n") + 1]
    assert final_stage(local) == final_stage(dockerfile)
