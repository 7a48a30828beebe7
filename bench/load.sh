#!/usr/bin/env bash
# The load benchmark: our SQLite load against a hand-written Python loader,
# on the same staged rows, in one run.
#
#   bench/load.sh [ORDERS_PER_DAY_PER_SHOP] [DAYS] [COPIES] [SCALE]
#                                              (defaults: 700 5 10 10)
#
# Builds release binaries, extracts ORDERS_PER_DAY_PER_SHOP x DAYS orders of
# two shops from the sandbox API on loopback and transforms them into a store
# under bench/out/ (the real staged files, so the schema is whatever
# transform writes today). bench/replicate.py copies that run COPIES times
# with new order ids into run `bench` (defaults: 200,000 orders, about
# 430,000 line items), and SCALE times more into run `bench-xSCALE`. Then,
# each timed with its peak RSS:
#   load         our load of `bench` into a fresh SQLite table;
#   load-again   the same run again (every row unchanged);
#   python       bench/reference_loader.py (pyarrow + sqlite3 executemany
#                upsert) of `bench` into another fresh table;
#   load-xSCALE  our load of `bench-xSCALE` into a third fresh table: memory
#                must not grow with the run.
# Prints a table with rows/s, peak RSS, and the ratios to the reference.
# The Python side runs in bench/.venv (made here with pyarrow from PyPI when
# missing, or set BENCH_PYTHON to a python that has pyarrow).
set -euo pipefail
cd "$(dirname "$0")/.."
per_day=${1:-700}
days=${2:-5}
copies=${3:-10}
scale=${4:-10}
out=bench/out/load
rm -rf "$out" && mkdir -p "$out"

python=${BENCH_PYTHON:-}
if [[ -z $python ]]; then
  if [[ ! -x bench/.venv/bin/python ]]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet 'pyarrow>=15'
  fi
  python=bench/.venv/bin/python
fi

cargo build --release --quiet --bins
bin="${CARGO_TARGET_DIR:-target}/release"
now="2026-11-30T00:00:00Z"
port=$((20000 + RANDOM % 20000))
"$bin/tiktok-etl" sandbox --listen "127.0.0.1:$port" --orders-per-day "$per_day" --frozen-now "$now" \
  > "$out/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "listening" "$out/sandbox.log" && break; sleep 0.2; done

export TIKTOK_API_BASE_URL="http://127.0.0.1:$port" TIKTOK_AUTH_BASE_URL="http://127.0.0.1:$port"
export TIKTOK_APP_KEY=sandbox-app-key TIKTOK_APP_SECRET=sandbox-app-secret
export TIKTOK_ACCESS_TOKEN=sandbox-access-token TIKTOK_REFRESH_TOKEN=sandbox-refresh-token
export TIKTOK_SHOP_CIPHER=GCP_SANDBOX_SHOP_0001,ROW_SANDBOX_SHOP_0002
export ETL_STORE="$out/store" ETL_RUN_ID=base RUST_LOG=warn
since=$(date -u -d "$now - $days days" +%Y-%m-%dT%H:%M:%SZ)
"$bin/extract" --since "$since" --until "$now" > "$out/extract.json"
"$bin/transform" > "$out/transform.json"
kill $sandbox 2>/dev/null || true
base_orders=$("$python" -c "import json;print(json.load(open('$out/extract.json'))['rows_out'])")
orders=$((base_orders * copies))
rows=$("$python" bench/replicate.py "$out/store" base bench "$copies")
big_rows=$("$python" bench/replicate.py "$out/store" base "bench-x$scale" $((copies * scale)))
unset ETL_RUN_ID
export ETL_RUN_ID=bench

measure() { # name, rows, command...
  local name=$1 n=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.json"
  read -r seconds kib < "$out/$name.time"
  printf '%s %s %s %s\n' "$name" "$n" "$seconds" "$kib" >> "$out/results"
}
measure load "$rows" "$bin/load" --target "sqlite://$out/ours.db"
measure load-again "$rows" "$bin/load" --target "sqlite://$out/ours.db"
measure python "$rows" "$python" bench/reference_loader.py "$out/store" bench "$out/python.db"
measure "load-x$scale" "$big_rows" "$bin/load" --run-id "bench-x$scale" --target "sqlite://$out/big.db"

"$python" - "$out/results" "$orders" <<'PY'
import sys
results = [line.split() for line in open(sys.argv[1])]
table = {name: (int(n), float(s), int(kib) / 1024) for name, n, s, kib in results}
ref_rate = table["python"][0] / max(table["python"][1], 1e-3)
print(f"\n{sys.argv[2]} orders\n")
print("| run | rows | seconds | rows/s | x Python | peak RSS |")
print("|---|---|---|---|---|---|")
for name, (n, s, mib) in table.items():
    rate = n / max(s, 1e-3)
    print(f"| {name} | {n:,} | {s:.1f} | {rate:,.0f} | {rate / ref_rate:.1f} | {mib:.0f} MiB |")
PY
