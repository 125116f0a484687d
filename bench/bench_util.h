// Timing helpers shared by the plain-main benchmarks (bench_als, bench_index): wall-clock
// seconds since a point and the median of repeated measurements (the machine is shared and
// noisy, so figures are medians, never single runs).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
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

// key=value command-line arguments of the plain-main benchmarks.
class KeyValueArgs {
 public:
  // False (after printing `usage` to stderr) when an argument has no '='.
  bool Parse(int argc, char** argv, const char* usage) {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const auto eq = a.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "usage: %s\n", usage);
        return false;
      }
      values_[a.substr(0, eq)] = a.substr(eq + 1);
    }
    return true;
  }
  std::string Str(const std::string& key, const std::string& def) const {
    auto it = values_.find(key);
    return it == values_.end() ? def : it->second;
  }
  double Num(const std::string& key, double def) const {
    auto it = values_.find(key);
    return it == values_.end() ? def : std::atof(it->second.c_str());
  }

 private:
  std::map<std::string, std::string> values_;
};

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
