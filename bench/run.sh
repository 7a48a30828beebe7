#!/usr/bin/env bash
# The benchmark: time and peak memory of each stage on a large sandbox window.
#
#   bench/run.sh [ORDERS_PER_DAY_PER_SHOP] [DAYS]     (defaults: 3000 7)
#
# Builds release binaries, starts the sandbox API on loopback with a frozen
# clock, then runs extract, transform, load (twice: new rows, then nothing
# changes) into a fresh store and SQLite database under bench/out/, and prints
# a table of wall time, throughput and peak RSS per stage. The sandbox shares
# the machine's cores with extract.
set -euo pipefail
cd "$(dirname "$0")/.."
per_day=${1:-3000}
days=${2:-7}
out=bench/out
rm -rf "$out" && mkdir -p "$out"

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
export ETL_STORE="$out/store" ETL_RUN_ID=bench ETL_TARGET="sqlite://$out/staging.db" RUST_LOG=warn
since=$(date -u -d "$now - $days days" +%Y-%m-%dT%H:%M:%SZ)

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.json"
  read -r seconds kib < "$out/$name.time"
  printf '%s %s %s\n' "$name" "$seconds" "$kib" >> "$out/results"
}

measure extract "$bin/extract" --since "$since" --until "$now"
measure transform "$bin/transform"
measure load "$bin/load"
measure load-again "$bin/load"

orders=$(python3 -c "import json;print(json.load(open('$out/extract.json'))['rows_out'])")
rows=$(python3 -c "import json;print(json.load(open('$out/transform.json'))['rows_out'])")
printf '\n%s orders, %s line items, store %s\n\n' "$orders" "$rows" "$(du -sh "$out/store" | cut -f1)"
printf '| stage | seconds | rate | peak RSS |\n|---|---|---|---|\n'
while read -r name seconds kib; do
  case $name in extract) n=$orders; unit=orders ;; *) n=$rows; unit=rows ;; esac
  rate=$(python3 -c "print(f'{$n/max($seconds,0.001):,.0f} $unit/s')")
  printf '| %s | %s s | %s | %s MiB |\n' "$name" "$seconds" "$rate" "$((kib / 1024))"
done < "$out/results"
