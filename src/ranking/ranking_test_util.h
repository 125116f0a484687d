// Small fixtures shared by the ranking tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "collab/als_model.h"
#include "data/csr_matrix.h"
#include "ranking/hybrid_ranker.h"
#include "ranking/ranker_options.h"
#include "ranking/signal.h"

namespace hybridrec::ranking_test {

inline std::vector<float> RandomMatrix(size_t rows, size_t cols, uint64_t seed, bool normalise = false) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> m(rows * cols);
  for (float& v : m) v = nd(g);
  if (normalise) {
    for (size_t r = 0; r < rows; ++r) {
      double n2 = 0.0;
      for (size_t c = 0; c < cols; ++c) n2 += m[r * cols + c] * m[r * cols + c];
      for (size_t c = 0; c < cols; ++c) m[r * cols + c] = static_cast<float>(m[r * cols + c] / std::sqrt(n2));
    }
  }
  return m;
}

// users x items CSR with about one item in three per user (values 1).
inline CsrMatrix RandomInteractions(uint32_t users, uint32_t items, uint64_t seed) {
  std::mt19937_64 g(seed);
  CsrMatrix m;
  m.rows = users;
  m.cols = items;
  m.indptr.push_back(0);
  for (uint32_t u = 0; u < users; ++u) {
    for (uint32_t i = 0; i < items; ++i)
      if (g() % 3 == 0) {
        m.indices.push_back(i);
        m.values.push_back(1.f);
      }
    m.indptr.push_back(m.indices.size());
  }
  return m;
}

inline AlsOptions SmallAls(int k) {
  AlsOptions o;
  o.factors = k;
  o.regularization = 0.5f;
  o.reg_exponent = 0.f;
  o.threads = 1;
  return o;
}

// n random unit embeddings (d 5) and a random ALS model (k 4) over 6 users and the first
// `trained` of the n items, for tests of the ranker with one more signal on.
struct RandomModel {
  static constexpr int k = 4;
  static constexpr int d = 5;
  uint32_t n;
  std::vector<float> emb;
  AlsModel als;
  RandomModel(uint32_t items, uint32_t trained, uint64_t seed)
      : n(items),
        emb(RandomMatrix(items, d, seed, true)),
        als(SmallAls(k), 6, trained, RandomMatrix(6, k, seed + 1), RandomMatrix(trained, k, seed + 2)) {}
};

// Every returned item's score is the fusion rule over the response: sum of weight x z.
inline void ExpectFusedScores(const RankResponse& resp, float tol = 1e-5f) {
  for (const auto& it : resp.items) {
    float want = 0.f;
    for (const auto& s : resp.signals) want += s.weight * resp.z(it, s.name);
    EXPECT_NEAR(it.score, want, tol) << "item " << it.item;
  }
}

// 8 items (7 with factors: item 7 is a cold item added after training), d = 4, k = 3.
struct Fixture {
  static constexpr int k = 3;
  static constexpr int d = 4;
  static constexpr uint32_t n = 8;
  std::vector<float> emb = RandomMatrix(n, d, 11, true);
  std::vector<float> pop = {5, 9, 1, 7, 3, 9, 2, 0};
  AlsModel als{SmallAls(k), 4, 7, RandomMatrix(4, k, 12), RandomMatrix(7, k, 13)};
  Fixture() {
    // The cold item 7 has the same text as item 2.
    for (int j = 0; j < d; ++j) emb[7 * d + j] = emb[2 * d + j];
  }
};

// A Catalogue over plain arrays, for testing a signal without a ranker: every item below
// als->num_items() has a factor, the others none; popularity order by descending score.
struct TestCatalogue {
  RankerOptions options;
  std::vector<float> y, y_t, e_t, pop, gram;
  std::vector<uint8_t> has_factor, trained;
  std::vector<uint32_t> no_factor, order;
  Catalogue cat;
  TestCatalogue(const AlsModel* als, const std::vector<float>& emb, size_t dim, uint32_t n, std::vector<float> p,
                RankerOptions o = {})
      : options(o), pop(std::move(p)) {
    const size_t k = als ? static_cast<size_t>(als->factors()) : 0;
    const uint32_t na = als ? als->num_items() : 0;
    y.assign(n * k, 0.f);
    if (als) std::copy(als->item_factors().begin(), als->item_factors().end(), y.begin());
    y_t.assign(k * n, 0.f);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < k; ++j) y_t[j * n + i] = y[i * k + j];
    e_t.assign(dim * n, 0.f);
    for (size_t i = 0; i < n && !emb.empty(); ++i)
      for (size_t j = 0; j < dim; ++j) e_t[j * n + i] = emb[i * dim + j];
    gram.assign(k * k, 0.f);
    for (size_t i = 0; i < na; ++i)
      for (size_t a = 0; a < k; ++a)
        for (size_t b = 0; b < k; ++b) gram[a * k + b] += y[i * k + a] * y[i * k + b];
    for (uint32_t i = 0; i < n; ++i) {
      has_factor.push_back(i < na ? 1 : 0);
      trained.push_back(i < na ? 1 : 0);
      if (i >= na) no_factor.push_back(i);
      order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return pop[a] > pop[b]; });
    cat.num_items = n;
    cat.options = &options;
    cat.als = als;
    cat.als_items = na;
    cat.k = k;
    cat.y = y;
    cat.has_factor = has_factor;
    cat.no_factor = no_factor;
    cat.trained = trained;
    cat.num_cold = no_factor.size();
    cat.gram = gram;
    cat.factors = {y_t.data(), n, k};
    cat.emb = emb;
    cat.dim = dim;
    cat.embeddings = {e_t.data(), n, dim};
    cat.popularity = pop;
    cat.popularity_order = order;
  }
  // s.full = s.query . table, as the ranker does for a signal that set s.dense.
  void ScoreDense(SignalScratch& s) const {
    const DenseTable& t = *s.dense;
    s.full.assign(cat.num_items, 0.f);
    for (size_t i = 0; i < cat.num_items; ++i)
      for (size_t j = 0; j < t.d; ++j) s.full[i] += t.data[j * t.ld + i] * s.query[j];
  }
};

// Options without the popularity blend and the cold-item policy (no estimated factors, no
// fresh-items signal): the plain fusion w z_collab + (1 - w) z_content, for tests of that formula.
inline RankerOptions PlainOptions() {
  RankerOptions o;
  o.popularity.mix = 0.f;
  o.cold_knn = 0;
  o.fresh.boost = 0.f;
  o.fresh.content_floor = 0.f;
  return o;
}

// The Fixture with a TestCatalogue over it, and options with T 4, w_max 0.8 and no popularity
// blend.
struct SignalFixture : Fixture {
  RankerOptions o = [] {
    RankerOptions r;
    r.popularity.mix = 0.f;
    r.T = 4.f;
    r.w_max = 0.8f;
    return r;
  }();
  TestCatalogue tc{&als, emb, static_cast<size_t>(d), n, pop, o};
};

// A query over a history (items ascending) with the given ALS confidences, and the view of it
// that a signal gets from the ranker.
struct TestQuery {
  std::vector<HistoryEntry> h;
  std::vector<uint32_t> items;
  std::vector<float> conf;
  UserQuery uq;
  QueryView view;
  TestQuery(std::vector<HistoryEntry> history, std::vector<float> confidence, const ActiveSignals* active = nullptr)
      : h(std::move(history)), conf(std::move(confidence)) {
    for (const auto& e : h) items.push_back(e.first);
    uq.history = h;
    view = QueryView{&uq, h, items, conf, items, active};
  }
  TestQuery(const TestQuery&) = delete;
  TestQuery& operator=(const TestQuery&) = delete;
};

// ActiveSignals over a fixed set of names, with the weights and z a test gives them.
struct NamesActive : ActiveSignals {
  std::vector<std::string_view> names;
  std::map<std::string_view, float> weights;
  std::map<std::string_view, std::vector<float>> zs;
  float secondary = 0.f;
  explicit NamesActive(std::vector<std::string_view> n) : names(std::move(n)) {}
  bool active(std::string_view name) const override {
    return std::find(names.begin(), names.end(), name) != names.end();
  }
  float weight(std::string_view name) const override {
    const auto it = weights.find(name);
    return active(name) && it != weights.end() ? it->second : 0.f;
  }
  float secondary_weight() const override { return secondary; }
  std::span<const float> z(std::string_view name) const override {
    const auto it = zs.find(name);
    return active(name) && it != zs.end() ? std::span<const float>(it->second) : std::span<const float>();
  }
};

}  // namespace hybridrec::ranking_test
