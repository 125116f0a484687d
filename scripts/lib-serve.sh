# Shared helpers of the HTTP scripts (bench-http.sh, soak.sh); source it, do not run it.
# Expects BIN, MODEL and DATA set by the caller.

# Trains $MODEL from $DATA (or the shared ML-100K mirror) when it has no manifest yet.
hr_ensure_model() {
  if [[ ! -f "$MODEL/manifest.json" ]]; then
    if [[ ! -f "$DATA/u.data" && -d ../shared/data/ml-100k ]]; then DATA=../shared/data/ml-100k; fi
    echo "== training $MODEL from $DATA"
    "$BIN" train --quiet --data "$DATA" --out "$MODEL"
  fi
}

# Makes WORK (a temp dir named after $1) and an EXIT trap that stops the server and removes it.
hr_make_workdir() {
  WORK=$(mktemp -d "/tmp/hybridrec-$1.XXXXXX")
  SERVER_PID=
  trap hr_cleanup EXIT
}
hr_cleanup() {
  if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}

# Writes $WORK/ids.lua: the model's known user and item ids as Lua tables `users`, `items`.
hr_write_ids_lua() {
  python3 - "$MODEL" "$WORK/ids.lua" <<'PY'
import json, sys
model, out = sys.argv[1], sys.argv[2]
users = json.load(open(f"{model}/users.json"))
items = json.load(open(f"{model}/items.json"))
if isinstance(items, dict):
    items = items.get("ids", [])
items = [i["id"] if isinstance(i, dict) else i for i in items]
q = lambda xs: ",".join(json.dumps(str(x)) for x in xs)
open(out, "w").write(f"users = {{{q(users)}}}\nitems = {{{q(items)}}}\n")
PY
}

# Starts `hybridrec serve` on a free loopback port with a fresh db in $WORK (extra flags in
# "$@"), waits until it listens and sets SERVER_PID and URL (no trailing slash).
hr_start_server() {
  "$BIN" serve --model "$MODEL" --host 127.0.0.1 --port 0 --db "$WORK/events.sqlite" "$@" \
    > "$WORK/server.out" 2> "$WORK/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    grep -q "listening on" "$WORK/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
    sleep 0.1
  done
  URL=$(grep -o 'http://[^ ]*' "$WORK/server.out" | head -1)
  URL=${URL%/}
}

hr_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
