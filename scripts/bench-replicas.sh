#!/usr/bin/env bash
# Two `serve` replicas on one PostgreSQL database: how long after an acknowledged POST on
# replica A the event is visible on replica B (B's GET /v1/users/{id} counts it), over N events
# (default 1000), each for a new user. Also prints the POST latency on A.
# Usage: scripts/bench-replicas.sh [--events N] [--model DIR]
# Starts its own PostgreSQL (scripts/test-postgres.sh) in a temporary directory; stops
# everything at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/hybridrec}
MODEL=${MODEL:-models/ml-100k}
DATA=${DATA:-data/ml-100k}
N=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) N="$2"; shift 2 ;;
    --model) MODEL="$2"; shift 2 ;;
    *) echo "usage: $0 [--events N] [--model DIR]" >&2; exit 2 ;;
  esac
done
source scripts/lib-serve.sh
hr_ensure_model
WORK=$(mktemp -d /tmp/hybridrec-replicas.XXXXXX)
chmod 755 "$WORK"  # the PostgreSQL server runs as its own user
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  bash scripts/test-postgres.sh stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
bash scripts/test-postgres.sh start "$WORK/pg" >/dev/null
DB=$(cat "$WORK/pg/url")
start_replica() {  # $1 = name; sets the variable URL_<name>
  "$BIN" serve --model "$MODEL" --host 127.0.0.1 --port 0 --db "$DB" >"$WORK/$1.out" 2>"$WORK/$1.err" &
  PIDS+=($!)
  for _ in $(seq 1 600); do
    grep -q "listening on" "$WORK/$1.out" 2>/dev/null && break
    sleep 0.1
  done
  local url
  url=$(grep -o 'http://[^ ]*' "$WORK/$1.out" | head -1)
  printf -v "URL_$1" '%s' "${url%/}"
}
start_replica A
start_replica B
ITEM=$(/usr/bin/python3 -c 'import json,sys; i=json.load(open(sys.argv[1]+"/items.json")); i=i.get("ids",i) if isinstance(i,dict) else i; x=i[0]; print(x["id"] if isinstance(x,dict) else x)' "$MODEL")
echo "== cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); model $MODEL; $N events"
/usr/bin/python3 - "$URL_A" "$URL_B" "$N" "$ITEM" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
a, b, n, item = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def conn(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)
ca, cb = conn(a), conn(b)
post_ms, visible_ms, polls = [], [], 0
for i in range(n):
    user = f"replica-bench-{time.time_ns()}-{i}"
    body = json.dumps({"user": user, "item": item})
    t0 = time.perf_counter()
    ca.request("POST", "/v1/events", body, {"Content-Type": "application/json"})
    r = ca.getresponse(); r.read()
    t1 = time.perf_counter()
    assert r.status == 200, r.status
    while True:
        cb.request("GET", "/v1/users/" + urllib.parse.quote(user))
        rb = cb.getresponse(); data = rb.read()
        polls += 1
        if rb.status == 200 and json.loads(data).get("events_since_training", 0) >= 1:
            break
        if time.perf_counter() - t1 > 5:
            sys.exit(f"event {i} not visible on B after 5 s")
    t2 = time.perf_counter()
    post_ms.append((t1 - t0) * 1e3)
    visible_ms.append((t2 - t1) * 1e3)
def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))]
print(f"POST on A (acknowledged, committed): p50 {q(post_ms, .5):.2f} ms, p99 {q(post_ms, .99):.2f} ms")
print(f"visible on B after the acknowledgement: p50 {q(visible_ms, .5):.2f} ms, p99 {q(visible_ms, .99):.2f} ms, "
      f"max {max(visible_ms):.2f} ms ({polls} GETs on B)")
PY
grep -h "following" "$WORK/A.err" "$WORK/B.err" | head -2
