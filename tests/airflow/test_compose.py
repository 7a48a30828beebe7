"""docker-compose.yml validated by Compose itself, then checked as Compose parsed it.

Also the static parts of the image build and of the ETL login script.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
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


def compose_command():
    """`docker compose` (v2 plugin) where present, else the standalone `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("skipped: neither `docker compose` nor `docker-compose` is installed")


def compose(*args):
    command = [*compose_command(), "--env-file", ".env.example", "-f", "docker-compose.yml", "--profile", "s3"]
    return subprocess.run([*command, *args], cwd=REPO, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def config():
    result = compose("config", "--format", "json")
    if result.returncode == 0 and result.stdout.lstrip().startswith("{"):
        return json.loads(result.stdout)
    result = compose("config")  # docker-compose v1 prints YAML only
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


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


def test_compose_file_is_valid():
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_sqlserver_has_health_check_and_data_volume(config):
    sqlserver = config["services"]["sqlserver"]
    assert sqlserver["image"] == "mcr.microsoft.com/mssql/server:2022-latest"
    assert sqlserver["container_name"] == "tiktok_sqlserver"
    test = " ".join(sqlserver["healthcheck"]["test"])
    assert "/opt/mssql-tools18/bin/sqlcmd -C" in test and "SELECT 1" in test
    assert "/var/opt/mssql" in volume_targets(sqlserver)


def test_init_applies_sql_once_sqlserver_is_healthy(config):
    init = config["services"]["sqlserver-init"]
    assert init["depends_on"]["sqlserver"]["condition"] == "service_healthy"
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
        assert call[0] == "Sa-Pw", "an old .env without ETL_DB_PASSWORD gives the ETL login DB_PASSWORD"
        assert call[call.index("-d") + 1] == ("master" if "/" not in file else "Facolos_Staging")


def test_airflow_services_mount_docker_socket_and_dags(config):
    services = config["services"]
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        service = services[name]
        assert re.fullmatch(r"apache/airflow:3\.\d+\.\d+", service["image"]), service["image"]
        targets = volume_targets(service)
        assert targets["/var/run/docker.sock"] == "/var/run/docker.sock"
        assert targets["/opt/airflow/dags"].endswith("dags")
        assert "apache-airflow-providers-docker" in service["environment"]["_PIP_ADDITIONAL_REQUIREMENTS"]
    ports = services["airflow-apiserver"]["ports"]
    assert any(str(p.get("target") if isinstance(p, dict) else p).endswith("8080") for p in ports)
    assert services["airflow-scheduler"]["depends_on"]["etl-image"]["condition"] == (
        "service_completed_successfully"
    )
    init_env = services["airflow-init"]["environment"]
    assert (init_env["_AIRFLOW_WWW_USER_USERNAME"], init_env["_AIRFLOW_WWW_USER_PASSWORD"]) == ("admin", "admin")
    assert "postgresql" in services["airflow-scheduler"]["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_etl_connects_as_its_own_login_not_sa(config):
    env = config["services"]["airflow-scheduler"]["environment"]
    target = env["TIKTOK_ETL_TARGET"].lower()
    assert "user id=tiktok_etl" in target
    assert not re.search(r"(user id|uid|user)\s*=\s*sa\b", target)
    assert "password" not in target, "the password reaches the load through private_environment only"
    assert env["TIKTOK_ETL_DOCKER_NETWORK"] == config["networks"]["default"]["name"] == "tiktok_etl"


def test_etl_image_store_volume_and_s3_profile(config):
    services = config["services"]
    etl = services["etl-image"]
    assert etl["image"] == "tiktok-shop-etl:latest"
    assert etl["build"]["dockerfile"] == "docker/Dockerfile"
    assert config["volumes"]["etl-store"]["name"] == "tiktok_etl_store"
    assert services["airflow-scheduler"]["environment"]["TIKTOK_ETL_STORE_VOLUME"] == "tiktok_etl_store"
    assert services["minio"]["profiles"] == ["s3"]


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
