#!/usr/bin/env bash
# Full-scale simulation of the online-experiment loop (`hybridrec simulate-experiment`) on
# MovieLens 100K: a tuned hybrid trained on 80% of each user's ratings; simulated users click the
# shown items they rated >= 4 in their held-out 20%. Prints the A/B figures (popularity vs the
# tuned hybrid), the latency added by the exposure log (SQLite file) and the count of 100 A/A
# runs significant at 5%, and writes them to OUT/simulation.json.
# Usage: scripts/simulate-experiment.sh [--bin PATH] [--data DIR] [--out DIR] [extra simulate-experiment flags]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/hybridrec
DATA=${HYBRIDREC_DATA_MIRROR:-../shared/data}/ml-100k
OUT=build/simulation
EXTRA=()
while (( $# )); do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | cut -c3-; exit 0 ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
[[ -x "$BIN" ]] || { echo "simulate-experiment: $BIN not found; build it first (make build) or pass --bin" >&2; exit 1; }
[[ -d "$DATA" ]] || { echo "simulate-experiment: $DATA not found; run: $BIN fetch-data --out $(dirname "$DATA")" >&2; exit 1; }
mkdir -p "$OUT"
"$BIN" simulate-experiment --data "$DATA" --out "$OUT" --tune --aa-runs 100 --file-store --latency-runs 5 \
  --json "$OUT/simulation.json" "${EXTRA[@]}"
echo "figures: $OUT/simulation.json"
