#!/usr/bin/env bash
# The main job: fetch MovieLens 100K, train a model, evaluate it, print the comparison table.
# Data comes from a local mirror when one is set (HYBRIDREC_DATA_MIRROR) or found next to the
# checkout (../shared/data), else from GroupLens.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/hybridrec
DATA_DIR=${DATA_DIR:-data}
MODEL_DIR=${MODEL_DIR:-models/ml-100k}
REPORT_DIR=${REPORT_DIR:-reports/ml-100k}

if [[ -z "${HYBRIDREC_DATA_MIRROR:-}" && -d ../shared/data/ml-100k ]]; then
  export HYBRIDREC_DATA_MIRROR="$(cd ../shared/data && pwd)"
fi

echo "== 1/3 fetch MovieLens 100K"
"$BIN" fetch-data ml-100k --dest "$DATA_DIR"

echo "== 2/3 train -> $MODEL_DIR"
"$BIN" train --data "$DATA_DIR/ml-100k" --out "$MODEL_DIR"

echo "== 3/3 evaluate (per-user random 80/20 split, seed 0)"
"$BIN" evaluate --data "$DATA_DIR/ml-100k" --protocol random --seed 0 --k 10,20

echo
echo "Model: $MODEL_DIR   Try: $BIN recommend --model $MODEL_DIR --user 1 -k 10"
