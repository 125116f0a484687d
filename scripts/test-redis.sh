#!/usr/bin/env bash
# A throwaway Redis server for the tests, benchmarks and the local deployment.
#   scripts/test-redis.sh start DIR   redis-server on a free loopback port, no persistence, files in
#                                     DIR; writes its URL to DIR/url and its process id to DIR/redis.pid
#   scripts/test-redis.sh stop DIR    stop it (also when it was paused with SIGSTOP) and delete DIR
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
if ! command -v redis-server >/dev/null; then
  echo "test-redis: redis-server is not installed: run scripts/install-deps.sh" >&2
  exit 1
fi

case "$cmd" in
  start)
    if [[ -f "$dir/url" && -f "$dir/redis.pid" ]] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then
      exit 0  # already running
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    for attempt in 1 2 3 4 5; do
      port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
      redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --maxclients 2000 \
        --maxmemory 256mb --maxmemory-policy allkeys-lru >/dev/null || continue
      for _ in $(seq 1 100); do
        if [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; then
          echo "redis://127.0.0.1:$port" >"$dir/url"
          echo "test-redis: Redis listening on 127.0.0.1:$port (files in $dir)"
          exit 0
        fi
        sleep 0.05
      done
      [[ -f "$dir/redis.pid" ]] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    done
    echo "test-redis: Redis did not start; its log:" >&2
    cat "$dir/redis.log" >&2 || true
    exit 1
    ;;
  stop)
    if [[ -f "$dir/redis.pid" ]]; then
      pid="$(cat "$dir/redis.pid")"
      kill -CONT "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
