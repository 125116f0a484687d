#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks.
#   scripts/test-postgres.sh start DIR   initdb in DIR/data, listen on a free loopback port (and a
#                                        socket in DIR), write the connection URL to DIR/url
#   scripts/test-postgres.sh stop DIR    stop it and delete DIR
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user
# (created by Debian's package) and DIR is handed to it. Trust authentication on loopback only.
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [[ -z "$bin" || ! -x "$bin/pg_ctl" ]]; then
  echo "test-postgres: no PostgreSQL server binaries under /usr/lib/postgresql: run scripts/install-deps.sh" >&2
  exit 1
fi
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if [[ -f "$dir/url" ]] && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      exit 0  # already running
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
      chown postgres: "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        echo "test-postgres: the postgres user cannot reach $dir: make its parent folders traversable (chmod o+x)" >&2
        exit 1
      fi
    fi
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U hybridrec -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    for attempt in 1 2 3 4 5; do
      port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
      if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null; then
        echo "postgresql://hybridrec@127.0.0.1:$port/postgres" >"$dir/url"
        echo "test-postgres: PostgreSQL listening on 127.0.0.1:$port (data in $dir/data)"
        exit 0
      fi
    done
    echo "test-postgres: PostgreSQL did not start; its log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
