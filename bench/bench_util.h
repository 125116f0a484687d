// Timing helpers shared by the plain-main benchmarks (bench_als, bench_index): wall-clock
// seconds since a point and the median of repeated measurements (the machine is shared and
// noisy, so figures are medians, never single runs).
#pragma once

#include <algorithm>
#include <chrono>
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

}  // namespace hybridrec::bench
