#!/usr/bin/env bash
# The transform benchmark: our `transform` against the same flatten in DuckDB
# SQL and the old way (Python `json` + `pandas.json_normalize`), on the same
# raw orders, in the same run.
#
#   bench/transform.sh [ORDERS] [ROUNDS]     (defaults: 200000 3)
#
# Generates ORDERS raw orders once (the sandbox's orders of six markets:
# VND/IDR amounts without decimals, non-ASCII names, all the documented
# fields; extract writes them to raw Parquet) under bench/out/transform-N/,
# then runs, alternately, ROUNDS times: transform, the floor, DuckDB,
# pandas (pandas only in the first round, it is the slow one, and only up
# to 300,000 orders: past that it needs more memory than a 24 GiB machine
# has). The floor (crates/transform-ceiling) is the part of transform's
# work no flatten can skip on this stack: read and scan every payload,
# write the staged rows transform made; the contract's floor adds what the
# staged table asks of every row whatever the flatten (every value put into
# an Arrow array, the SHA-256 row hash). Prints wall time, line items/s and
# peak RSS of each, with the medians and the ratios. Transform runs with
# MALLOC_ARENA_MAX=4, as in the image.
# The references come from bench/transform_reference.py, generated from the
# staged table of docs/contracts.md. Python tools go to bench/.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-200000}
rounds=${2:-3}
out=bench/out/transform-$orders
mkdir -p "$out"

cargo build --release --quiet --bins
cargo build --release --quiet -p transform-ceiling
bin="${CARGO_TARGET_DIR:-target}/release"

if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
bench/.venv/bin/pip install --quiet --disable-pip-version-check \
  duckdb==2.0.1 pyarrow==26.0.1 pandas==3.1.1

if [ ! -f "$out/raw/runs/bench/extract/_manifest.json" ]; then
  echo "generating $orders raw orders"
  # Two shops, seven days: orders per day per shop so the window holds ORDERS.
  per_day=$(( (orders + 15) / 16 ))
  now="2026-11-30T00:00:00Z"
  port=$((20000 + RANDOM % 20000))
  "$bin/tiktok-etl" sandbox --listen "127.0.0.1:$port" --orders-per-day "$per_day" \
    --history-days 8 --frozen-now "$now" > "$out/sandbox.log" 2>&1 &
  sandbox=$!
  trap 'kill $sandbox 2>/dev/null || true' EXIT
  for _ in $(seq 100); do grep -q "listening" "$out/sandbox.log" && break; sleep 0.2; done
  TIKTOK_API_BASE_URL="http://127.0.0.1:$port" TIKTOK_AUTH_BASE_URL="http://127.0.0.1:$port" \
  TIKTOK_APP_KEY=sandbox-app-key TIKTOK_APP_SECRET=sandbox-app-secret \
  TIKTOK_ACCESS_TOKEN=sandbox-access-token TIKTOK_REFRESH_TOKEN=sandbox-refresh-token \
  TIKTOK_SHOP_CIPHER=GCP_SANDBOX_SHOP_0001,ROW_SANDBOX_SHOP_0002 RUST_LOG=warn \
    "$bin/extract" --store "$out/raw" --run-id bench --qps 10000 \
      --since "$(date -u -d "$now - 7 days" +%Y-%m-%dT%H:%M:%SZ)" --until "$now" > /dev/null
  kill $sandbox; trap - EXIT
fi
raw_glob="$out/raw/runs/bench/extract/*/*.parquet"
raw_mb=$(du -sm "$out/raw/runs/bench/extract" | cut -f1)
echo "raw orders: $(python3 -c "import json;print(json.load(open('$out/raw/runs/bench/extract/_manifest.json'))['rows_out'])"), ${raw_mb} MB of Parquet"

: > "$out/results"
measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" > "$out/stdout" 2> "$out/stderr" \
    || { cat "$out/stderr" >&2; exit 1; }
  read -r seconds kib < "$out/time"
  local rows
  case $name in
    transform) rows=$(python3 -c "import json;print(json.loads(open('$out/stdout').read().splitlines()[-1])['rows_out'])") ;;
    # The floor times its own phases: its process also loads the staged
    # rows into memory first, which is not part of the floor.
    floor)
      read -r seconds rows simd contract < <(tail -1 "$out/stdout"); kib=0
      printf 'floor-simd %s 0 %s\n' "$simd" "$rows" >> "$out/results"
      printf 'floor-contract %s 0 %s\n' "$contract" "$rows" >> "$out/results" ;;
    *) rows=$(tail -1 "$out/stdout") ;;
  esac
  printf '%s %s %s %s\n' "$name" "$seconds" "$kib" "$rows" | tee -a "$out/results"
}

for round in $(seq "$rounds"); do
  MALLOC_ARENA_MAX=4 RUST_LOG=warn measure transform "$bin/transform" --store "$out/raw" --run-id bench
  measure floor "$bin/transform-ceiling" "$out/raw/runs/bench/extract" "$out/raw/runs/bench/transform/order_lines"
  measure duckdb bench/.venv/bin/python bench/transform_reference.py duckdb "$raw_glob" "$out/duckdb.parquet"
  # pandas holds every order as Python objects: about 30 GB at 1M orders.
  if [ "$round" = 1 ] && [ "$orders" -le 300000 ]; then
    measure pandas bench/.venv/bin/python bench/transform_reference.py pandas "$raw_glob" "$out/pandas.parquet"
  fi
done

python3 - "$out/results" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, seconds, kib, rows = line.split()
    runs.setdefault(name, []).append((float(seconds), int(kib), int(rows)))
med = {n: statistics.median(s for s, _, _ in r) for n, r in runs.items()}
print("\n| tool | runs | median s | line items/s | peak RSS | transform is faster by |")
print("|---|---|---|---|---|---|")
for name, r in runs.items():
    if name.startswith("floor"):
        continue
    rows = r[0][2]
    peak = max(k for _, k, _ in r) // 1024
    ratio = med[name] / med["transform"]
    print(f"| {name} | {len(r)} | {med[name]:.2f} | {rows / med[name]:,.0f} | {peak} MiB | {ratio:.1f}x |")
print("\nThe floor: read and scan every payload, write the staged rows, no flattening.")
for name, parser in (("floor", "serde_json, as transform"), ("floor-simd", "sonic-rs, SIMD")):
    floor = med[name]
    print(f"* scanning with {parser}: {floor:.2f} s, {floor / med['transform']:.0%} of transform's time; "
          f"DuckDB / floor = {med['duckdb'] / floor:.1f}x, the most a transform so built could beat DuckDB by")
floor = med["floor-contract"]
versus = ", ".join(f"{name} / floor = {med[name] / floor:.1f}x" for name in ("duckdb", "pandas") if name in med)
print(f"* with what the staged contract adds to each row (every value put into an Arrow array, the SHA-256 "
      f"row hash): {floor:.2f} s, {floor / med['transform']:.0%} of transform's time; {versus}: "
      "the most a transform keeping the contract could beat them by")
EOF
