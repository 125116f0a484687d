// Cost of the per-request rules (ranking/item_filter.h, ranking/rerank.h), Google Benchmark.
//
//   bench_rerank [--benchmark_min_time=0.2s] [--benchmark_filter=...]
//
// BM_TopK / BM_Rerank*: selecting k of N = 200 scored candidates, by score alone (what a request
// without re-ranking does) and by MMR diversity, calibration, or both, with 384-dimensional
// item vectors (MiniLM's) and 19 genres of 1 to 3 per item (ML-100K's); the difference is the
// latency re-ranking adds. BM_Eligible: turning a genre filter into the eligibility bitmap over a
// catalogue of `items`. BM_Recommend*: a whole HybridRanker::Recommend over a synthetic
// catalogue of 10,000 items (64 factors, 384-d embeddings) with no rules, a selective filter (5%
// of the items eligible), and diversity 0.3.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gbench_main.h"
#include "collab/als_model.h"
#include "core/topk.h"
#include "ranking/hybrid_ranker.h"
#include "ranking/item_filter.h"
#include "ranking/rerank.h"

namespace hr = hybridrec;

namespace {

constexpr size_t kDim = 384;
constexpr uint32_t kGenres = 19;

std::vector<float> RandomUnit(size_t rows, size_t dim, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> nd;
  std::vector<float> m(rows * dim);
  for (size_t r = 0; r < rows; ++r) {
    double n2 = 0;
    for (size_t c = 0; c < dim; ++c) {
      m[r * dim + c] = nd(g);
      n2 += m[r * dim + c] * m[r * dim + c];
    }
    for (size_t c = 0; c < dim; ++c) m[r * dim + c] = static_cast<float>(m[r * dim + c] / std::sqrt(n2));
  }
  return m;
}

std::vector<hr::Item> RandomItems(uint32_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<hr::Item> items(n);
  for (uint32_t i = 0; i < n; ++i) {
    items[i].title = "item " + std::to_string(i) + " (" + std::to_string(1950 + g() % 70) + ")";
    const int m = 1 + static_cast<int>(g() % 3);
    for (int j = 0; j < m; ++j) items[i].genres.push_back("g" + std::to_string(g() % kGenres));
  }
  return items;
}

struct Pool {
  static constexpr uint32_t kItems = 2000;
  std::vector<float> emb = RandomUnit(kItems, kDim, 1);
  std::vector<hr::Item> info = RandomItems(kItems, 2);
  hr::ItemAttributes attrs{kItems, [this](uint32_t i) -> const hr::Item& { return info[i]; }, nullptr};
  std::vector<uint32_t> items;
  std::vector<float> rel;
  std::vector<float> mix;
  Pool() {
    std::mt19937_64 g(3);
    for (uint32_t j = 0; j < 200; ++j) {
      items.push_back(static_cast<uint32_t>(g() % kItems));
      rel.push_back(std::normal_distribution<float>()(g));
    }
    std::vector<hr::HistoryEntry> hist;
    for (int h = 0; h < 50; ++h) hist.emplace_back(static_cast<uint32_t>(g() % kItems), 1.f);
    hr::CategoryMix(attrs.genres(), hist, mix);
  }
};

const Pool& GetPool() {
  static const Pool p;
  return p;
}

void BM_TopK(benchmark::State& st) {
  const Pool& p = GetPool();
  std::vector<uint32_t> out;
  for (auto _ : st) {
    hr::TopKInto(p.rel, static_cast<size_t>(st.range(0)), out);
    benchmark::DoNotOptimize(out.data());
  }
}

void RunRerank(benchmark::State& st, float diversity, float calibration) {
  const Pool& p = GetPool();
  hr::RerankInput in;
  in.items = p.items;
  in.relevance = p.rel;
  in.k = static_cast<size_t>(st.range(0));
  in.diversity = diversity;
  in.calibration = calibration;
  in.vectors = p.emb;
  in.dim = kDim;
  in.categories = &p.attrs.genres();
  in.target = p.mix;
  std::vector<uint32_t> out;
  for (auto _ : st) {
    hr::Rerank(in, out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_RerankDiversity(benchmark::State& st) { RunRerank(st, 0.3f, 0.f); }
void BM_RerankCalibration(benchmark::State& st) { RunRerank(st, 0.f, 0.5f); }
void BM_RerankBoth(benchmark::State& st) { RunRerank(st, 0.3f, 0.5f); }

void BM_Eligible(benchmark::State& st) {
  const auto n = static_cast<uint32_t>(st.range(0));
  const auto info = RandomItems(n, 4);
  const hr::ItemAttributes attrs(
      n, [&](uint32_t i) -> const hr::Item& { return info[i]; }, nullptr);
  hr::FilterSpec spec;
  spec.include.push_back({"genre", {"g1", "g2"}});
  spec.exclude.push_back({"genre", {"g3"}});
  spec.exclude_items = {1, 2, 3, 4, 5};
  for (auto _ : st) {
    auto r = attrs.Eligible(spec);
    benchmark::DoNotOptimize(r);
  }
}

struct Catalogue {
  static constexpr uint32_t kItems = 10000;
  static constexpr int kFactors = 64;
  std::vector<float> emb = RandomUnit(kItems, kDim, 5);
  hr::AlsModel als;
  std::vector<float> pop;
  std::unique_ptr<hr::HybridRanker> ranker;
  std::vector<hr::HistoryEntry> hist;
  hr::ItemBitmap selective;
  Catalogue()
      : als(
            [] {
              hr::AlsOptions o;
              o.factors = kFactors;
              return o;
            }(),
            100, kItems, RandomUnit(100, kFactors, 6), RandomUnit(kItems, kFactors, 7)) {
    std::mt19937_64 g(8);
    for (uint32_t i = 0; i < kItems; ++i) pop.push_back(static_cast<float>(1 + g() % 1000));
    ranker = std::make_unique<hr::HybridRanker>(&als, emb, static_cast<int>(kDim), nullptr, pop);
    for (int h = 0; h < 30; ++h) hist.emplace_back(static_cast<uint32_t>(g() % kItems), 1.f);
    selective = hr::ItemBitmap(kItems, false);
    for (uint32_t i = 0; i < kItems; i += 20) selective.set(i);
  }
};

const Catalogue& GetCatalogue() {
  static const Catalogue c;
  return c;
}

void RunRecommend(benchmark::State& st, bool filter, float diversity) {
  const Catalogue& c = GetCatalogue();
  hr::UserQuery q;
  q.use_trained_factor = false;
  q.history = c.hist;
  hr::RankRequest r;
  r.k = static_cast<size_t>(st.range(0));
  if (filter) r.rules.eligible = &c.selective;
  r.rules.diversity = diversity;
  for (auto _ : st) {
    auto resp = c.ranker->Recommend(q, r);
    benchmark::DoNotOptimize(resp.items.data());
  }
}

void BM_RecommendPlain(benchmark::State& st) { RunRecommend(st, false, 0.f); }
void BM_RecommendSelectiveFilter(benchmark::State& st) { RunRecommend(st, true, 0.f); }
void BM_RecommendDiversity(benchmark::State& st) { RunRecommend(st, false, 0.3f); }

}  // namespace

BENCHMARK(BM_TopK)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RerankDiversity)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RerankCalibration)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RerankBoth)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Eligible)->Arg(1682)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RecommendPlain)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RecommendSelectiveFilter)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RecommendDiversity)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

// Google Benchmark's main, with the CPU and kernel path in the context it prints first.
int main(int argc, char** argv) { return hybridrec::bench::RunGoogleBenchmarks(argc, argv); }
