#!/usr/bin/env bash
# A load-balanced deployment on this machine with one command: PostgreSQL (the shared event
# store), Redis (the shared response cache), N `hybridrec serve` replicas and HAProxy in front
# (health checks on /readyz, HTTP and HTTPS with a self-signed certificate), all on free loopback
# ports, everything under DIR.
#
#   scripts/deploy-local.sh start DIR --model MODEL_DIR [--replicas 2] [--bin build/hybridrec]
#                                     [--auth TOKENS_FILE] [--check-ms 500]
#   scripts/deploy-local.sh stop DIR                 stop everything and delete DIR
#   scripts/deploy-local.sh kill-replica DIR I       SIGKILL replica I (1-based)
#   scripts/deploy-local.sh start-replica DIR I      start replica I again on its port
#   scripts/deploy-local.sh rollout DIR MODEL_DIR    serve MODEL_DIR: DIR/model (a symlink) is
#                                     switched to it, then each replica reloads (SIGHUP) in turn;
#                                     waits until each one serves the new model version
#
# After start, DIR/deploy.env holds (shell syntax) HTTP_URL and HTTPS_URL (HAProxy), REPLICA_URLS,
# DB_URL, REDIS_URL, CA_CERT (the certificate to trust for HTTPS) and the process ids. The
# replicas serve DIR/model, a symlink, so a rollout is one rename. HAProxy buffers whole
# requests before it passes them on (option http-buffer-request, timeout http-request 5s), so
# slow clients hold HAProxy's connections, not the replicas' worker threads. A request whose
# connection to a replica fails is sent to another; a GET that got no answer is retried, a
# POST is not (it may have been committed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"
dir="${2:-}"
usage() { sed -n '7,14p' "$0" >&2; exit 2; }
[[ -z "$cmd" || -z "$dir" ]] && usage

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_ready() {  # URL [seconds]
  local url=$1 limit=${2:-60}
  for _ in $(seq 1 $((limit * 10))); do
    curl -sf "$url/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

start_replica() {  # I (reads deploy.env)
  local i=$1
  # shellcheck disable=SC1091
  source "$dir/deploy.env"
  local port=${REPLICA_PORTS[$((i - 1))]}
  local auth=()
  [[ -n "${AUTH_FILE:-}" ]] && auth=(--auth "$AUTH_FILE")
  "$BIN" serve --model "$dir/model" --host 127.0.0.1 --port "$port" --db "$DB_URL" --cache "$REDIS_URL" \
    "${auth[@]}" >>"$dir/replica$i.out" 2>>"$dir/replica$i.err" &
  echo $! >"$dir/replica$i.pid"
  if ! wait_ready "http://127.0.0.1:$port" 60; then
    echo "deploy-local: replica $i did not become ready; its log:" >&2
    tail -20 "$dir/replica$i.err" >&2
    return 1
  fi
}

case "$cmd" in
  start)
    shift 2
    MODEL="" REPLICAS=2 BIN="$ROOT/build/hybridrec" AUTH_FILE="" CHECK_MS=500
    while [[ $# -gt 0 ]]; do
      case "$1" in
        --model) MODEL=$(realpath "$2"); shift 2 ;;
        --replicas) REPLICAS=$2; shift 2 ;;
        --bin) BIN=$(realpath "$2"); shift 2 ;;
        --auth) AUTH_FILE=$(realpath "$2"); shift 2 ;;
        --check-ms) CHECK_MS=$2; shift 2 ;;
        *) usage ;;
      esac
    done
    [[ -n "$MODEL" && -f "$MODEL/manifest.json" ]] || { echo "deploy-local: --model DIR (a trained model) is required" >&2; exit 2; }
    [[ -x "$BIN" ]] || { echo "deploy-local: $BIN not built (make build)" >&2; exit 1; }
    command -v haproxy >/dev/null || { echo "deploy-local: haproxy is not installed: run scripts/install-deps.sh" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    # Whatever fails from here on, nothing is left running.
    trap 'echo "deploy-local: start failed; stopping what was started" >&2; bash "$ROOT/scripts/deploy-local.sh" stop "$dir"' ERR
    chmod 755 "$dir"  # the PostgreSQL server runs as its own user
    bash "$ROOT/scripts/test-postgres.sh" start "$dir/pg" >/dev/null
    bash "$ROOT/scripts/test-redis.sh" start "$dir/redis" >/dev/null
    ln -sfn "$MODEL" "$dir/model"
    ports=()
    for _ in $(seq 1 "$REPLICAS"); do ports+=("$(free_port)"); done
    http_port=$(free_port)
    https_port=$(free_port)
    # A self-signed certificate for localhost / 127.0.0.1 (HAProxy wants key and certificate in one file).
    mkdir -p "$dir/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1
    cat "$dir/tls/cert.pem" "$dir/tls/key.pem" >"$dir/tls/haproxy.pem"
    chmod 600 "$dir/tls/key.pem" "$dir/tls/haproxy.pem"
    {
      echo "BIN=$(printf %q "$BIN")"
      echo "AUTH_FILE=$(printf %q "$AUTH_FILE")"
      echo "DB_URL=$(cat "$dir/pg/url")"
      echo "REDIS_URL=$(cat "$dir/redis/url")"
      echo "REPLICA_PORTS=(${ports[*]})"
      echo "REPLICA_URLS=($(for p in "${ports[@]}"; do printf 'http://127.0.0.1:%s ' "$p"; done))"
      echo "HTTP_URL=http://127.0.0.1:$http_port"
      echo "HTTPS_URL=https://localhost:$https_port"
      echo "CA_CERT=$dir/tls/cert.pem"
      echo "CHECK_MS=$CHECK_MS"
    } >"$dir/deploy.env"
    for i in $(seq 1 "$REPLICAS"); do start_replica "$i"; done
    # HAProxy: round robin over the replicas, a replica out after 2 failed checks of /readyz
    # (every CHECK_MS) and back after 2 good ones; a request whose connection is refused is
    # sent to another replica (redispatch).
    {
      cat <<EOF
global
  maxconn 4000
  pidfile $dir/haproxy.pid
  stats socket $dir/haproxy.sock mode 600 level admin
defaults
  mode http
  option http-buffer-request
  option redispatch
  retries 3
  retry-on conn-failure empty-response
  timeout connect 1s
  timeout http-request 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 5s
frontend hybridrec
  bind 127.0.0.1:$http_port
  bind 127.0.0.1:$https_port ssl crt $dir/tls/haproxy.pem
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  # A POST whose replica died before answering may have been committed: never sent twice.
  http-request disable-l7-retry if METH_POST
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter ${CHECK_MS}ms fastinter ${CHECK_MS}ms downinter ${CHECK_MS}ms fall 2 rise 2 maxconn 256
EOF
      i=1
      for p in "${ports[@]}"; do echo "  server r$i 127.0.0.1:$p check"; i=$((i + 1)); done
    } >"$dir/haproxy.cfg"
    haproxy -c -q -f "$dir/haproxy.cfg"
    haproxy -D -f "$dir/haproxy.cfg" 2>"$dir/haproxy.err" || { cat "$dir/haproxy.err" >&2; false; }
    wait_ready "http://127.0.0.1:$http_port" 30 || { echo "deploy-local: HAProxy does not answer" >&2; cat "$dir/haproxy.err" >&2; false; }
    echo "deploy-local: $REPLICAS replicas behind HAProxy: http://127.0.0.1:$http_port and https://localhost:$https_port" \
         "(certificate $dir/tls/cert.pem); PostgreSQL $(cat "$dir/pg/url"), Redis $(cat "$dir/redis/url")"
    ;;
  stop)
    if [[ -f "$dir/haproxy.pid" ]]; then kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true; fi
    for f in "$dir"/replica*.pid; do
      [[ -f "$f" ]] || continue
      pid=$(cat "$f")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    bash "$ROOT/scripts/test-redis.sh" stop "$dir/redis" >/dev/null 2>&1 || true
    bash "$ROOT/scripts/test-postgres.sh" stop "$dir/pg" >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  kill-replica)
    kill -9 "$(cat "$dir/replica${3:?replica number}.pid")"
    ;;
  start-replica)
    start_replica "${3:?replica number}"
    ;;
  rollout)
    new=$(realpath "${3:?model directory}")
    [[ -f "$new/manifest.json" ]] || { echo "deploy-local: $new has no manifest.json" >&2; exit 2; }
    # shellcheck disable=SC1091
    source "$dir/deploy.env"
    ln -sfn "$new" "$dir/model.next" && mv -T "$dir/model.next" "$dir/model"
    for i in $(seq 1 "${#REPLICA_PORTS[@]}"); do
      url=${REPLICA_URLS[$((i - 1))]}
      before=$(curl -sf "$url/readyz" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["model_version"])')
      kill -HUP "$(cat "$dir/replica$i.pid")"
      for _ in $(seq 1 600); do
        now=$(curl -sf "$url/readyz" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["model_version"])' 2>/dev/null || true)
        [[ -n "$now" && "$now" != "$before" ]] && break
        sleep 0.1
      done
      [[ "$now" != "$before" ]] || { echo "deploy-local: replica $i still serves $before; its log:" >&2; tail -5 "$dir/replica$i.err" >&2; exit 1; }
      echo "deploy-local: replica $i serves model $now"
    done
    ;;
  *)
    usage
    ;;
esac
