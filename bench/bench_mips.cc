// Maximum inner-product search over a trained model's item factors, the queries its users'
// factors: which index gives the collaborative candidates of a large catalogue. Compares, on the
// same vectors and queries:
//   flat       exact MIPS (FAISS IndexFlatIP over the raw factors): the reference and its time;
//   hnsw-mips  FAISS HNSW over the unit-sphere MIPS transform (index/mips.h; what train builds);
//   hnsw-ip    FAISS HNSW with the inner product over the raw factors (a non-metric graph);
//   hnswlib-ip hnswlib's HNSW (Debian libhnswlib-dev) with its inner-product space, raw factors;
//   ivf        FAISS IVF-Flat over the transformed vectors (sqrt(n) lists, k-means), by nprobe;
//   ivf-dir    FAISS IVF-Flat with lists from k-means over the directions y / |y|, storing and
//              scanning the raw factors, by nprobe.
//
//   bench_mips model=DIR [queries=500] [k=10] [search_k=256] [kinds=flat,hnsw-mips,hnsw-ip,hnswlib-ip,ivf]
//              [efs=32,64,128,256,512,1024] [nprobes=1,4,16,64] [threads=2]
//
// For each kind and search depth: build seconds, recall@k of a k-search against exact, and the
// median single-query latency of a search_k-deep search (what a signal asks for: N candidates
// plus the seen items), one thread.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <hnswlib/hnswlib.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "index/mips.h"
#include "model/trained_model.h"

namespace hr = hybridrec;
using hr::bench::Clock;
using hr::bench::Median;
using hr::bench::Seconds;

namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) out.push_back(x);
  return out;
}

// Search function: (query of dim d1, depth k, out ids) for one query.
using SearchFn = std::function<void(const float*, int, std::vector<int64_t>&)>;

struct Setup {
  size_t n = 0, d = 0, nq = 0;
  std::vector<float> raw, transformed, queries_raw, queries_t;  // d, d+1, d, d+1 columns
  std::vector<std::set<int64_t>> exact;                         // per query: exact top-k ids
  int k = 10, search_k = 256;
};

void Measure(const Setup& s, const std::string& kind, const std::string& depth, double build_s, bool transformed,
             const SearchFn& search) {
  const size_t dq = transformed ? s.d + 1 : s.d;
  const std::vector<float>& q = transformed ? s.queries_t : s.queries_raw;
  std::vector<int64_t> ids;
  double found = 0;
  for (size_t i = 0; i < s.nq; ++i) {
    search(q.data() + i * dq, s.k, ids);
    for (int64_t id : ids) found += static_cast<double>(s.exact[i].count(id));
  }
  std::vector<double> lat;
  for (size_t i = 0; i < s.nq; ++i) {
    const auto t = Clock::now();
    search(q.data() + i * dq, s.search_k, ids);
    lat.push_back(Seconds(t) * 1e3);
  }
  std::sort(lat.begin(), lat.end());
  std::printf("%-11s %-12s build %7.2f s  recall@%d %.4f  %d-deep search p50 %.3f ms p99 %.3f ms\n", kind.c_str(),
              depth.c_str(), build_s, s.k, found / static_cast<double>(s.nq * static_cast<size_t>(s.k)), s.search_k,
              lat[lat.size() / 2], lat[std::min(lat.size() - 1, lat.size() * 99 / 100)]);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  hr::bench::KeyValueArgs args;
  if (!args.Parse(argc, argv,
                  "bench_mips model=DIR [queries=500] [k=10] [search_k=256] [kinds=...] [efs=...] [nprobes=...] "
                  "[threads=2]"))
    return 2;
  auto ArgS = [&args](const std::string& k, const std::string& def) { return args.Str(k, def); };
  std::printf("%s\n", hr::bench::MachineLine().c_str());
  auto model = hr::LoadTrainedModel(ArgS("model", ""));
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message().c_str());
    return 1;
  }
  const int threads = std::atoi(ArgS("threads", "2").c_str());
  omp_set_num_threads(threads);
  Setup s;
  s.k = std::atoi(ArgS("k", "10").c_str());
  s.search_k = std::atoi(ArgS("search_k", "256").c_str());
  s.d = static_cast<size_t>(model->als->factors());
  std::vector<uint32_t> rows;
  for (uint32_t i = 0; i < model->num_items(); ++i)
    if (model->popularity->item_scores()[i] > 0.f) rows.push_back(i);
  s.n = rows.size();
  const auto y = model->als->item_factors();
  for (uint32_t r : rows) s.raw.insert(s.raw.end(), y.begin() + r * s.d, y.begin() + (r + 1) * s.d);
  std::vector<uint32_t> all(s.n);
  for (uint32_t i = 0; i < s.n; ++i) all[i] = i;
  s.transformed = hr::MipsStoredVectors(s.raw, s.d, all);
  const uint32_t nu = model->num_users();
  s.nq = std::min<size_t>(std::atoi(ArgS("queries", "500").c_str()), nu);
  const auto x = model->als->user_factors();
  std::vector<float> qt(s.d + 1);
  for (size_t i = 0; i < s.nq; ++i) {
    const size_t u = (i * 7919 + 13) % nu;  // spread over the users, not the calibration sample
    s.queries_raw.insert(s.queries_raw.end(), x.begin() + u * s.d, x.begin() + (u + 1) * s.d);
    hr::MipsQuery(std::span<const float>(x.data() + u * s.d, s.d), qt);
    s.queries_t.insert(s.queries_t.end(), qt.begin(), qt.end());
  }
  std::printf("%zu items with a trained factor, %zu factors, %zu queries (users' factors)\n", s.n, s.d, s.nq);

  faiss::IndexFlatIP flat(static_cast<int>(s.d));
  auto t = Clock::now();
  flat.add(static_cast<faiss::Index::idx_t>(s.n), s.raw.data());
  const double flat_build = Seconds(t);
  {
    std::vector<float> dist(s.nq * static_cast<size_t>(s.k));
    std::vector<faiss::Index::idx_t> lab(s.nq * static_cast<size_t>(s.k));
    flat.search(static_cast<faiss::Index::idx_t>(s.nq), s.queries_raw.data(), s.k, dist.data(), lab.data());
    s.exact.resize(s.nq);
    for (size_t i = 0; i < s.nq; ++i) s.exact[i].insert(lab.begin() + i * s.k, lab.begin() + (i + 1) * s.k);
  }
  auto faiss_search = [](const faiss::Index& index) {
    return [&index](const float* q, int kk, std::vector<int64_t>& ids) {
      std::vector<float> dist(static_cast<size_t>(kk));
      std::vector<faiss::Index::idx_t> lab(static_cast<size_t>(kk));
      index.search(1, q, kk, dist.data(), lab.data());
      ids.assign(lab.begin(), lab.end());
    };
  };
  const auto efs = Split(ArgS("efs", "32,64,128,256,512,1024"));
  for (const std::string& kind : Split(ArgS("kinds", "flat,hnsw-mips,hnsw-ip,hnswlib-ip,ivf"))) {
    if (kind == "flat") {
      omp_set_num_threads(1);
      Measure(s, kind, "exact", flat_build, false, faiss_search(flat));
      omp_set_num_threads(threads);
    } else if (kind == "hnsw-mips" || kind == "hnsw-ip") {
      const bool tr = kind == "hnsw-mips";
      const int dd = static_cast<int>(tr ? s.d + 1 : s.d);
      faiss::IndexHNSWFlat index(dd, 32, faiss::METRIC_INNER_PRODUCT);
      index.hnsw.efConstruction = 100;
      t = Clock::now();
      index.add(static_cast<faiss::Index::idx_t>(s.n), tr ? s.transformed.data() : s.raw.data());
      const double b = Seconds(t);
      omp_set_num_threads(1);
      for (const std::string& ef : efs) {
        index.hnsw.efSearch = std::atoi(ef.c_str());
        Measure(s, kind, "ef " + ef, b, tr, faiss_search(index));
      }
      omp_set_num_threads(threads);
    } else if (kind == "hnswlib-ip") {
      hnswlib::InnerProductSpace space(s.d);
      hnswlib::HierarchicalNSW<float> index(&space, s.n, 16, 100, 100);
      t = Clock::now();
#pragma omp parallel for schedule(dynamic, 256)
      for (int64_t i = 0; i < static_cast<int64_t>(s.n); ++i)
        index.addPoint(s.raw.data() + static_cast<size_t>(i) * s.d, static_cast<hnswlib::labeltype>(i));
      const double b = Seconds(t);
      for (const std::string& ef : efs) {
        index.setEf(std::atoi(ef.c_str()));
        Measure(s, kind, "ef " + ef, b, false, [&index](const float* q, int kk, std::vector<int64_t>& ids) {
          auto pq = index.searchKnn(q, static_cast<size_t>(kk));
          ids.clear();
          while (!pq.empty()) {
            ids.push_back(static_cast<int64_t>(pq.top().second));
            pq.pop();
          }
        });
      }
    } else if (kind == "ivf" || kind == "ivf-dir") {
      // ivf: lists over the MIPS transform, which is stored and scanned (the queries are
      // transformed). ivf-dir: lists by direction (k-means over y / |y|), the raw factors stored
      // and scanned.
      const bool tr = kind == "ivf";
      const size_t dd = tr ? s.d + 1 : s.d;
      std::vector<float> dirs;
      if (!tr) {
        dirs = s.raw;
        for (size_t i = 0; i < s.n; ++i) {
          double n2 = 0;
          for (size_t j = 0; j < s.d; ++j) n2 += dirs[i * s.d + j] * dirs[i * s.d + j];
          const float inv = n2 > 0 ? static_cast<float>(1.0 / std::sqrt(n2)) : 0.f;
          for (size_t j = 0; j < s.d; ++j) dirs[i * s.d + j] *= inv;
        }
      }
      const float* train_rows = tr ? s.transformed.data() : dirs.data();
      const float* stored_rows = tr ? s.transformed.data() : s.raw.data();
      const size_t lists = std::max<size_t>(16, static_cast<size_t>(std::sqrt(static_cast<double>(s.n))));
      faiss::IndexFlatIP quantizer(static_cast<int>(dd));
      faiss::IndexIVFFlat index(&quantizer, static_cast<int>(dd), lists, faiss::METRIC_INNER_PRODUCT);
      t = Clock::now();
      index.train(static_cast<faiss::Index::idx_t>(s.n), train_rows);
      index.add(static_cast<faiss::Index::idx_t>(s.n), stored_rows);
      const double b = Seconds(t);
      omp_set_num_threads(1);
      for (const std::string& np : Split(ArgS("nprobes", "1,4,16,64"))) {
        index.nprobe = static_cast<size_t>(std::atoi(np.c_str()));
        Measure(s, kind, "nprobe " + np + "/" + std::to_string(lists), b, tr, faiss_search(index));
      }
      omp_set_num_threads(threads);
    } else {
      std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
      return 2;
    }
  }
  return 0;
}
