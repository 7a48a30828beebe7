#!/usr/bin/env bash
# Run the Airflow tests under real Airflow from PyPI.
#
#   bash tests/airflow/run.sh [pytest args…]
#
# Creates (or reuses) the venv .venv/airflow, installs requirements.txt pinned
# by constraints.txt (only when they changed), makes a throw-away AIRFLOW_HOME
# with a migrated SQLite metadata DB, and runs pytest on tests/airflow.
#
# The end-to-end test needs a Docker engine and the ETL binaries, built first
# with `cargo build --bins` (ETL_E2E_BIN_DIR, default target/debug); without
# them it is skipped with the reason.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo_root/tests/airflow
venv=$repo_root/.venv/airflow
python=${PYTHON:-python3}

if [[ ! -x $venv/bin/python ]]; then
    "$python" -m venv "$venv"
fi
wanted=$(cat "$here/requirements.txt" "$here/constraints.txt" | sha256sum | cut -d' ' -f1)
stamp=$venv/.tests-airflow-requirements
if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
    echo "installing Airflow test requirements into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$here/requirements.txt" -c "$here/constraints.txt"
    echo "$wanted" >"$stamp"
fi

AIRFLOW_HOME=$(mktemp -d -t airflow-home.XXXXXX)
export AIRFLOW_HOME
trap 'rm -rf "$AIRFLOW_HOME"' EXIT
export AIRFLOW__CORE__DAGS_FOLDER=$repo_root/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__LOGGING__LOGGING_LEVEL=${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}
export PATH=$venv/bin:$PATH

if ! "$venv/bin/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1; then
    cat "$AIRFLOW_HOME/db-migrate.log" >&2
    echo "airflow db migrate failed" >&2
    exit 1
fi

cd "$repo_root"
"$venv/bin/python" -m pytest "$here" -p no:cacheprovider -rs --durations=5 "$@"
