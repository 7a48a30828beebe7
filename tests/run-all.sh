#!/usr/bin/env bash
# Runs every test suite, installing what it needs on a fresh machine:
# formatting and lints, the Rust unit and integration tests (real binaries,
# the sandbox API on loopback, a local store and an S3-compatible server,
# SQLite), the Parquet reader tests (pyarrow, DuckDB) and the Airflow tests
# (the DAG under real Airflow, and the end-to-end DockerOperator run when a
# Docker engine is present).
#
#   tests/run-all.sh            # everything
#   SKIP_AIRFLOW=1 tests/run-all.sh   # everything but the Airflow suite
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bin_dir="${CARGO_TARGET_DIR:-$PWD/target}/debug"
step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

step "python tools for the tests (.venv/test)"
if [ ! -x .venv/test/bin/python ]; then
  python3 -m venv .venv/test
fi
.venv/test/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (workspace, and the image's build without the sandbox)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p tiktok-shop-etl --no-default-features --lib --bins --quiet -- -D warnings

step "rust tests (every crate of the workspace)"
export ETL_TEST_MOTO_SERVER="$PWD/.venv/test/bin/moto_server"
cargo test --workspace --quiet

step "parquet reader tests (pyarrow, DuckDB)"
cargo build --quiet --bins
ETL_BIN_DIR="$bin_dir" .venv/test/bin/python -m pytest -q tests/python

if [ "${SKIP_AIRFLOW:-0}" != 1 ]; then
  step "airflow tests"
  ETL_E2E_BIN_DIR="$bin_dir" bash tests/airflow/run.sh
fi

step "all suites passed"
