#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz and runs each for a fixed time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 30 (what CI runs). TARGET names are the part after "fuzz_"
# (loader, tokenizer, npy, bert_config, safetensors, manifest, ...); default: every fuzz/fuzz_*.cc.
# Each target starts from its committed seed corpus fuzz/corpus/<target>/ (read-only; new
# inputs go to build-fuzz/corpus/<target>/). Exits non-zero on the first crash, timeout, leak
# or sanitizer report, leaving the reproducer in build-fuzz/artifacts/<target>/.
# Environment: BUILD_DIR (default build-fuzz), JOBS (build parallelism, default 2),
# NICE (default 0; e.g. NICE=19 on a shared machine), TIMEOUT (seconds before one input counts
# as a hang, default 10; raise it on an overloaded machine, where a niced fuzzer can be starved
# for seconds), SKIP_BUILD=1 (use the binaries already in BUILD_DIR).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_PER_TARGET="${1:-30}"
shift || true
JOBS="${JOBS:-2}"
NICE="${NICE:-0}"
TIMEOUT="${TIMEOUT:-10}"

if [[ $# -gt 0 ]]; then
  TARGETS=("$@")
else
  TARGETS=()
  for f in "$ROOT"/fuzz/fuzz_*.cc; do
    n="$(basename "$f" .cc)"
    TARGETS+=("${n#fuzz_}")
  done
fi

# Largest input per target: enough for the seeds plus room to grow, small enough to stay fast.
max_len_for() {
  case "$1" in
    loader) echo 8192 ;;
    tokenizer) echo 4096 ;;
    npy) echo 1024 ;;
    bert_config) echo 2048 ;;
    safetensors) echo 8192 ;;
    manifest) echo 4096 ;;
    http_requests) echo 4096 ;;
    access) echo 4096 ;;
    shard) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHYBRIDREC_FUZZ=ON \
    -DHYBRIDREC_BUILD_TESTS=OFF -DHYBRIDREC_BUILD_BENCH=OFF -DHYBRIDREC_NATIVE=OFF >/dev/null
  nice -n "$NICE" cmake --build "$BUILD" -j"$JOBS" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")
fi

status=0
printf '%-14s %8s %14s %10s %s\n' target seconds executions exec/s result
for t in "${TARGETS[@]}"; do
  bin="$BUILD/fuzz/fuzz_$t"
  seeds="$ROOT/fuzz/corpus/$t"
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  log="$BUILD/logs/fuzz_$t.log"
  mkdir -p "$work" "$art" "$(dirname "$log")"
  dict=()
  [[ -f "$ROOT/fuzz/$t.dict" ]] && dict=(-dict="$ROOT/fuzz/$t.dict")
  start=$(date +%s)
  set +e
  nice -n "$NICE" "$bin" "$work" "$seeds" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" \
    -max_len="$(max_len_for "$t")" -timeout="$TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/" >"$log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  rate=$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
  if [[ $rc -eq 0 ]]; then
    result=ok
  else
    result="FAILED (rc $rc; see $log and $art/)"
    status=1
  fi
  printf '%-14s %8s %14s %10s %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$result"
  if [[ $rc -ne 0 ]]; then
    grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$log" | head -20 >&2 || true
  fi
done
exit $status
