#!/usr/bin/env bash
# HTTP benchmark of `hybridrec serve`: wrk on loopback against a trained ML-100K model.
#  1. GET /v1/users/{random known user}/recommendations?k=10
#  2. the same with 10% POST /v1/events (random known user, random item; persisted, synchronous=FULL)
# Prints requests/s, p50/p99 latency, non-2xx and socket errors, and the server's RSS before and
# after, plus the load average (other work on the machine skews the figures).
#
# Usage: scripts/bench-http.sh [--bin build/hybridrec] [--model models/ml-100k] [--data data/ml-100k]
#                              [--duration 30] [--connections 64] [--threads 2] [--server-threads 0]
#                              [--compute-slots -1]   (serve's --compute-slots; 0 = no compute turns)
# The model is trained first when the directory has no manifest.json.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/hybridrec}
MODEL=${MODEL:-models/ml-100k}
DATA=${DATA:-data/ml-100k}
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-0}
COMPUTE_SLOTS=${COMPUTE_SLOTS:--1}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) WRK_THREADS=$2; shift 2 ;;
    --server-threads) SERVER_THREADS=$2; shift 2 ;;
    --compute-slots) COMPUTE_SLOTS=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "error: wrk not found (Debian package wrk)" >&2; exit 1; }
[[ -x "$BIN" ]] || { echo "error: $BIN not built (make build)" >&2; exit 1; }
source scripts/lib-serve.sh
hr_ensure_model
hr_make_workdir bench-http
hr_write_ids_lua

cat > "$WORK/bench.lua" <<EOF
dofile("$WORK/ids.lua")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
post_share = tonumber(os.getenv("POST_SHARE") or "0")
function init(args)
  math.randomseed(1000 + (tid or 0))
end
function request()
  if post_share > 0 and math.random() < post_share then
    local body = string.format('{"user": "%s", "item": "%s", "strength": 1}',
                               users[math.random(#users)], items[math.random(#items)])
    return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/v1/users/" .. users[math.random(#users)] .. "/recommendations?k=10")
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
EOF

# utime + stime of the server in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

hr_start_server --threads "$SERVER_THREADS" --compute-slots "$COMPUTE_SLOTS"
echo "== server $URL (model $MODEL, pid $SERVER_PID); wrk: $CONNECTIONS connections, $WRK_THREADS threads, ${DURATION}s per run"
curl -sf "$URL/v1/users/1/recommendations?k=10" > /dev/null || { echo "error: warm-up request failed" >&2; exit 1; }
echo "rss_before_kb=$(hr_rss_kb "$SERVER_PID")"

run() {
  local name=$1 share=$2
  echo "-- $name (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  local t0 line reqs
  t0=$(cpu_ticks "$SERVER_PID")
  line=$(POST_SHARE=$share wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 5s -s "$WORK/bench.lua" "$URL" \
    | grep '^RESULT' | sed "s/^RESULT/$name/")
  echo "$line"
  reqs=$(echo "$line" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
  # Server CPU per request: independent of how busy the rest of the machine is.
  echo "   server_cpu_us_per_request=$(( ( $(cpu_ticks "$SERVER_PID") - t0 ) * 1000000 / $(getconf CLK_TCK) / (reqs > 0 ? reqs : 1) ))" \
       "rss_kb=$(hr_rss_kb "$SERVER_PID") load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
run get-recommendations 0
run mixed-10pct-events 0.1
echo "events stored during the mixed run: $(curl -sf "$URL/v1/model" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events_stored"])')"
echo "rss_after_kb=$(hr_rss_kb "$SERVER_PID")"
