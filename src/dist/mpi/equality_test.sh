#!/usr/bin/env bash
# Distributed vs single-process ALS: the factors of `hybridrec-mpi train` on R ranks equal
# those of `hybridrec train` to 1e-5 (relative, per row) for every R given, on a small
# synthetic dataset split into 7 uneven shards (the default exact Gram mode in fact gives
# identical factors). The last R also runs with 2 threads per rank, which must change nothing
# (tolerance 0), and with --gram allreduce (tolerance 1e-4: its sum order differs).
#
#   equality_test.sh BUILD_DIR SOLVER R...
set -euo pipefail
BUILD="$1"; SOLVER="$2"; shift 2
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1
# OpenMPI's runtime keeps allocations until exit inside plugins LeakSanitizer cannot name, so in
# an ASan build leak detection is off for hybridrec-mpi (every memory access is still checked).
NOLEAK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
ALS=(--no-content --solver "$SOLVER" --iterations "${ITERS:-15}" --factors 16 --seed 11 -q)
"$BUILD/hybridrec" synth --users 400 --items 150 --nnz 9000 --seed 5 --out "$TMP/data" > /dev/null
"$BUILD/hybridrec" train --data "$TMP/data" --out "$TMP/single" --threads 2 "${ALS[@]}" > /dev/null
ASAN_OPTIONS="$NOLEAK" "$BUILD/hybridrec-mpi" shard --data "$TMP/data" --shards 7 --out "$TMP/shards" > /dev/null
for R in "$@"; do
  ASAN_OPTIONS="$NOLEAK" timeout 60 mpiexec -n "$R" --oversubscribe "$BUILD/hybridrec-mpi" train --shards "$TMP/shards" \
    --out "$TMP/dist$R" --threads 1 "${ALS[@]}" > /dev/null
  echo "R=$R $SOLVER:"
  /usr/bin/python3 "$HERE/compare_models.py" "$TMP/single" "$TMP/dist$R" 1e-5
done
R="${!#}"
ASAN_OPTIONS="$NOLEAK" timeout 60 mpiexec -n "$R" --oversubscribe "$BUILD/hybridrec-mpi" train --shards "$TMP/shards" \
  --out "$TMP/threads" --threads 2 "${ALS[@]}" > /dev/null
echo "R=$R $SOLVER, 2 threads per rank:"
/usr/bin/python3 "$HERE/compare_models.py" "$TMP/single" "$TMP/threads" 0
ASAN_OPTIONS="$NOLEAK" timeout 60 mpiexec -n "$R" --oversubscribe "$BUILD/hybridrec-mpi" train --shards "$TMP/shards" \
  --out "$TMP/allreduce" --threads 1 --gram allreduce "${ALS[@]}" > /dev/null
echo "R=$R $SOLVER, --gram allreduce:"
/usr/bin/python3 "$HERE/compare_models.py" "$TMP/single" "$TMP/allreduce" 1e-4
