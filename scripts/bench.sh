#!/usr/bin/env bash
# Runs the benchmarks whose figures the README quotes. Each prints medians of repeated runs.
# Usage: scripts/bench.sh [als|encoder|index|index-1m|all]   (default: all; build first with `make build`)
# index-1m (not part of all): HNSW vs flat on 1M clustered vectors, ~6 minutes and 4.5 GB.
# The machine is shared and noisy: compare medians and ratios, not single timings.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bench
what=${1:-all}
run() { echo "== $*"; "$@"; echo; }
if [[ $what == als || $what == all ]]; then
  run $B/bench_als mode=fit runs=5
  run $B/bench_als mode=recommend runs=9
  run $B/bench_als mode=foldin
  run $B/bench_als mode=synth runs=3 iters=3
fi
if [[ $what == encoder || $what == all ]] && [[ -x $B/bench_encoder ]]; then
  run $B/bench_encoder
fi
if [[ $what == index || $what == all ]] && [[ -x $B/bench_index ]]; then
  run $B/bench_index n=100000 data=clustered kinds=flat,hnsw ef=cal,128 lat=1000 runs=3
  run $B/bench_index n=100000 data=uniform kinds=flat,hnsw ef=cal lat=1000 runs=3
fi
if [[ $what == index-1m ]] && [[ -x $B/bench_index ]]; then
  run $B/bench_index n=1000000 data=clustered kinds=flat,hnsw ef=cal lat=200 runs=1
fi
