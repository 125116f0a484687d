#!/usr/bin/env bash
# The load-balanced deployment under load (scripts/deploy-local.sh: PostgreSQL, Redis, two
# replicas, HAProxy), run by CTest as `deploy_local`:
#  1. a load of GET recommendations and POST events (each event for a new user) through HAProxy;
#     replica 1 is killed with SIGKILL, then started again: every acknowledged event is on both
#     replicas at the end (the restarted one caught up from PostgreSQL), and every failed request
#     falls within HAProxy's detection window after the kill (2 checks of --check-ms);
#  2. a rolling reload to a second model under the same load: no failed request, both replicas
#     serve the new version;
#  3. HTTPS terminated at HAProxy: curl with the self-signed certificate as its CA.
# Prints the failed requests of each phase. Needs ML-100K under $HYBRIDREC_DATA_MIRROR (skipped,
# exit code 77, without it) and the built CLI.
#   scripts/test-deploy.sh [--bin build/hybridrec] [--seconds 6]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/build/hybridrec"
SECONDS_PER_PHASE=6
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --seconds) SECONDS_PER_PHASE=$2; shift 2 ;;
    *) echo "usage: $0 [--bin BIN] [--seconds N]" >&2; exit 2 ;;
  esac
done
DATA="${HYBRIDREC_DATA_MIRROR:-$ROOT/../shared/data}/ml-100k"
if [[ ! -f "$DATA/u.data" ]]; then
  echo "test-deploy: no ML-100K at $DATA (set HYBRIDREC_DATA_MIRROR): skipped"
  exit 77
fi
for tool in haproxy redis-server openssl curl; do
  command -v "$tool" >/dev/null || { echo "test-deploy: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/hybridrec-deploy-test.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  bash "$ROOT/scripts/deploy-local.sh" stop "$WORK/deploy" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 1" INT TERM

"$BIN" train --quiet --data "$DATA" --encoder lsa --factors 8 --iterations 3 --seed 1 --out "$WORK/model-a" >/dev/null
"$BIN" train --quiet --data "$DATA" --encoder lsa --factors 8 --iterations 3 --seed 2 --out "$WORK/model-b" >/dev/null
bash "$ROOT/scripts/deploy-local.sh" start "$WORK/deploy" --model "$WORK/model-a" --bin "$BIN" --replicas 2 --check-ms 300
# shellcheck disable=SC1091
source "$WORK/deploy/deploy.env"

# HTTPS through HAProxy, verified against the generated certificate.
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_CERT" "$HTTPS_URL/v1/users/1/recommendations?k=3")
[[ "$code" == 200 ]] || { echo "test-deploy: HTTPS through HAProxy answered $code" >&2; exit 1; }
curl -s -o /dev/null "$HTTPS_URL/readyz" 2>/dev/null && { echo "test-deploy: HTTPS accepted without trusting the certificate" >&2; exit 1; }
echo "test-deploy: HTTPS at HAProxy ok (curl --cacert $CA_CERT)"

/usr/bin/python3 - "$WORK" "$SECONDS_PER_PHASE" "$ROOT/scripts/deploy-local.sh" <<'PY'
import http.client, json, subprocess, sys, threading, time, urllib.parse

work, seconds, deploy = sys.argv[1], float(sys.argv[2]), sys.argv[3]
env = {}
for line in open(f"{work}/deploy/deploy.env"):
    k, _, v = line.strip().partition("=")
    env[k] = v
lb = urllib.parse.urlparse(env["HTTP_URL"])
replicas = env["REPLICA_URLS"].strip("()").split()
check_ms = int(env["CHECK_MS"])

def load(phase, stop, acked, failures, counts, tid):
    conn = None
    i = 0
    while not stop.is_set():
        i += 1
        if conn is None:
            conn = http.client.HTTPConnection(lb.hostname, lb.port, timeout=10)
        post = i % 10 == 0
        user = f"deploy-{phase}-{tid}-{i}"
        try:
            if post:
                conn.request("POST", "/v1/events", json.dumps({"user": user, "item": "50"}),
                             {"Content-Type": "application/json"})
            else:
                conn.request("GET", f"/v1/users/{1 + i % 900}/recommendations?k=10")
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
            if not ok:
                conn.close(); conn = None
        except Exception as e:
            ok = False
            conn = None
        counts[0] += 1
        if ok and post:
            acked.append(user)
        if not ok:
            failures.append((time.monotonic(), "POST" if post else "GET"))

def run_phase(phase, action):
    stop = threading.Event()
    acked, failures, counts = [], [], [0]
    threads = [threading.Thread(target=load, args=(phase, stop, acked, failures, counts, t)) for t in range(4)]
    for t in threads: t.start()
    marks = action()
    stop.set()
    for t in threads: t.join()
    return acked, failures, counts[0], marks

def kill_and_restart():
    time.sleep(seconds / 3)
    t_kill = time.monotonic()
    subprocess.run(["bash", deploy, "kill-replica", f"{work}/deploy", "1"], check=True)
    time.sleep(seconds / 3)
    subprocess.run(["bash", deploy, "start-replica", f"{work}/deploy", "1"], check=True)
    time.sleep(seconds / 3)
    return {"kill": t_kill}

acked, failures, total, marks = run_phase("kill", kill_and_restart)
window = 2 * check_ms / 1000 + 1.0  # 2 failed checks, plus one interval and scheduling slack
late = [f for f in failures if f[0] - marks["kill"] > window or f[0] < marks["kill"]]
print(f"test-deploy: kill/restart phase: {total} requests, {len(failures)} failed "
      f"({sum(1 for f in failures if f[1] == 'POST')} POST), {len(acked)} events acknowledged; "
      f"failures outside the {window:.1f} s after the kill: {len(late)}")

def visible(url, user):
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", "/v1/users/" + urllib.parse.quote(user))
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status == 200 and json.loads(body).get("events_since_training", 0) >= 1

missing = {}
deadline = time.monotonic() + 15
for url in replicas:
    todo = list(acked)
    while todo and time.monotonic() < deadline:
        todo = [u for u in todo if not visible(url, u)]
        if todo: time.sleep(0.2)
    missing[url] = len(todo)
print(f"test-deploy: acknowledged events missing per replica: {missing}")

def rollout():
    time.sleep(seconds / 3)
    subprocess.run(["bash", deploy, "rollout", f"{work}/deploy", f"{work}/model-b"], check=True)
    time.sleep(seconds / 3)
    return {}

acked2, failures2, total2, _ = run_phase("rollout", rollout)
versions = []
for url in replicas:
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", "/readyz")
    versions.append(json.loads(c.getresponse().read())["model_version"])
want = json.load(open(f"{work}/model-b/manifest.json"))
print(f"test-deploy: rolling reload phase: {total2} requests, {len(failures2)} failed; replicas serve {versions}")

ok = (not late and all(v == 0 for v in missing.values()) and not failures2 and len(set(versions)) == 1
      and total > 100 and total2 > 100)
sys.exit(0 if ok else 1)
PY
echo "test-deploy: passed"
