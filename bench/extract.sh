#!/usr/bin/env bash
# The extract benchmark: orders/s against the ceiling a rate limit allows,
# and peak memory as the window grows.
#
#   bench/extract.sh [ORDERS] [RUN...]   (default: 60000 orders per shop, every run)
#   BENCH_UNTIL=2026-11-30T00:00:00Z bench/extract.sh ...   (the window ending
#                                        at the sandbox's clock instead)
#
# Builds release binaries and starts the sandbox API on loopback with a
# frozen clock, 300 ms added to every response and a limit of 50 requests/s
# per shop (a 429 with Retry-After over it). At 100 orders a page the
# ceiling is 50 pages/s x 100 = 5,000 orders/s per shop. Runs, into fresh
# stores under bench/out/extract/:
#   qps-50   one shop, --qps 50
#   auto     one shop, --qps auto (the share of calls throttled from the
#            manifest's counters)
#   2-shops  two shops at once, --qps 50 (the ceiling doubles)
#   rss-10x  one shop, --qps 50, ten times the orders (peak RSS must stay flat)
# and prints orders/s, the fraction of the ceiling, throttled calls and peak
# RSS (from /usr/bin/time) of each. The sandbox shares the machine's cores
# with extract.
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-60000}
shift || true
runs=${*:-qps-50 auto 2-shops rss-10x}
out=bench/out/extract
rm -rf "$out" && mkdir -p "$out"

cargo build --release --quiet --bins
bin="${CARGO_TARGET_DIR:-target}/release"
now="2026-11-30T00:00:00Z"
shops=GCP_SANDBOX_SHOP_0001,ROW_SANDBOX_SHOP_0002

# The window: [now - days, now - 2 min), orders_per_day chosen so that it
# holds about ORDERS orders per shop (the sandbox's orders move through
# about two update times a day on average; the exact count is what extract
# read). It ends two minutes before the sandbox's clock, as a scheduled
# run's does (extract moves a window's end back to now - --lag-seconds,
# default 120), so the orders of those two minutes show extract the API's
# clock has passed the window (see "Speed under the rate limit").
sandbox() { # orders per day, log name
  local port=$((20000 + RANDOM % 20000))
  "$bin/tiktok-etl" sandbox --listen "127.0.0.1:$port" --shops "$shops" \
    --orders-per-day "$1" --history-days 12 --frozen-now "$now" \
    --latency-ms 300 --rate-limit-per-second 50 > "$out/$2.sandbox.log" 2>&1 &
  sandbox_pid=$!
  for _ in $(seq 100); do grep -q "listening" "$out/$2.sandbox.log" && break; sleep 0.2; done
  base="http://127.0.0.1:$port"
}
stop_sandbox() { kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; }
trap stop_sandbox EXIT

export TIKTOK_APP_KEY=sandbox-app-key TIKTOK_APP_SECRET=sandbox-app-secret
export TIKTOK_ACCESS_TOKEN=sandbox-access-token TIKTOK_REFRESH_TOKEN=sandbox-refresh-token
export RUST_LOG=warn
# As the image and the DAG run extract (see README, "Configuration").
export MALLOC_ARENA_MAX=4 MALLOC_MMAP_THRESHOLD_=131072
days=4
since=$(date -u -d "$now - $days days" +%Y-%m-%dT%H:%M:%SZ)
until=$(date -u -d "$now - 120 seconds" +%Y-%m-%dT%H:%M:%SZ)

: > "$out/results"
run() { # name, orders per shop, shops, extract flags...
  local name=$1 n=$2 shop_list=$3; shift 3
  case " $runs " in *" $name "*) ;; *) return 0 ;; esac
  sandbox $(( n / (days * 2) )) "$name"
  TIKTOK_API_BASE_URL="$base" TIKTOK_AUTH_BASE_URL="$base" TIKTOK_SHOP_CIPHER="$shop_list" \
    /usr/bin/time -f "%e %M" -o "$out/$name.time" \
    "$bin/extract" --store "$out/$name" --run-id bench --since "$since" --until "${BENCH_UNTIL:-$until}" "$@" \
    > "$out/$name.json" 2> "$out/$name.log" || { cat "$out/$name.log" >&2; exit 1; }
  stop_sandbox
  read -r seconds kib < "$out/$name.time"
  python3 - "$out" "$name" "$seconds" "$kib" <<'PY' | tee -a "$out/results"
import glob, json, sys
out, name, seconds, kib = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
m = json.load(open(glob.glob(f"{out}/{name}/runs/*/extract/_manifest.json")[0]))
c = m["counters"]
shops = len(m["shops"])
orders = m["rows_out"]
rate = orders / seconds
ceiling = 5000 * shops
throttled = c.get("retries_throttled", 0)
print(f"| {name} | {shops} | {orders:,} | {seconds:.1f} | {rate:,.0f} | {ceiling:,} | "
      f"{rate / ceiling:.0%} | {c['pages']:,} | {c['api_requests']:,} | "
      f"{throttled} ({throttled / max(c['api_requests'], 1):.1%}) | {kib // 1024} MiB |")
PY
}

printf '| run | shops | orders | seconds | orders/s | ceiling | of ceiling | pages | requests | throttled | peak RSS |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
one=${shops%%,*}
run qps-50 "$orders" "$one" --qps 50
run auto "$orders" "$one" --qps auto
run 2-shops "$orders" "$shops" --qps 50
run rss-10x $(( orders * 10 )) "$one" --qps 50
