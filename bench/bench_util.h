// Timing helpers shared by the plain-main benchmarks (bench_als, bench_index): wall-clock
// seconds since a point and the median of repeated measurements (the machine is shared and
// noisy, so figures are medians, never single runs).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace hybridrec::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// REQUIRES: !v.empty()
inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The CPU this runs on ("model name" of /proc/cpuinfo) and the vector kernel path this build
// compiled in, for the first line of a benchmark's output: figures differ by CPU family.
inline std::string MachineLine() {
  std::string cpu = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
#if defined(__AVX512F__)
  const char* path = "AVX-512";
#elif defined(__AVX2__) && defined(__FMA__)
  const char* path = "AVX2+FMA";
#else
  const char* path = "scalar (auto-vectorised)";
#endif
  return "cpu: " + cpu + "; kernels: " + path;
}

}  // namespace hybridrec::bench
