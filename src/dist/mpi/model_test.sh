#!/usr/bin/env bash
# The distributed job's outputs are usable: rank 0's model directory (with the content layer)
# answers `hybridrec recommend`, and --recommend-out writes one file per rank whose users are
# exactly the dataset's users, each with at most K unseen items.
#
#   model_test.sh BUILD_DIR
set -euo pipefail
BUILD="$1"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1
# OpenMPI's runtime keeps allocations until exit inside plugins LeakSanitizer cannot name, so in
# an ASan build leak detection is off for hybridrec-mpi (every memory access is still checked).
NOLEAK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$BUILD/hybridrec" synth --users 300 --items 100 --nnz 5000 --seed 1 --out "$TMP/data" > /dev/null
ASAN_OPTIONS="$NOLEAK" "$BUILD/hybridrec-mpi" shard --data "$TMP/data" --shards 3 --out "$TMP/shards" > /dev/null
ASAN_OPTIONS="$NOLEAK" timeout 60 mpiexec -n 2 --oversubscribe "$BUILD/hybridrec-mpi" train --shards "$TMP/shards" --out "$TMP/model" \
  --encoder lsa --recommend-out "$TMP/recs" --k 5 --iterations 3 --threads 1 --stats "$TMP/stats.json" -q
"$BUILD/hybridrec" recommend --model "$TMP/model" --user 7 -k 3 > "$TMP/rec.txt" || fail "recommend failed on the model"
grep -q "content" "$TMP/rec.txt" || fail "no content signal in the recommendation"
/usr/bin/python3 - "$TMP" <<'PY'
import csv, glob, json, sys
tmp = sys.argv[1]
seen = {}
for row in csv.DictReader(open(f"{tmp}/data/interactions.csv")):
    seen.setdefault(row["user"], set()).add(row["item"])
files = sorted(glob.glob(f"{tmp}/recs/recommendations-*.csv"))
assert len(files) == 2, files
recs = {}
for f in files:
    for row in csv.DictReader(open(f)):
        recs.setdefault(row["user"], []).append(row["item"])
assert set(recs) <= set(seen), "unknown users in the output"
items_total = sum(1 for _ in open(f"{tmp}/data/items.csv")) - 1
want = {u for u, s in seen.items() if len(s) < items_total}  # users with an unseen item
assert want <= set(recs), f"{len(want - set(recs))} users without recommendations"
for u, items in recs.items():
    assert len(items) == min(5, items_total - len(seen[u])) and len(set(items)) == len(items), u
    assert not (set(items) & seen[u]), f"user {u} got an item already seen"
stats = json.load(open(f"{tmp}/stats.json"))
assert stats["ranks"] == 2 and len(stats["per_rank"]) == 2
manifest = json.load(open(f"{tmp}/model/manifest.json"))
assert manifest["distributed"]["ranks"] == 2
print("ok:", len(recs), "users with recommendations")
PY
