// Vector index benchmark: build time, recall@10 against exact search and single-query
// latency (p50 / p99) for the exact FAISS flat index and HNSW, on synthetic unit vectors.
//
// A plain main printing figures, like bench_als: build time is measured once per process and
// the figures are whole-distribution latencies, which fit Google Benchmark's loop poorly.
//
// Usage (from the build directory; m / efc / ef0 / target / maxef / calq default to HnswParams'
// m / ef_construction / ef_search / target_recall / max_ef_search / calibration_queries):
//   bench/bench_index [n=100000] [d=384] [data=clustered|uniform] [centres=1000] [sigma=0.05]
//                     [kinds=flat,hnsw] [m] [efc] [ef0] [target] [maxef] [calq] [ef=cal]
//                     [queries=500] [lat=2000] [runs=3] [raw=1] [threads=2] [seed=1]
// Data: `clustered` draws each vector from a Gaussian (per-coordinate sigma) around one of
// `centres` random unit centres, then normalises; `uniform` is uniform on the unit sphere (the
// hardest case for graph indexes). Queries come from the same distribution, not the database.
// HNSW is built with BuildIndex, so with target > 0 its efSearch is calibrated on held-out
// database vectors (HnswParams); the line `calibration:` shows the ladder. `ef` lists the
// efSearch values to evaluate afterwards: integers and/or `cal` (the calibrated value).
// Recall@10 = |approx top-10 ∩ exact top-10| / 10 averaged over `queries` independent queries,
// exact from faiss::knn_inner_product (BLAS) over the generated matrix. build_s is the whole
// BuildIndex; graph_s excludes the calibration (exact top-10 of the held-out queries + ladder),
// calib_s. Latency: `lat` single-vector searches, repeated `runs` times; the medians over runs
// of p50 and p99 are printed, for FaissIndex::Search (our single-query paths) and, with raw=1,
// for FAISS's own search on the same index (its OpenMP path).
#include <faiss/Index.h>
#include <faiss/utils/distances.h>

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
  std::printf("%s\n", hybridrec::bench::MachineLine().c_str());
  const hr::HnswParams hp_default;
  std::map<std::string, std::string> args = {
      {"n", "100000"}, {"d", "384"}, {"data", "clustered"}, {"centres", "1000"}, {"sigma", "0.05"},
      {"kinds", "flat,hnsw"}, {"m", std::to_string(hp_default.m)}, {"efc", std::to_string(hp_default.ef_construction)},
      {"ef", "cal"}, {"target", std::to_string(hp_default.target_recall)},
      {"maxef", std::to_string(hp_default.max_ef_search)}, {"calq", std::to_string(hp_default.calibration_queries)},
      {"ef0", std::to_string(hp_default.ef_search)}, {"queries", "500"}, {"lat", "2000"}, {"runs", "3"},
      {"raw", "1"}, {"threads", "2"}, {"seed", "1"}};
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
  const bool raw_path = args["raw"] != "0";
  const int threads = std::stoi(args["threads"]);
  const uint64_t seed = std::stoull(args["seed"]);
  const bool want_flat = args["kinds"].find("flat") != std::string::npos;
  const bool want_hnsw = args["kinds"].find("hnsw") != std::string::npos;

  auto t0 = Clock::now();
  const std::vector<float> centres = MakeData(static_cast<size_t>(n_centres), d, false, {}, 0, 0, seed + 100, threads);
  const std::vector<float> base = MakeData(n, d, clustered, centres, n_centres, sigma, seed, threads);
  const std::vector<float> queries = MakeData(nq, d, clustered, centres, n_centres, sigma, seed + 1, threads);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  std::printf("data: n=%zu d=%d %s (centres=%d sigma=%.3f) queries=%zu, generated in %.1f s, threads=%d\n", n, d,
              args["data"].c_str(), n_centres, sigma, nq, Seconds(t0), threads);

  // Exact ground truth straight over the generated matrix (BLAS, no copy): row index = id.
  t0 = Clock::now();
  std::vector<float> truth_d(nq * 10);
  std::vector<int64_t> truth(nq * 10);
  faiss::knn_inner_product(queries.data(), base.data(), static_cast<size_t>(d), nq, n, 10, truth_d.data(),
                           truth.data());
  std::printf("exact ground truth for %zu queries: %.2f s (batched)\n", nq, Seconds(t0));

  auto recall_of = [&](const std::vector<hr::SearchHit>& got) {
    size_t found = 0;
    for (size_t q = 0; q < nq; ++q) {
      std::set<int64_t> t(truth.begin() + static_cast<std::ptrdiff_t>(q * 10),
                          truth.begin() + static_cast<std::ptrdiff_t>(q * 10 + 10));
      for (size_t r = 0; r < 10; ++r) found += t.count(got[q * 10 + r].id);
    }
    return static_cast<double>(found) / static_cast<double>(nq * 10);
  };

  std::printf("%-6s %4s %5s %5s %9s %8s %8s %8s %9s %10s %10s %12s %12s\n", "index", "M", "efC", "ef", "build_s",
              "graph_s", "calib_s", "heldout", "recall@10", "p50_us", "p99_us", "faiss_p50_us", "faiss_p99_us");
  std::vector<float> dist(10);
  std::vector<faiss::Index::idx_t> lab(10);
  std::vector<hr::SearchHit> one;
  auto measure = [&](const hr::FaissIndex& index, Latency& ours, Latency& raw) {
    ours = MeasureLatency(queries, nq, d, lat, runs, [&](const float* q) {
      index.Search(std::span<const float>(q, static_cast<size_t>(d)), 10, one);
    });
    if (raw_path) {
      raw = MeasureLatency(queries, nq, d, lat, runs, [&](const float* q) {
        index.faiss_index()->search(1, q, 10, dist.data(), lab.data());
      });
    }
  };

  if (want_flat) {  // scoped: its copy of the vectors is freed before HNSW builds
    hr::IndexOptions flat_opt;
    flat_opt.kind = hr::IndexKind::kFlat;
    flat_opt.build_threads = threads;
    t0 = Clock::now();
    auto flat = hr::BuildIndex(flat_opt, d, base, ids);
    if (!flat.ok()) { std::fprintf(stderr, "%s\n", flat.status().ToString().c_str()); return 1; }
    const double flat_build = Seconds(t0);
    auto* fi = dynamic_cast<hr::FaissIndex*>(flat->get());
    std::vector<hr::SearchHit> got;
    fi->Search(queries, 10, got);
    Latency ours, raw;
    measure(*fi, ours, raw);
    std::printf("%-6s %4s %5s %5s %9.2f %8s %8s %8s %9.4f %10.1f %10.1f %12.1f %12.1f\n", "flat", "-", "-", "-",
                flat_build, "-", "-", "-", recall_of(got), ours.p50_us, ours.p99_us, raw.p50_us, raw.p99_us);
    std::fflush(stdout);
  }
  if (!want_hnsw) return 0;

  hr::IndexOptions opt;
  opt.kind = hr::IndexKind::kHnsw;
  opt.hnsw.m = std::stoi(args["m"]);
  opt.hnsw.ef_construction = std::stoi(args["efc"]);
  opt.hnsw.ef_search = std::stoi(args["ef0"]);
  opt.hnsw.target_recall = std::stod(args["target"]);
  opt.hnsw.max_ef_search = std::stoi(args["maxef"]);
  opt.hnsw.calibration_queries = std::stoi(args["calq"]);
  opt.build_threads = threads;
  t0 = Clock::now();
  auto hnsw = hr::BuildIndex(opt, d, base, ids);
  if (!hnsw.ok()) { std::fprintf(stderr, "%s\n", hnsw.status().ToString().c_str()); return 1; }
  const double build = Seconds(t0);
  auto* hi = dynamic_cast<hr::FaissIndex*>(hnsw->get());
  const hr::SearchCalibration& cal = hi->calibration();
  const double calib_s = cal.exact_seconds + cal.ladder_seconds;
  if (cal.ran) {
    std::string ladder;
    for (const auto& st : cal.ladder) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " %d:%.4f(%.4f)%s", st.ef_search, st.recall, st.std_error, st.passed ? "*" : "");
      ladder += buf;
    }
    std::printf("calibration: target %.3f, %d held-out queries, ef:recall(stderr)[*=pass]%s -> ef %d (%s), "
                "exact %.2f s, ladder %.2f s\n",
                cal.target, cal.queries, ladder.c_str(), cal.ef_search, cal.reached ? "reached" : "NOT reached",
                cal.exact_seconds, cal.ladder_seconds);
  } else {
    std::printf("calibration: off (target %s), efSearch %d\n", args["target"].c_str(), hi->ef_search());
  }
  std::fflush(stdout);
  std::stringstream efs(args["ef"]);
  for (std::string tok; std::getline(efs, tok, ',');) {
    const bool is_cal = tok == "cal";
    if (is_cal && !cal.ran) continue;
    const int ef = is_cal ? cal.ef_search : std::stoi(tok);
    hi->set_ef_search(ef);
    std::vector<hr::SearchHit> got;
    hi->Search(queries, 10, got);
    const double recall = recall_of(got);
    Latency ours, raw;
    measure(*hi, ours, raw);
    char held[16] = "-";
    if (is_cal) std::snprintf(held, sizeof(held), "%.4f", cal.recall);
    std::printf("%-6s %4d %5d %5d %9.2f %8.2f %8.2f %8s %9.4f %10.1f %10.1f %12.1f %12.1f\n", "hnsw", opt.hnsw.m,
                opt.hnsw.ef_construction, ef, build, build - calib_s, calib_s, held, recall, ours.p50_us,
                ours.p99_us, raw.p50_us, raw.p99_us);
    std::fflush(stdout);
  }
  return 0;
}
