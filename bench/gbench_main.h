// The `main` of the Google Benchmark programs (bench_encoder, bench_rerank): the machine line
// (CPU model, kernel path) in the context header, then the benchmarks the flags select.
#pragma once

#include <benchmark/benchmark.h>

#include "bench_util.h"

namespace hybridrec::bench {

inline int RunGoogleBenchmarks(int argc, char** argv) {
  benchmark::AddCustomContext("machine", MachineLine());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace hybridrec::bench
