#!/usr/bin/env bash
# Soak test of `hybridrec serve`: bounded mixed traffic on loopback against a trained
# ML-100K model, in consecutive slices so latency and memory can be followed over time.
# Mix per request: 62% GET recommendations of a random known user, 10% POST /v1/events,
# 0.1% POST /v1/items (a new item each time), 15% GET /v1/search, 7.5% GET similar items,
# 5% GET /v1/users/{id}. EVENT_SHARE (0.10) and ITEM_SHARE (0.001) change the write shares;
# EVENT_SHARE=0 ITEM_SHARE=0 gives a read-only soak (the state does not grow: a leak check).
# Prints one line per slice (requests/s, p50/p99, non-2xx and socket errors, server RSS) and a
# summary (total requests and errors, RSS at start and end, items and events added), then a leak
# check: the RSS of a fresh server replaying the same database after one slice of reads
# (TRIM_CHECK=1 also prints both servers' heap totals, mallinfo2 through gdb, and asks the soaked
# server to malloc_trim(0) and prints its RSS:
# how much of the difference is free memory the allocator kept).
#
# Usage: scripts/soak.sh [--bin build/hybridrec] [--model models/ml-100k] [--duration 600]
#                        [--slice 30] [--connections 128] [--threads 2]
# Exits non-zero when any request failed or the server died.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/hybridrec}
MODEL=${MODEL:-models/ml-100k}
DATA=${DATA:-data/ml-100k}
DURATION=${DURATION:-600}
SLICE=${SLICE:-30}
CONNECTIONS=${CONNECTIONS:-128}
WRK_THREADS=${WRK_THREADS:-2}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --slice) SLICE=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) WRK_THREADS=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "error: wrk not found (Debian package wrk)" >&2; exit 1; }
[[ -x "$BIN" ]] || { echo "error: $BIN not built (make build)" >&2; exit 1; }
source scripts/lib-serve.sh
hr_ensure_model
hr_make_workdir soak
hr_write_ids_lua

cat > "$WORK/soak.lua" <<EOF
dofile("$WORK/ids.lua")
local words = {"star", "war", "love", "story", "space", "robot", "comedy", "crime", "night", "king",
               "animated children adventure", "horror house", "romantic comedy", "western", "spy"}
local modes = {"content", "collab", "hybrid"}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
slice = os.getenv("SLICE_NO") or "0"
event_share = tonumber(os.getenv("EVENT_SHARE") or "0.10")
item_share = tonumber(os.getenv("ITEM_SHARE") or "0.001")
function init(args)
  math.randomseed(7000 + (tid or 0) * 131 + tonumber(slice))
  n = 0
end
local json_headers = {["Content-Type"] = "application/json"}
function request()
  local r = math.random()
  n = n + 1
  if r < 0.62 then
    return wrk.format("GET", "/v1/users/" .. users[math.random(#users)] .. "/recommendations?k=10")
  elseif r < 0.72 and (r - 0.62) < event_share then
    local body = string.format('{"user": "%s", "item": "%s", "strength": %d}',
                               users[math.random(#users)], items[math.random(#items)], math.random(5))
    return wrk.format("POST", "/v1/events", json_headers, body)
  elseif r >= 0.72 and r < 0.72 + item_share then
    local id = string.format("soak-%s-%d-%d", slice, tid or 0, n)
    local body = string.format('{"id": "%s", "title": "Soak film %s about %s", "genres": ["Drama"], "tags": ["%s"]}',
                               id, id, words[math.random(#words)], words[math.random(#words)])
    return wrk.format("POST", "/v1/items", json_headers, body)
  elseif r < 0.875 and r >= 0.72 then
    return wrk.format("GET", "/v1/search?q=" .. words[math.random(#words)]:gsub(" ", "+") .. "&k=10")
  elseif r < 0.95 then
    return wrk.format("GET", "/v1/items/" .. items[math.random(#items)] .. "/similar?k=10&mode=" .. modes[math.random(3)])
  end
  return wrk.format("GET", "/v1/users/" .. users[math.random(#users)])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
EOF


hr_start_server
curl -sf "$URL/v1/users/1/recommendations?k=10" > /dev/null || { echo "error: warm-up request failed" >&2; exit 1; }
RSS0=$(hr_rss_kb "$SERVER_PID")
echo "== soak $URL: ${DURATION}s in ${SLICE}s slices, $CONNECTIONS connections; rss_start_kb=$RSS0; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s %9s %8s %8s %8s %8s %7s %7s %10s\n' t_s requests rps p50_ms p99_ms max_ms non2xx sockerr rss_kb

total=0; errors=0; elapsed=0; slice_no=0
while (( elapsed < DURATION )); do
  d=$(( DURATION - elapsed < SLICE ? DURATION - elapsed : SLICE ))
  line=$(SLICE_NO=$slice_no wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${d}s" --timeout 5s -s "$WORK/soak.lua" "$URL" \
    | grep '^RESULT' || true)
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "error: the server died; its stderr:" >&2; tail -20 "$WORK/server.err" >&2; exit 1; }
  elapsed=$(( elapsed + d )); slice_no=$(( slice_no + 1 ))
  get() { echo "$line" | sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
  reqs=$(get requests); non2xx=$(get non2xx); sock=$(get socket_errors)
  total=$(( total + ${reqs:-0} )); errors=$(( errors + ${non2xx:-0} + ${sock:-0} ))
  printf '%6d %9s %8s %8s %8s %8s %7s %7s %10s\n' "$elapsed" "${reqs:-?}" "$(get rps)" "$(get p50_ms)" \
    "$(get p99_ms)" "$(get max_ms)" "${non2xx:-?}" "${sock:-?}" "$(hr_rss_kb "$SERVER_PID")"
done
model=$(curl -sf "$URL/v1/model")
echo "== total requests=$total errors=$errors rss_start_kb=$RSS0 rss_end_kb=$(hr_rss_kb "$SERVER_PID")" \
     "items_added=$(echo "$model" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items_added"])')" \
     "events_stored=$(echo "$model" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events_stored"])')" \
     "load: $(cut -d' ' -f1-3 /proc/loadavg)"
(( errors == 0 )) || { echo "error: $errors failed requests" >&2; exit 1; }

# Leak check: the state (events, added items) legitimately grows during a mixed soak. A fresh
# server that replays the same database and gets one slice of the same traffic without writes
# holds that state and warm threads but nothing accumulated over time; the soaked server should
# not be much bigger.
RSS_END=$(hr_rss_kb "$SERVER_PID")
# glibc's heap totals over all arenas (mallinfo2, through gdb): bytes in use in the heap, free in
# the heap, and in mmapped blocks; in use vs free tells retained data from fragmentation.
heap_stats() {
  gdb -p "$1" -batch -ex 'p mallinfo2()' 2>/dev/null | python3 -c '
import re, sys
t = sys.stdin.read()
f = {k: int(v) for k, v in re.findall(r"(\w+) = (\d+)", t)}
if "uordblks" in f:
    print("heap_in_use_kb=%d heap_free_kb=%d mmapped_kb=%d" % (f["uordblks"] // 1024, f["fordblks"] // 1024, f["hblkhd"] // 1024))
else:
    print("(mallinfo2 unavailable)")' || true
}
if [[ -n "${TRIM_CHECK:-}" ]]; then
  echo "== soaked server: $(heap_stats "$SERVER_PID")"
  gdb -p "$SERVER_PID" -batch -ex 'call (int)malloc_trim(0)' >/dev/null 2>&1 || true
  echo "== after malloc_trim(0): rss_kb=$(hr_rss_kb "$SERVER_PID")"
fi
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
hr_start_server
d=$(( SLICE < 60 ? SLICE : 60 ))
line=$(SLICE_NO=999 EVENT_SHARE=0 ITEM_SHARE=0 wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${d}s" --timeout 5s \
  -s "$WORK/soak.lua" "$URL" | grep '^RESULT' || true)
RSS_FRESH=$(hr_rss_kb "$SERVER_PID")
[[ -n "${TRIM_CHECK:-}" ]] && echo "== fresh server: $(heap_stats "$SERVER_PID")"
echo "== leak check: soaked server rss_kb=$RSS_END; fresh server replaying the same database after ${d}s of" \
     "reads: rss_kb=$RSS_FRESH (difference $(( (RSS_END - RSS_FRESH) / 1024 )) MiB); $line"
