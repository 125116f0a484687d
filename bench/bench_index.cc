// Vector index benchmark (issue 3): build time, recall@10 against exact search and single-query
// latency (p50 / p99) for the exact FAISS flat index and HNSW, on synthetic unit vectors.
//
// A plain main printing figures, like bench_als: build time is measured once per process and
// the figures are whole-distribution latencies, which fit Google Benchmark's loop poorly.
//
// Usage (from the build directory):
//   bench/bench_index [n=100000] [d=384] [data=clustered|uniform] [centres=1000] [sigma=0.05]
//                     [kinds=flat,hnsw] [m=32] [efc=200] [ef=32,64,128,256] [queries=500]
//                     [lat=2000] [runs=3] [threads=2] [seed=1]
// Data: `clustered` draws each vector from a Gaussian (per-coordinate sigma) around one of
// `centres` random unit centres, then normalises; `uniform` is uniform on the unit sphere (the
// hardest case for graph indexes). Queries come from the same distribution, not the database.
// Recall@10 = |approx top-10 ∩ exact top-10| / 10 averaged over `queries` queries, exact from
// a batched IndexFlatIP search. Latency: `lat` single-vector searches, repeated `runs` times;
// the medians over runs of p50 and p99 are printed, both for FaissIndex::Search (our
// single-query paths) and for FAISS's own search on the same index (its OpenMP path).
#include <faiss/Index.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/parallel.h"
#include "core/random.h"
#include "index/faiss_index.h"
#include "index/index_factory.h"

namespace hr = hybridrec;

namespace {

using hr::bench::Clock;
using hr::bench::Median;
using hr::bench::Seconds;

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ',')) out.push_back(std::stoi(tok));
  return out;
}

// n unit vectors; row i depends only on (seed, i), so generation is parallel and deterministic.
std::vector<float> MakeData(size_t n, int d, bool clustered, const std::vector<float>& centres, int n_centres,
                            double sigma, uint64_t seed, int threads) {
  std::vector<float> x(n * static_cast<size_t>(d));
  hr::ParallelFor(n, threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      hr::Rng rng(hr::SplitSeed(seed, i));
      float* row = x.data() + i * static_cast<size_t>(d);
      const float* c = clustered ? centres.data() + rng.Below(static_cast<uint64_t>(n_centres)) * d : nullptr;
      double norm = 0;
      for (int j = 0; j < d; ++j) {
        const double v = (clustered ? c[j] + sigma * rng.Normal() : rng.Normal());
        row[j] = static_cast<float>(v);
        norm += v * v;
      }
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (int j = 0; j < d; ++j) row[j] *= inv;
    }
  }, 1024);
  return x;
}

struct Latency {
  double p50_us = 0, p99_us = 0;
};

template <typename F>
Latency MeasureLatency(const std::vector<float>& queries, size_t nq, int d, int lat, int runs, F&& search_one) {
  std::vector<double> p50s, p99s;
  std::vector<double> t(static_cast<size_t>(lat));
  for (int r = 0; r < runs; ++r) {
    for (int i = 0; i < lat; ++i) {
      const float* q = queries.data() + (static_cast<size_t>(i) % nq) * static_cast<size_t>(d);
      const auto start = Clock::now();
      search_one(q);
      t[static_cast<size_t>(i)] = Seconds(start) * 1e6;
    }
    p50s.push_back(Percentile(t, 0.50));
    p99s.push_back(Percentile(t, 0.99));
  }
  return {Median(p50s), Median(p99s)};
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args = {
      {"n", "100000"}, {"d", "384"},     {"data", "clustered"}, {"centres", "1000"}, {"sigma", "0.05"},
      {"kinds", "flat,hnsw"}, {"m", "32"}, {"efc", "200"}, {"ef", "32,64,128,256"}, {"queries", "500"},
      {"lat", "2000"}, {"runs", "3"}, {"threads", "2"}, {"seed", "1"}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq == std::string::npos || !args.count(a.substr(0, eq))) {
      std::fprintf(stderr, "unknown argument '%s' (see the usage at the top of bench_index.cc)\n", a.c_str());
      return 2;
    }
    args[a.substr(0, eq)] = a.substr(eq + 1);
  }
  const size_t n = std::stoul(args["n"]);
  const int d = std::stoi(args["d"]);
  const bool clustered = args["data"] == "clustered";
  const int n_centres = std::stoi(args["centres"]);
  const double sigma = std::stod(args["sigma"]);
  const size_t nq = std::stoul(args["queries"]);
  const int lat = std::stoi(args["lat"]);
  const int runs = std::stoi(args["runs"]);
  const int threads = std::stoi(args["threads"]);
  const uint64_t seed = std::stoull(args["seed"]);
  const std::vector<int> efs = ParseList(args["ef"]);

  auto t0 = Clock::now();
  const std::vector<float> centres = MakeData(static_cast<size_t>(n_centres), d, false, {}, 0, 0, seed + 100, threads);
  const std::vector<float> base = MakeData(n, d, clustered, centres, n_centres, sigma, seed, threads);
  const std::vector<float> queries = MakeData(nq, d, clustered, centres, n_centres, sigma, seed + 1, threads);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  std::printf("data: n=%zu d=%d %s (centres=%d sigma=%.3f) queries=%zu, generated in %.1f s, threads=%d\n", n, d,
              args["data"].c_str(), n_centres, sigma, nq, Seconds(t0), threads);

  // Exact ground truth, batched (BLAS) through the flat index, which is also benchmarked.
  hr::IndexOptions flat_opt;
  flat_opt.kind = hr::IndexKind::kFlat;
  flat_opt.build_threads = threads;
  t0 = Clock::now();
  auto flat = hr::BuildIndex(flat_opt, d, base, ids);
  if (!flat.ok()) { std::fprintf(stderr, "%s\n", flat.status().ToString().c_str()); return 1; }
  const double flat_build = Seconds(t0);
  std::vector<hr::SearchHit> truth;
  t0 = Clock::now();
  (*flat)->Search(queries, 10, truth);
  std::printf("exact ground truth for %zu queries: %.2f s (batched)\n", nq, Seconds(t0));

  auto recall_of = [&](const std::vector<hr::SearchHit>& got) {
    size_t found = 0;
    for (size_t q = 0; q < nq; ++q) {
      std::set<int64_t> t;
      for (size_t r = 0; r < 10; ++r) t.insert(truth[q * 10 + r].id);
      for (size_t r = 0; r < 10; ++r) found += t.count(got[q * 10 + r].id);
    }
    return static_cast<double>(found) / static_cast<double>(nq * 10);
  };

  std::printf("%-6s %4s %5s %4s %9s %9s %11s %11s %13s %13s\n", "index", "M", "efC", "ef", "build_s",
              "recall@10", "p50_us", "p99_us", "faiss_p50_us", "faiss_p99_us");
  std::vector<float> dist(10);
  std::vector<faiss::Index::idx_t> lab(10);
  std::vector<hr::SearchHit> one;
  for (const auto& kind : ParseList(args["kinds"] == "flat,hnsw" ? "0,1" : args["kinds"] == "flat" ? "0" : "1")) {
    if (kind == 0) {
      auto* fi = dynamic_cast<hr::FaissIndex*>(flat->get());
      const Latency ours = MeasureLatency(queries, nq, d, lat, runs, [&](const float* q) {
        (*flat)->Search(std::span<const float>(q, static_cast<size_t>(d)), 10, one);
      });
      const Latency raw = MeasureLatency(queries, nq, d, lat, runs, [&](const float* q) {
        fi->faiss_index()->search(1, q, 10, dist.data(), lab.data());
      });
      std::printf("%-6s %4s %5s %4s %9.2f %9.4f %11.1f %11.1f %13.1f %13.1f\n", "flat", "-", "-", "-", flat_build,
                  1.0, ours.p50_us, ours.p99_us, raw.p50_us, raw.p99_us);
      std::fflush(stdout);
      continue;
    }
    hr::IndexOptions opt;
    opt.kind = hr::IndexKind::kHnsw;
    opt.hnsw.m = std::stoi(args["m"]);
    opt.hnsw.ef_construction = std::stoi(args["efc"]);
    opt.build_threads = threads;
    t0 = Clock::now();
    auto hnsw = hr::BuildIndex(opt, d, base, ids);
    if (!hnsw.ok()) { std::fprintf(stderr, "%s\n", hnsw.status().ToString().c_str()); return 1; }
    const double build = Seconds(t0);
    auto* hi = dynamic_cast<hr::FaissIndex*>(hnsw->get());
    for (int ef : efs) {
      hi->set_ef_search(ef);
      std::vector<hr::SearchHit> got;
      (*hnsw)->Search(queries, 10, got);
      const double recall = recall_of(got);
      const Latency ours = MeasureLatency(queries, nq, d, lat, runs, [&](const float* q) {
        (*hnsw)->Search(std::span<const float>(q, static_cast<size_t>(d)), 10, one);
      });
      const Latency raw = MeasureLatency(queries, nq, d, lat, runs, [&](const float* q) {
        hi->faiss_index()->search(1, q, 10, dist.data(), lab.data());
      });
      std::printf("%-6s %4d %5d %4d %9.2f %9.4f %11.1f %11.1f %13.1f %13.1f\n", "hnsw", opt.hnsw.m,
                  opt.hnsw.ef_construction, ef, build, recall, ours.p50_us, ours.p99_us, raw.p50_us, raw.p99_us);
      std::fflush(stdout);
    }
  }
  return 0;
}
