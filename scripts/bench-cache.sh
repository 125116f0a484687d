#!/usr/bin/env bash
# The Redis cache of recommendation responses (serve --cache) on a Zipf-distributed user mix:
# wrk on loopback, GET /v1/users/{user}/recommendations?k=10 with the user drawn from a Zipf law
# (exponent --zipf, default 1.0) over the model's users in a fixed shuffled order, once against
# serve without the cache and once with it (a Redis of its own, started and stopped by this
# script). Prints requests/s, p50/p99 latency and, with the cache, the hit ratio (from /metrics).
#
# Usage: scripts/bench-cache.sh [--bin build/hybridrec] [--model models/ml-100k] [--data data/ml-100k]
#                               [--duration 20] [--connections 32] [--threads 2] [--zipf 1.0] [--ttl 60]
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/hybridrec}
MODEL=${MODEL:-models/ml-100k}
DATA=${DATA:-data/ml-100k}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-2}
ZIPF=${ZIPF:-1.0}
TTL=${TTL:-60}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) WRK_THREADS=$2; shift 2 ;;
    --zipf) ZIPF=$2; shift 2 ;;
    --ttl) TTL=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "error: wrk not found (Debian package wrk)" >&2; exit 1; }
[[ -x "$BIN" ]] || { echo "error: $BIN not built (make build)" >&2; exit 1; }
source scripts/lib-serve.sh
hr_ensure_model
hr_make_workdir bench-cache
cleanup_all() {
  hr_cleanup_server
  bash scripts/test-redis.sh stop "$WORK/redis" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
hr_cleanup_server() {
  if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap cleanup_all EXIT
hr_write_ids_lua
bash scripts/test-redis.sh start "$WORK/redis" >/dev/null
REDIS_URL=$(cat "$WORK/redis/url")

cat > "$WORK/zipf.lua" <<LUA
dofile("$WORK/ids.lua")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  -- The same shuffled user order in every thread (rank 1 = most frequent), own draws per thread.
  math.randomseed(42)
  order = {}
  for i = 1, #users do order[i] = users[i] end
  for i = #order, 2, -1 do local j = math.random(i); order[i], order[j] = order[j], order[i] end
  cdf = {}
  local s, total = $ZIPF, 0
  for r = 1, #order do total = total + 1 / (r ^ s); cdf[r] = total end
  for r = 1, #order do cdf[r] = cdf[r] / total end
  math.randomseed(1000 + (tid or 0))
end
local function draw()
  local u, lo, hi = math.random(), 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return order[lo]
end
function request()
  return wrk.format("GET", "/v1/users/" .. draw() .. "/recommendations?k=10")
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

metric() { curl -sf "$URL/metrics" | awk -v n="$1" '$1 == n {print $2}'; }

run() {
  local name=$1
  shift
  hr_start_server "$@"
  curl -sf "$URL/v1/users/1/recommendations?k=10" > /dev/null
  echo "-- $name (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 5s -s "$WORK/zipf.lua" "$URL" \
    | grep '^RESULT' | sed "s/^RESULT/$name/"
  if [[ "$*" == *--cache* ]]; then
    local hits misses
    hits=$(metric 'hybridrec_cache_lookups_total{result="hit"}')
    misses=$(metric 'hybridrec_cache_lookups_total{result="miss"}')
    echo "   cache hits=$hits misses=$misses hit_ratio=$(awk -v h="$hits" -v m="$misses" 'BEGIN {printf "%.3f", h / (h + m)}')" \
         "errors=$(metric hybridrec_cache_errors_total) redis_keys=$(redis-cli -u "$REDIS_URL" dbsize)"
  fi
  hr_cleanup_server
}
echo "== model $MODEL; Zipf exponent $ZIPF over the model's users; wrk: $CONNECTIONS connections, ${DURATION}s per run"
run no-cache
run redis-cache --cache "$REDIS_URL" --cache-ttl "$TTL"
