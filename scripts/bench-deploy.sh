#!/usr/bin/env bash
# Benchmarks of the load-balanced deployment (scripts/deploy-local.sh: PostgreSQL, Redis, two
# replicas, HAProxy), all on this machine:
#  1. wrk through HAProxy: GET /v1/users/{random user}/recommendations?k=10, then the same with
#     10% POST /v1/events; requests/s, p50/p99, errors;
#  2. cross-replica visibility: POST an event on replica 1, poll replica 2 until it counts it
#     (p50/p99 over --events events);
#  3. slow clients: a normal request's latency (p50/p99 of --probes sequential GETs) while
#     --slow connections trickle one header line per second and never finish, through HAProxy
#     and against one replica directly, each compared with the same probe without them.
#
# Usage: scripts/bench-deploy.sh [--bin build/hybridrec] [--model models/ml-100k] [--data data/ml-100k]
#                                [--duration 15] [--connections 64] [--threads 2] [--events 300]
#                                [--slow 1000] [--probes 200] [--skip-wrk]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/hybridrec}
MODEL=${MODEL:-models/ml-100k}
DATA=${DATA:-data/ml-100k}
DURATION=15 CONNECTIONS=64 WRK_THREADS=2 EVENTS=300 SLOW=1000 PROBES=200 SKIP_WRK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) WRK_THREADS=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --slow) SLOW=$2; shift 2 ;;
    --probes) PROBES=$2; shift 2 ;;
    --skip-wrk) SKIP_WRK=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "error: wrk not found (Debian package wrk)" >&2; exit 1; }
source scripts/lib-serve.sh
hr_ensure_model
WORK=$(mktemp -d /tmp/hybridrec-bench-deploy.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  bash scripts/deploy-local.sh stop "$WORK/deploy" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n 8192 2>/dev/null || true
bash scripts/deploy-local.sh start "$WORK/deploy" --model "$MODEL" --bin "$BIN" --replicas 2
# shellcheck disable=SC1091
source "$WORK/deploy/deploy.env"
hr_write_ids_lua

if [[ $SKIP_WRK == 0 ]]; then
  cat > "$WORK/bench.lua" <<LUA
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
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
LUA
  echo "== through HAProxy $HTTP_URL: 2 replicas, PostgreSQL, Redis cache; wrk $CONNECTIONS connections, ${DURATION}s"
  for run in "get-recommendations 0" "mixed-10pct-events 0.1"; do
    set -- $run
    echo "-- $1 (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    POST_SHARE=$2 wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 5s -s "$WORK/bench.lua" "$HTTP_URL" \
      | grep '^RESULT' | sed "s/^RESULT/$1/"
  done
fi

ITEM=$(/usr/bin/python3 -c 'import json,sys; i=json.load(open(sys.argv[1]+"/items.json")); i=i.get("ids",i) if isinstance(i,dict) else i; x=i[0]; print(x["id"] if isinstance(x,dict) else x)' "$MODEL")
/usr/bin/python3 - "$EVENTS" "$ITEM" "$SLOW" "$PROBES" "$HTTP_URL" ${REPLICA_URLS[@]} <<'PY'
import http.client, json, selectors, socket, sys, threading, time, urllib.parse
n, item, slow, probes, lb = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
a, b = sys.argv[6], sys.argv[7]
def conn(url, timeout=30):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))]

# 2. Cross-replica visibility.
ca, cb = conn(a), conn(b)
vis = []
for i in range(n):
    user = f"vis-{time.time_ns()}-{i}"
    ca.request("POST", "/v1/events", json.dumps({"user": user, "item": item}), {"Content-Type": "application/json"})
    r = ca.getresponse(); r.read(); assert r.status == 200, r.status
    t1 = time.perf_counter()
    while True:
        cb.request("GET", "/v1/users/" + user)
        rb = cb.getresponse(); d = rb.read()
        if rb.status == 200 and json.loads(d).get("events_since_training", 0) >= 1: break
        if time.perf_counter() - t1 > 5: sys.exit(f"event {i} not visible on replica 2 after 5 s")
    vis.append((time.perf_counter() - t1) * 1e3)
print(f"cross-replica visibility over {n} events: p50 {q(vis, .5):.2f} ms, p99 {q(vis, .99):.2f} ms, max {max(vis):.2f} ms")

# 3. Slow clients.
def probe(url):
    lat, errors = [], 0
    for i in range(probes):
        t0 = time.perf_counter()
        try:
            c = conn(url, timeout=30)  # a new connection per request, as a new client would
            c.request("GET", f"/v1/users/{1 + i % 900}/recommendations?k=10")
            r = c.getresponse(); r.read(); c.close()
            if r.status != 200: errors += 1
        except Exception:
            errors += 1
        lat.append((time.perf_counter() - t0) * 1e3)
        time.sleep(0.02)
    return lat, errors

def trickle(url, stop, opened):
    u = urllib.parse.urlparse(url)
    socks = []
    for i in range(slow):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((u.hostname, u.port))
        socks.append(s)
    time.sleep(0.5)
    for s in socks:
        try: s.send(b"GET /v1/users/1/recommendations HTTP/1.1\r\nHost: x\r\n")
        except OSError: pass
    opened[0] = len(socks)
    line = 0
    while not stop.is_set():
        line += 1
        for j, s in enumerate(socks):
            if s is None: continue
            try: s.send(f"X-Slow-{line}: {'a' * 10}\r\n".encode())
            except OSError:
                s.close(); socks[j] = None  # cut off by the server: reconnect, as an attacker would
                try:
                    ns = socket.socket(); ns.setblocking(False); ns.connect_ex((u.hostname, u.port)); socks[j] = ns
                except OSError: pass
        stop.wait(1.0)
    for s in socks:
        if s is not None: s.close()

for name, url in (("through HAProxy", lb), ("serve alone (replica 1)", a)):
    base, base_err = probe(url)
    stop, opened = threading.Event(), [0]
    t = threading.Thread(target=trickle, args=(url, stop, opened)); t.start()
    time.sleep(2.0)
    loaded, loaded_err = probe(url)
    stop.set(); t.join()
    print(f"slow clients, {name}: {opened[0]} trickling connections; normal GET p50 {q(base, .5):.2f} -> "
          f"{q(loaded, .5):.2f} ms, p99 {q(base, .99):.2f} -> {q(loaded, .99):.2f} ms, max {max(loaded):.0f} ms, "
          f"errors {base_err} -> {loaded_err}")
    time.sleep(1.0)
PY
