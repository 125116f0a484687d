#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz and runs each for a fixed time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 30 (CI runs 20). TARGET names are the part after "fuzz_"
# (loader, tokenizer, npy, bert_config, safetensors, manifest, ...); default: every fuzz/fuzz_*.cc.
# Each target starts from its committed seed corpus fuzz/corpus/<target>/ (read-only; new
# inputs go to build-fuzz/corpus/<target>/). Exits non-zero when any target found a crash, timeout, leak
# or sanitizer report, leaving the reproducer in build-fuzz/artifacts/<target>/.
# Environment: BUILD_DIR (default build-fuzz), JOBS (build parallelism, default 2), PARALLEL
# (targets fuzzed at once, one core each; default JOBS),
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

# Runs one target and leaves its result line in $BUILD/logs/fuzz_<target>.result (exit status
# first). Targets run PARALLEL at a time (default: JOBS), each fuzzer on one core.
run_target() {
  local t="$1"
  local bin="$BUILD/fuzz/fuzz_$t"
  local seeds="$ROOT/fuzz/corpus/$t"
  local work="$BUILD/corpus/$t"
  local art="$BUILD/artifacts/$t"
  local log="$BUILD/logs/fuzz_$t.log"
  mkdir -p "$work" "$art" "$(dirname "$log")"
  local dict=()
  [[ -f "$ROOT/fuzz/$t.dict" ]] && dict=(-dict="$ROOT/fuzz/$t.dict")
  local start rc secs execs rate result
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
  fi
  printf '%s %-14s %8s %14s %10s %s\n' "$rc" "$t" "$secs" "${execs:-?}" "${rate:-?}" "$result" \
    >"$BUILD/logs/fuzz_$t.result"
}

PARALLEL="${PARALLEL:-$JOBS}"
mkdir -p "$BUILD/logs"
for t in "${TARGETS[@]}"; do
  rm -f "$BUILD/logs/fuzz_$t.result"
  while (( $(jobs -rp | wc -l) >= PARALLEL )); do wait -n || true; done
  run_target "$t" &
done
wait

status=0
printf '%-14s %8s %14s %10s %s\n' target seconds executions exec/s result
for t in "${TARGETS[@]}"; do
  line="$(cat "$BUILD/logs/fuzz_$t.result" 2>/dev/null || echo "1 $t ? ? ? FAILED (no result)")"
  rc="${line%% *}"
  printf '%s\n' "${line#* }"
  if [[ "$rc" != 0 ]]; then
    status=1
    grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$BUILD/logs/fuzz_$t.log" | head -20 >&2 || true
  fi
done
exit $status
