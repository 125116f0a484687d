#!/usr/bin/env bash
# A rank given a malformed shard: the job exits non-zero within seconds, and the message names
# the rank, the file and the line. Also: a user split across two ranks' shards is refused.
#
#   failure_test.sh BUILD_DIR
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

"$BUILD/hybridrec" synth --users 200 --items 80 --nnz 3000 --seed 2 --out "$TMP/data" > /dev/null
ASAN_OPTIONS="$NOLEAK" "$BUILD/hybridrec-mpi" shard --data "$TMP/data" --shards 3 --out "$TMP/shards" > /dev/null
# Rank 2 of 3 reads interactions-00002.csv: break its 5th line.
sed -i '5s/.*/u9,not-an-item-row/' "$TMP/shards/interactions-00002.csv"
start=$(date +%s)
set +e
ASAN_OPTIONS="$NOLEAK" timeout 30 mpiexec -n 3 --oversubscribe "$BUILD/hybridrec-mpi" train --shards "$TMP/shards" --out "$TMP/m" \
  --no-content --iterations 2 --threads 1 -q > "$TMP/out.txt" 2>&1
rc=$?
set -e
elapsed=$(( $(date +%s) - start ))
cat "$TMP/out.txt"
[[ $rc -ne 0 ]] || fail "the job exited 0"
[[ $rc -ne 124 ]] || fail "the job hung (killed by timeout)"
[[ $elapsed -le 20 ]] || fail "the job took ${elapsed}s to fail"
grep -q "rank 2 of 3" "$TMP/out.txt" || fail "the message does not name rank 2"
grep -q "interactions-00002.csv:5:" "$TMP/out.txt" || fail "the message does not name the file and line"
[[ ! -e "$TMP/m" ]] || fail "a model directory was written"

# The same user in two shards that different ranks read.
ASAN_OPTIONS="$NOLEAK" "$BUILD/hybridrec-mpi" shard --data "$TMP/data" --shards 2 --out "$TMP/split" > /dev/null
tail -n 1 "$TMP/split/interactions-00000.csv" >> "$TMP/split/interactions-00001.csv"
set +e
ASAN_OPTIONS="$NOLEAK" timeout 30 mpiexec -n 2 --oversubscribe "$BUILD/hybridrec-mpi" train --shards "$TMP/split" --out "$TMP/m2" \
  --no-content --iterations 1 --threads 1 -q > "$TMP/out2.txt" 2>&1
rc=$?
set -e
cat "$TMP/out2.txt"
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "a user in two ranks' shards was not refused (rc $rc)"
grep -q "must be split by user" "$TMP/out2.txt" || fail "no split-by-user message"
echo "ok: failed in ${elapsed}s"
