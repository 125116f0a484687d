#!/usr/bin/env bash
# End-to-end test of the web page in headless Chromium (Debian `chromium`, driven by
# playwright-core): builds the page if needed, trains a small model on MovieLens 100K unless one
# is given (LSA encoder, 5 ALS sweeps: a few seconds), makes a quick evaluation report for the
# charts unless one is given, starts `hybridrec serve` on a free loopback port, clicks through
# every flow of the page and stops the server. Screenshots and the server log go to $E2E_OUT
# (default build/e2e). Exits non-zero, naming the flow, on any failure.
# Usage: scripts/web-e2e.sh [--server-bin PATH] [--model DIR] [--report DIR] [--docs]
#   --docs  also refresh docs/screenshot.png and docs/screenshot-charts.png
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=build/hybridrec
MODEL=""
REPORT=""
DOCS=()
while (( $# )); do
  case "$1" in
    --server-bin) BIN=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    --docs) DOCS=(--docs "$ROOT/docs"); shift ;;
    -h|--help) sed -n '2,9p' "$0" | cut -c3-; exit 0 ;;
    *) echo "web-e2e: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
E2E_OUT=${E2E_OUT:-build/e2e}
mkdir -p "$E2E_OUT"
E2E_OUT=$(cd "$E2E_OUT" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [[ ! -x "$BIN" ]]; then
  echo "web-e2e: server binary '$BIN' not found; build it first (make build) or pass --server-bin" >&2
  exit 1
fi
if [[ ! -x "$CHROMIUM" ]]; then
  echo "web-e2e: $CHROMIUM not found; install it with: sudo apt-get install chromium (or set CHROMIUM)" >&2
  exit 1
fi
start=$(date +%s)
bash scripts/web-build.sh

if [[ -z "$MODEL" || -z "$REPORT" ]]; then
  DATA_DIR=${DATA_DIR:-data}
  if [[ -z "${HYBRIDREC_DATA_MIRROR:-}" && -d ../shared/data/ml-100k ]]; then
    export HYBRIDREC_DATA_MIRROR="$(cd ../shared/data && pwd)"
  fi
  if [[ ! -f "$DATA_DIR/ml-100k/u.data" ]]; then
    "$BIN" fetch-data ml-100k --dest "$DATA_DIR" >/dev/null
  fi
  if [[ -z "$MODEL" ]]; then
    MODEL=$E2E_OUT/model
    echo "web-e2e: training a small model -> $MODEL"
    "$BIN" train --data "$DATA_DIR/ml-100k" --out "$MODEL" --encoder lsa --iterations 5 --quiet
  fi
  if [[ -z "$REPORT" ]]; then
    REPORT=$E2E_OUT/report
    echo "web-e2e: quick evaluation report -> $REPORT"
    "$BIN" evaluate --data "$DATA_DIR/ml-100k" --protocol random --seed 0 --encoder lsa --iterations 5 \
      --quiet --report "$REPORT" >/dev/null
  fi
fi

status=0
node web/e2e/e2e.mjs --server-bin "$BIN" --model "$MODEL" --report "$REPORT" --web-root "$ROOT/web/dist" \
  --out "$E2E_OUT" --chromium "$CHROMIUM" "${DOCS[@]}" || status=$?
echo "web-e2e: $( ((status)) && echo FAILED || echo passed ) in $(( $(date +%s) - start )) s (screenshots: $E2E_OUT)"
exit "$status"
