#include "ranking/hybrid_ranker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/topk.h"
#include "data/csr_matrix.h"
#include "index/brute_force_index.h"
#include "index/mips.h"
#include "ranking/ranking_kernels.h"
#include "ranking/ranking_test_util.h"
#include "ranking/recommenders.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

// ---- pure kernels ----

TEST(RankingKernels, CanonicalHistorySortsAndSumsDuplicates) {
  std::vector<HistoryEntry> h = {{5, 1.f}, {2, 2.f}, {5, 3.f}}, out;
  CanonicalHistory(h, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (HistoryEntry{2, 2.f}));
  EXPECT_EQ(out[1], (HistoryEntry{5, 4.f}));
  std::vector<HistoryEntry> bad = {{1, -1.f}};
  EXPECT_THROW(CanonicalHistory(bad, out), std::invalid_argument);
  std::vector<HistoryEntry> nan = {{1, std::numeric_limits<float>::quiet_NaN()}};
  EXPECT_THROW(CanonicalHistory(nan, out), std::invalid_argument);
}

TEST(RankingKernels, ContentProfileIsNormalisedWeightedMean) {
  const std::vector<float> e = {1, 0, 0, 1, 0, 0};  // 3 items x 2
  std::vector<uint32_t> items = {0, 1};
  std::vector<float> w = {3.f, 1.f};
  std::vector<float> p(2);
  ASSERT_TRUE(BuildContentProfile(e, 3, 2, items, w, p));
  EXPECT_NEAR(p[0], 3.f / std::sqrt(10.f), 1e-6);
  EXPECT_NEAR(p[1], 1.f / std::sqrt(10.f), 1e-6);
  // Only a zero embedding, or nothing usable: no profile.
  std::vector<uint32_t> zero = {2};
  std::vector<float> one = {1.f};
  EXPECT_FALSE(BuildContentProfile(e, 3, 2, zero, one, p));
  EXPECT_EQ(p[0], 0.f);
  EXPECT_FALSE(BuildContentProfile(e, 3, 2, {}, {}, p));
}

TEST(RankingKernels, EntryConfidenceLinearAndLog) {
  ConfidenceOptions c;
  c.alpha = 2.f;
  EXPECT_FLOAT_EQ(EntryConfidence(c, 3.f), 7.f);
  c.kind = ConfidenceKind::kLog;
  EXPECT_FLOAT_EQ(EntryConfidence(c, 3.f), 1.f + 2.f * std::log1p(3.f));
}

TEST(RankingKernels, UnionCandidatesDedupsSortsAndExcludes) {
  std::vector<uint32_t> ids = {7, 3, 9, 3, 1, 12}, ex = {9, 1}, out;
  std::vector<uint8_t> mark;
  UnionCandidates(ids, ex, 10, mark, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{3, 7}));
  for (uint8_t m : mark) EXPECT_EQ(m, 0);  // left clean for the next call
  UnionCandidates(ids, {}, 100, mark, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{1, 3, 7, 9, 12}));
  // Against a sort-based reference on random lists, dense (marking) and sparse (sorting) alike.
  std::mt19937 g(3);
  for (int trial = 0; trial < 100; ++trial) {
    const uint32_t limit = 1 + g() % (trial % 2 ? 300 : 20000);
    std::vector<uint32_t> in(g() % 100), exc(g() % 20);
    for (auto& v : in) v = g() % (limit + 10);
    for (auto& v : exc) v = g() % limit;
    std::set<uint32_t> want(in.begin(), in.end());
    for (uint32_t e : exc) want.erase(e);
    std::erase_if(want, [&](uint32_t v) { return v >= limit; });
    UnionCandidates(in, exc, limit, mark, out);
    EXPECT_EQ(out, std::vector<uint32_t>(want.begin(), want.end()));
    EXPECT_EQ(std::count(mark.begin(), mark.end(), uint8_t{1}), 0);
  }
}

// SelectTopN(s, n) selects the same set of indices as TopK(s, n).
void ExpectSelectTopNIsTopK(const std::vector<float>& s, size_t n) {
  std::vector<float> vals;
  std::vector<uint32_t> got;
  SelectTopN(s, n, vals, got);
  auto want = TopK(s, n);
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want) << "n=" << n;
}

TEST(RankingKernels, SelectTopNIsTheTopKSet) {
  std::mt19937_64 g(5);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> s(100);
    for (float& v : s) v = trial % 2 ? static_cast<float>(g() % 7) : static_cast<float>(g() % 100000) * 1e-3f;
    if (trial == 4) s[50] = std::numeric_limits<float>::max();
    if (trial == 4) s[51] = -std::numeric_limits<float>::max();  // range overflows float
    s[3] = std::numeric_limits<float>::quiet_NaN();
    s[9] = -std::numeric_limits<float>::infinity();
    for (size_t n : {size_t{0}, size_t{1}, size_t{10}, size_t{37}, size_t{98}, size_t{200}})
      ExpectSelectTopNIsTopK(s, n);
  }
}

TEST(RankingKernels, SelectTopNSampledPathIsExact) {
  // Catalogues >= 8 n take the sampled-threshold path: continuous scores, heavy ties, sorted
  // (adversarial for the sample) and mostly masked (-inf / NaN) scores.
  std::mt19937_64 g(7);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<float> s(1682 + trial);
    for (size_t i = 0; i < s.size(); ++i) {
      switch (trial % 4) {
        case 0:
          s[i] = static_cast<float>(g() % 1000000) * 1e-6f;
          break;
        case 1:
          s[i] = static_cast<float>(g() % 5);
          break;
        case 2:
          s[i] = static_cast<float>(i);
          break;
        default:
          s[i] = g() % 10 == 0 ? static_cast<float>(g() % 100) : -std::numeric_limits<float>::infinity();
      }
    }
    s[17] = std::numeric_limits<float>::quiet_NaN();
    for (size_t n : {size_t{8}, size_t{50}, size_t{100}, size_t{200}}) {
      SCOPED_TRACE("trial " + std::to_string(trial));
      ExpectSelectTopNIsTopK(s, n);
    }
  }
}

TEST(RankingKernels, CollabContributionsSumToFoldInScore) {
  const int k = 4;
  const uint32_t n_items = 12, n_users = 3;
  AlsOptions o = SmallAls(k);
  o.confidence.alpha = 2.f;
  AlsModel als(o, n_users, n_items, RandomMatrix(n_users, k, 1), RandomMatrix(n_items, k, 2));
  std::vector<HistoryEntry> hist = {{1, 1.f}, {4, 3.f}, {7, 2.f}};
  const auto x = als.FoldInUser(hist);
  // Y^T Y
  const auto y = als.item_factors();
  std::vector<float> gram(k * k, 0.f);
  for (uint32_t i = 0; i < n_items; ++i)
    for (int a = 0; a < k; ++a)
      for (int b = 0; b < k; ++b) gram[a * k + b] += y[i * k + a] * y[i * k + b];
  std::vector<uint32_t> items = {1, 4, 7};
  std::vector<float> conf = {3.f, 7.f, 5.f};
  std::vector<uint32_t> targets = {0, 5, 11};
  const auto c = CollabContributions(y, gram, k, items, conf, 0.5f, targets);
  ASSERT_EQ(c.size(), 3u);
  for (size_t q = 0; q < targets.size(); ++q) {
    double sum = 0.0;
    for (const auto& t : c[q]) sum += t.value;
    double dot = 0.0;
    for (int j = 0; j < k; ++j) dot += x[j] * y[targets[q] * k + j];
    EXPECT_NEAR(sum, dot, 1e-4) << "target " << targets[q];
  }
}

TEST(RankingKernels, ContentContributionsAreCosines) {
  const std::vector<float> e = {2, 0, 1, 1, 0, 3};  // unnormalised rows
  std::vector<uint32_t> h = {0, 2};
  const auto c = ContentContributions(e, 2, h, 1);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NEAR(c[0].value, 1.f / std::sqrt(2.f), 1e-6);
  EXPECT_NEAR(c[1].value, 1.f / std::sqrt(2.f), 1e-6);
  std::vector<Contribution> v = {{1, 0.2f}, {2, 0.5f}, {3, 0.5f}, {4, 0.1f}};
  KeepTopContributions(v, 2);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].history_item, 2u);  // tie: earlier first
  EXPECT_EQ(v[1].history_item, 3u);
}

TEST(RankingKernels, ContentToFactorMapRecoversLinearMap) {
  const size_t d = 5, n = 40;
  const int k = 3;
  const auto e = RandomMatrix(n, d, 3);
  const auto m_true = RandomMatrix(d, k, 4);
  std::vector<float> y(n * k, 0.f);
  for (size_t i = 0; i < n; ++i)
    for (int q = 0; q < k; ++q)
      for (size_t p = 0; p < d; ++p) y[i * k + q] += e[i * d + p] * m_true[p * k + q];
  std::vector<uint32_t> warm(30);
  std::iota(warm.begin(), warm.end(), 0u);
  const auto m = FitContentToFactorMap(e, d, y, k, warm, 1e-6f);
  ASSERT_EQ(m.size(), d * k);
  for (size_t t = 0; t < m.size(); ++t) EXPECT_NEAR(m[t], m_true[t], 1e-3);
  std::vector<float> est(k);
  ApplyContentToFactorMap(m, d, k, std::span<const float>(e).subspan(35 * d, d), est);
  for (int q = 0; q < k; ++q) EXPECT_NEAR(est[q], y[35 * k + q], 1e-3);
  EXPECT_THROW(FitContentToFactorMap(e, d, y, k, {}, 0.f), std::invalid_argument);
  EXPECT_THROW(FitContentToFactorMap(e, d, y, k, warm, -1.f), std::invalid_argument);
}

// ---- ranker ----

TEST(HybridRanker, KnownUserIsHybridWithAdaptiveWeight) {
  Fixture f;
  RankerOptions o = PlainOptions();
  o.T = 4.f;
  o.w_max = 0.8f;
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop, o);
  std::vector<HistoryEntry> h = {{0, 1.f}, {3, 2.f}};
  UserQuery q;
  q.known_user = 1;
  q.history = h;
  const auto resp = r.Recommend(q, 3);
  EXPECT_EQ(resp.path, RankPath::kHybrid);
  EXPECT_EQ(RankPathName(resp.path), "hybrid");
  EXPECT_FLOAT_EQ(resp.weight("collab"), 0.8f * 0.5f);
  ASSERT_EQ(resp.items.size(), 3u);
  for (const auto& it : resp.items) {
    EXPECT_NE(it.item, 0u);
    EXPECT_NE(it.item, 3u);
    EXPECT_NEAR(it.score,
                resp.weight("collab") * resp.z(it, "collab") + (1 - resp.weight("collab")) * resp.z(it, "content"),
                1e-5);
    ASSERT_TRUE(resp.raw(it, "content").has_value());
    if (it.item < 7) {
      ASSERT_TRUE(resp.raw(it, "collab").has_value());
      // Trained factor of user 1.
      float dot = 0.f;
      for (int j = 0; j < Fixture::k; ++j)
        dot += f.als.user_factors()[1 * Fixture::k + j] * f.als.item_factors()[it.item * Fixture::k + j];
      EXPECT_NEAR(*resp.raw(it, "collab"), dot, 1e-5);
    }
  }
  for (size_t t = 1; t < resp.items.size(); ++t) EXPECT_GE(resp.items[t - 1].score, resp.items[t].score);
}

TEST(HybridRanker, EmptyHistoryFallsBackToPopularity) {
  Fixture f;
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop);
  const auto resp = r.Recommend(UserQuery{}, 4);
  EXPECT_EQ(resp.path, RankPath::kPopularity);
  EXPECT_EQ(resp.weight("collab"), 0.f);
  ASSERT_EQ(resp.items.size(), 4u);
  // pop = {5, 9, 1, 7, 3, 9, 2, 0}: ties (1, 5) by index.
  EXPECT_EQ(resp.items[0].item, 1u);
  EXPECT_EQ(resp.items[1].item, 5u);
  EXPECT_EQ(resp.items[2].item, 3u);
  EXPECT_EQ(resp.items[3].item, 0u);
  EXPECT_FLOAT_EQ(resp.items[0].score, 9.f);
}

TEST(HybridRanker, NoAlsModelIsContentOnly) {
  Fixture f;
  RankerOptions o;
  o.popularity.mix = 0.f;  // content alone decides
  HybridRanker r(nullptr, f.emb, Fixture::d, nullptr, f.pop, o);
  std::vector<HistoryEntry> h = {{2, 1.f}};
  UserQuery q;
  q.history = h;
  const auto resp = r.Recommend(q, 1);
  EXPECT_EQ(resp.path, RankPath::kContent);
  EXPECT_EQ(resp.weight("collab"), 0.f);
  ASSERT_EQ(resp.items.size(), 1u);
  EXPECT_EQ(resp.items[0].item, 7u);  // identical text to the history item
  EXPECT_FALSE(resp.raw(resp.items[0], "collab").has_value());
}

TEST(HybridRanker, NoEmbeddingsIsCollabOnly) {
  Fixture f;
  HybridRanker r(&f.als, {}, 0, nullptr, {});
  std::vector<HistoryEntry> h = {{2, 1.f}, {4, 1.f}};
  UserQuery q;
  q.history = h;
  const auto resp = r.Recommend(q, 10);
  EXPECT_EQ(resp.path, RankPath::kCollab);
  EXPECT_EQ(resp.weight("collab"), 1.f);
  EXPECT_EQ(resp.items.size(), 5u);  // 7 items - 2 seen
  // Fold-in score order.
  const auto x = f.als.FoldInUser(h);
  std::vector<float> s(7);
  f.als.ScoreVector(x, s);
  for (size_t t = 1; t < resp.items.size(); ++t) EXPECT_GE(s[resp.items[t - 1].item], s[resp.items[t].item]);
}

TEST(HybridRanker, ColdItemReachableThroughContent) {
  Fixture f;
  RankerOptions o = PlainOptions();
  o.w_max = 0.f;  // rank by content only so the twin of the history item must come first
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop, o);
  EXPECT_FALSE(r.has_factor(7));
  EXPECT_TRUE(r.has_factor(2));
  std::vector<HistoryEntry> h = {{2, 1.f}};
  UserQuery q;
  q.history = h;
  const auto resp = r.Recommend(q, 8);
  EXPECT_EQ(resp.path, RankPath::kHybrid);
  ASSERT_FALSE(resp.items.empty());
  EXPECT_EQ(resp.items[0].item, 7u);
  EXPECT_FALSE(resp.raw(resp.items[0], "collab").has_value());
  EXPECT_EQ(resp.z(resp.items[0], "collab"), 0.f);
  EXPECT_EQ(resp.items.size(), 7u);  // every unseen item, k larger than the candidates
}

TEST(HybridRanker, ColdItemGetsItsNeighboursFactorByDefault) {
  Fixture f;  // item 7 has no trained factor and the same text as item 2
  RankerOptions defaults;  // the default cold-item policy, without the popularity blend
  defaults.popularity.mix = 0.f;
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop, defaults);
  EXPECT_TRUE(r.has_factor(7));  // estimated from its content neighbours
  // Its closest trained neighbour is its twin (cosine 1, weight 1), so y_7 leans to y_2.
  const auto sims = r.Similar(7, 1, SimilarMode::kCollab);
  ASSERT_EQ(sims.size(), 1u);
  EXPECT_EQ(sims[0].item, 2u);
  EXPECT_GT(sims[0].score, 0.9f);
  // A known user who took item 2 gets the twin, boosted by the fresh-items signal.
  std::vector<HistoryEntry> h = {{2, 5.f}, {0, 1.f}, {1, 1.f}};
  UserQuery q;
  q.known_user = 0;
  q.history = h;
  RankRequest rq;
  rq.k = 5;
  rq.explain = true;
  const auto resp = r.Recommend(q, rq);
  ASSERT_TRUE(resp.slot("fresh").has_value());
  bool found = false;
  for (const auto& it : resp.items) {
    if (it.item != 7) {
      EXPECT_EQ(resp.z(it, "fresh"), 0.f);
      continue;
    }
    found = true;
    EXPECT_GT(resp.z(it, "fresh"), 0.f);
    const auto why = resp.reasons(it, "fresh");
    ASSERT_FALSE(why.empty());
    EXPECT_EQ(why[0].history_item, 2u);  // "like item 2, which you took"
  }
  EXPECT_TRUE(found);
  // The boost grows with the weight of the non-primary signals (a new item has no popularity):
  // with a popularity blend of share m, by 1 + m / (1 - m). |history| 3 < T: no content floor.
  RankerOptions blend;
  blend.popularity.mix = 0.4f;
  const HybridRanker rb(&f.als, f.emb, Fixture::d, nullptr, f.pop, blend);
  const auto rb_resp = rb.Recommend(q, 8);
  const auto plain_resp = r.Recommend(q, 8);
  const float m = 0.4f * (1.f - 3.f / 20.f);
  auto fresh_z = [](const RankResponse& x) {
    for (const auto& it : x.items)
      if (it.item == 7) return x.z(it, "fresh");
    return 0.f;
  };
  ASSERT_GT(fresh_z(plain_resp), 0.f);
  EXPECT_NEAR(fresh_z(rb_resp) / fresh_z(plain_resp), 1.f + m / (1.f - m), 1e-4);
  // Turned off, the twin has no factor and no boost.
  const HybridRanker plain(&f.als, f.emb, Fixture::d, nullptr, f.pop, PlainOptions());
  EXPECT_FALSE(plain.has_factor(7));
  EXPECT_FALSE(plain.Recommend(q, 5).slot("fresh").has_value());
}

TEST(HybridRanker, MappedColdItemGetsAFactor) {
  Fixture f;
  RankerOptions o;
  o.map_cold_items = true;
  o.map_ridge = 0.1f;
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop, o);
  EXPECT_TRUE(r.has_factor(7));
  EXPECT_EQ(r.content_to_factor_map().size(), static_cast<size_t>(Fixture::d * Fixture::k));
  std::vector<HistoryEntry> h = {{0, 1.f}};
  UserQuery q;
  q.history = h;
  const auto resp = r.Recommend(q, 8);
  bool found = false;
  for (const auto& it : resp.items)
    if (it.item == 7) found = resp.raw(it, "collab").has_value();
  EXPECT_TRUE(found);
}

TEST(HybridRanker, ExcludeSeenIsPerRequest) {
  Fixture f;
  std::vector<HistoryEntry> h = {{0, 1.f}, {1, 1.f}, {2, 1.f}};
  UserQuery q;
  q.history = h;
  HybridRanker excl(&f.als, f.emb, Fixture::d, nullptr, f.pop);
  for (const auto& it : excl.Recommend(q, 8).items) EXPECT_GT(it.item, 2u);
  RankRequest rq;
  rq.k = 8;
  rq.exclude_seen = false;
  const auto resp = excl.Recommend(q, rq);
  EXPECT_EQ(resp.items.size(), 8u);
}

TEST(HybridRanker, TiesAreStableByItemIndex) {
  // All items have the same embedding and no ALS: every content score ties.
  std::vector<float> emb(6 * 2, 0.f);
  for (int i = 0; i < 6; ++i) emb[i * 2] = 1.f;
  HybridRanker r(nullptr, emb, 2, nullptr, {});
  std::vector<HistoryEntry> h = {{3, 1.f}};
  UserQuery q;
  q.history = h;
  const auto resp = r.Recommend(q, 10);
  ASSERT_EQ(resp.items.size(), 5u);
  const std::vector<uint32_t> want = {0, 1, 2, 4, 5};
  for (size_t t = 0; t < want.size(); ++t) {
    EXPECT_EQ(resp.items[t].item, want[t]);
    EXPECT_EQ(resp.items[t].score, 0.f);  // constant signal: z = 0
  }
}

TEST(HybridRanker, DeterministicAndScoreIntoMatchesRecommend) {
  const uint32_t n = 60;
  const int k = 5, d = 6;
  const auto emb = RandomMatrix(n, d, 21, true);
  AlsModel als(SmallAls(k), 10, n, RandomMatrix(10, k, 22), RandomMatrix(n, k, 23));
  std::vector<float> pop(n);
  for (uint32_t i = 0; i < n; ++i) pop[i] = static_cast<float>((i * 37) % 11);
  RankerOptions o;
  o.candidates = 10;
  o.popularity.mix = 0.5f;
  HybridRanker r(&als, emb, d, nullptr, pop, o);
  std::vector<HistoryEntry> h = {{4, 2.f}, {17, 1.f}, {33, 5.f}};
  UserQuery q;
  q.known_user = 3;
  q.history = h;
  const auto a = r.Recommend(q, 15);
  const auto b = r.Recommend(q, 15);
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t t = 0; t < a.items.size(); ++t) {
    EXPECT_EQ(a.items[t].item, b.items[t].item);
    EXPECT_EQ(a.items[t].score, b.items[t].score);
  }
  EXPECT_GT(a.weight("popularity"), 0.f);
  std::vector<float> scores(n);
  r.ScoreInto(q, scores);
  const auto top = TopK(scores, 15);
  ASSERT_EQ(top.size(), a.items.size());
  for (size_t t = 0; t < top.size(); ++t) {
    EXPECT_EQ(top[t], a.items[t].item);
    EXPECT_EQ(scores[top[t]], a.items[t].score);
  }
  // Candidates: at most 3 x N items, history excluded.
  size_t finite = 0;
  for (float s : scores) finite += std::isfinite(s) ? 1 : 0;
  EXPECT_LE(finite, 30u);
  EXPECT_FALSE(std::isfinite(scores[4]));
}

TEST(RankingKernels, ScoreTransposedBatchEqualsSingleQueryKernel) {
  // n = 150: two full 64-item tiles and a partial one; a zero query entry is skipped in both.
  const size_t n = 150, d = 7;
  const auto et = RandomMatrix(d, n, 31);
  auto qs = RandomMatrix(3, d, 32);
  qs[1 * d + 2] = 0.f;
  std::vector<std::vector<float>> outs(3, std::vector<float>(n, -1.f));
  const float* q[3] = {qs.data(), qs.data() + d, qs.data() + 2 * d};
  float* o[3] = {outs[0].data(), outs[1].data(), outs[2].data()};
  ScoreTransposedBatch(et, n, d, q, o);
  for (size_t b = 0; b < 3; ++b) {
    std::vector<float> single(n);
    ScoreTransposed(et, n, d, std::span<const float>(qs).subspan(b * d, d), single);
    for (size_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(outs[b][i], single[i]) << "query " << b << " item " << i;
  }
  const float* q1[1] = {qs.data()};
  EXPECT_THROW(ScoreTransposedBatch(et, n, d, q1, {o, 2}), std::invalid_argument);
}

TEST(HybridRanker, BatchEqualsPerQueryResults) {
  // More queries than one block, mixing known users, fold-in users, an empty history
  // (popularity path) and a history with only the factor-less item 69 (content path).
  const uint32_t n = 70;
  const int k = 5, d = 6;
  const auto emb = RandomMatrix(n, d, 41, true);
  AlsModel als(SmallAls(k), 50, n - 1, RandomMatrix(50, k, 42), RandomMatrix(n - 1, k, 43));
  std::vector<float> pop(n);
  for (uint32_t i = 0; i < n; ++i) pop[i] = static_cast<float>((i * 37) % 11);
  RankerOptions o;
  o.candidates = 12;
  o.popularity.mix = 0.3f;
  o.recent.items = 2;  // a recent-items factor for every other query (its own batch rows)
  o.recent.weight = 0.7f;
  o.cooccurrence.weight = 0.5f;  // the co-occurrence signal for every query with a history
  o.cooccurrence.neighbours = 15;
  const auto nb = std::make_shared<const ItemNeighbours>(
      BuildItemNeighbours(RandomInteractions(60, n - 1, 44), o.cooccurrence.neighbour_options(), 1));
  HybridRanker r(&als, emb, d, nullptr, pop, o, {}, nb);
  const size_t nq = HybridRanker::kBatchBlock + 9;
  std::vector<std::vector<HistoryEntry>> hist(nq);
  std::vector<std::vector<uint32_t>> recent(nq);
  std::vector<UserQuery> qs(nq);
  for (size_t t = 0; t < nq; ++t) {
    for (uint32_t j = 0; j < t % 7; ++j)
      hist[t].push_back({static_cast<uint32_t>((t * 13 + j * 5) % (n - 1)), 1.f + j});
    if (t == 5) hist[t] = {{69, 2.f}};
    for (auto it = hist[t].rbegin(); it != hist[t].rend() && t % 2 == 1; ++it) recent[t].push_back(it->first);
    qs[t].history = hist[t];
    qs[t].recent = recent[t];
    if (t % 3 == 0) qs[t].known_user = static_cast<uint32_t>(t % 50);
    if (t % 6 == 3) qs[t].use_trained_factor = false;
  }
  std::vector<RankResponse> batch(nq);
  r.RecommendBatch(qs, 8, batch);
  std::vector<float> scores(nq * n), one(n);
  r.ScoreIntoBatch(qs, scores);
  for (size_t t = 0; t < nq; ++t) {
    const auto single = r.Recommend(qs[t], 8);
    EXPECT_EQ(batch[t].path, single.path) << t;
    EXPECT_EQ(batch[t].weight("collab"), single.weight("collab")) << t;
    ASSERT_EQ(batch[t].items.size(), single.items.size()) << t;
    for (size_t j = 0; j < single.items.size(); ++j) {
      EXPECT_EQ(batch[t].items[j].item, single.items[j].item) << t;
      EXPECT_FLOAT_EQ(batch[t].items[j].score, single.items[j].score) << t;
    }
    r.ScoreInto(qs[t], one);
    for (uint32_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(scores[t * n + i], one[i]) << t << " " << i;
  }
  EXPECT_EQ(batch[5].path, RankPath::kContent);
  EXPECT_EQ(batch[0].path, RankPath::kPopularity);
  EXPECT_GT(batch[3].weight("recent"), 0.f);  // t = 3: three history items, recent on
  EXPECT_EQ(batch[4].weight("recent"), 0.f);
  EXPECT_EQ(batch[4].weight("cooccurrence"), 0.5f);
  std::vector<RankResponse> wrong(1);
  EXPECT_THROW(r.RecommendBatch(qs, 8, wrong), std::invalid_argument);
}

TEST(HybridRanker, IndexPathMatchesBruteForce) {
  const uint32_t n = 50;
  const int k = 4, d = 8;
  const auto emb = RandomMatrix(n, d, 31, true);
  AlsModel als(SmallAls(k), 5, n, RandomMatrix(5, k, 32), RandomMatrix(n, k, 33));
  BruteForceIndex index(d);
  std::vector<int64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  ASSERT_TRUE(index.Add(emb, ids).ok());
  RankerOptions o;
  o.candidates = 7;
  o.brute_force_max_items = 0;  // use the index
  HybridRanker brute(&als, emb, d, nullptr, {}, o);
  HybridRanker indexed(&als, emb, d, &index, {}, o);
  std::vector<HistoryEntry> h = {{1, 1.f}, {9, 1.f}, {30, 4.f}};
  UserQuery q;
  q.history = h;
  const auto a = brute.Recommend(q, 10), b = indexed.Recommend(q, 10);
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t t = 0; t < a.items.size(); ++t) {
    EXPECT_EQ(a.items[t].item, b.items[t].item);
    EXPECT_NEAR(a.items[t].score, b.items[t].score, 1e-4);
  }
}

// Exact MIPS through a flat index over the transformed factors proposes what the exact scan
// does, so the lists agree: known users, fold-in users, the recent-items signal, the batch
// path, items without training interactions (popularity 0: scored beside the index from their
// estimated factor) and items added later.
TEST(HybridRanker, FactorIndexPathMatchesTheExactScan) {
  const uint32_t n = 120, trained = 100;
  const int k = 6, d = 8;
  const auto emb = RandomMatrix(n, d, 71, true);
  AlsModel als(SmallAls(k), 20, trained, RandomMatrix(20, k, 72), RandomMatrix(trained, k, 73));
  std::vector<float> pop(n, 0.f);
  for (uint32_t i = 0; i < trained; ++i) pop[i] = i % 10 == 0 ? 0.f : 1.f + static_cast<float>(i % 7);
  std::vector<uint32_t> rows;
  for (uint32_t i = 0; i < trained; ++i)
    if (pop[i] > 0.f) rows.push_back(i);
  IndexOptions io;
  io.kind = IndexKind::kFlat;
  auto factor_index = BuildMipsIndex(io, k, als.item_factors(), rows, {});
  ASSERT_TRUE(factor_index.ok()) << factor_index.status().message();
  RankerOptions o;
  o.candidates = 12;
  o.recent.items = 2;
  o.recent.weight = 0.5f;
  o.popularity.mix = 0.f;  // so that items without interactions (popularity 0) reach the lists
  o.brute_force_max_items = 0;
  HybridRanker exact(&als, emb, d, nullptr, pop, o);
  HybridRanker indexed(&als, emb, d, nullptr, pop, o, {}, nullptr, {}, factor_index->get());
  o.brute_force_max_items = n;  // not above it: the index is left unused
  HybridRanker small(&als, emb, d, nullptr, pop, o, {}, nullptr, {}, factor_index->get());
  auto same = [](const RankResponse& a, const RankResponse& b) {
    ASSERT_EQ(a.items.size(), b.items.size());
    for (size_t t = 0; t < a.items.size(); ++t) {
      EXPECT_EQ(a.items[t].item, b.items[t].item) << t;
      EXPECT_NEAR(a.items[t].score, b.items[t].score, 1e-4);
    }
  };
  std::vector<std::vector<HistoryEntry>> hist(20);
  std::vector<std::vector<uint32_t>> recent(20);
  std::vector<UserQuery> qs(20);
  for (uint32_t u = 0; u < 20; ++u) {
    for (uint32_t t = 0; t < 3 + u % 5; ++t) hist[u].push_back({(u * 7 + t * 13) % n, 1.f + static_cast<float>(t)});
    for (const auto& e : hist[u]) recent[u].push_back(e.first);
    qs[u].history = hist[u];
    qs[u].recent = recent[u];
    if (u % 2 == 0) qs[u].known_user = u;  // odd users: folded in from the history
  }
  bool estimated_shown = false;
  for (const UserQuery& q : qs) {
    const auto a = exact.Recommend(q, 10), b = indexed.Recommend(q, 10);
    same(a, b);
    same(a, small.Recommend(q, 10));
    for (const auto& it : b.items) estimated_shown = estimated_shown || !indexed.has_trained_factor(it.item);
  }
  EXPECT_TRUE(estimated_shown) << "no item without a trained factor reached a list: the test misses that path";
  std::vector<RankResponse> ea(qs.size()), eb(qs.size());
  exact.RecommendBatch(qs, 10, ea);
  indexed.RecommendBatch(qs, 10, eb);
  for (size_t u = 0; u < qs.size(); ++u) same(ea[u], eb[u]);
  // Items added after training: scored exactly, beside the index.
  const auto grown = RandomMatrix(n + 15, d, 74, true);
  std::vector<float> grown_emb(emb);
  grown_emb.insert(grown_emb.end(), grown.begin() + static_cast<std::ptrdiff_t>(n) * d, grown.end());
  std::vector<float> grown_pop(pop);
  grown_pop.resize(n + 15, 0.f);
  const auto ex = exact.Extended(grown_emb, nullptr, grown_pop), ix = indexed.Extended(grown_emb, nullptr, grown_pop);
  for (const UserQuery& q : qs) same(ex->Recommend(q, 10), ix->Recommend(q, 10));
  // A factor index of another dimension is refused.
  io.kind = IndexKind::kFlat;
  auto wrong = BuildMipsIndex(io, 2, std::vector<float>(8, 1.f), std::vector<uint32_t>{0, 1}, {});
  ASSERT_TRUE(wrong.ok());
  EXPECT_THROW(HybridRanker(&als, emb, d, nullptr, pop, o, {}, nullptr, {}, wrong->get()), std::invalid_argument);
}

TEST(HybridRanker, ExplanationsDecomposeTheFoldInScore) {
  const uint32_t n = 30;
  const int k = 4, d = 5;
  const auto emb = RandomMatrix(n, d, 41, true);
  AlsModel als(SmallAls(k), 5, n, RandomMatrix(5, k, 42), RandomMatrix(n, k, 43));
  HybridRanker r(&als, emb, d, nullptr, {});
  std::vector<HistoryEntry> h = {{2, 1.f}, {11, 3.f}, {20, 2.f}};
  UserQuery q;
  q.history = h;  // new user: fold-in
  RankRequest rq;
  rq.k = 5;
  rq.explain = true;
  rq.explain_items = 10;  // keep every term so they sum to the score
  const auto resp = r.Recommend(q, rq);
  ASSERT_EQ(resp.path, RankPath::kHybrid);
  for (const auto& it : resp.items) {
    const auto collab = resp.reasons(it, "collab"), content = resp.reasons(it, "content");
    ASSERT_EQ(collab.size(), 3u);
    double sum = 0.0;
    for (const auto& c : collab) sum += c.value;
    EXPECT_NEAR(sum, *resp.raw(it, "collab"), 1e-4);
    ASSERT_EQ(content.size(), 3u);
    EXPECT_GE(content[0].value, content[1].value);
    EXPECT_LE(content[0].value, 1.f + 1e-5f);
  }
  std::vector<HistoryEntry> h4 = {{2, 1.f}, {11, 3.f}, {20, 2.f}, {25, 1.f}};
  q.history = h4;
  const auto r3 = r.Recommend(q, 3, true);  // the default: 3 reasons each
  for (const auto& it : r3.items) {
    EXPECT_EQ(r3.reasons(it, "collab").size(), 3u);
    EXPECT_EQ(r3.reasons(it, "content").size(), 3u);
  }
}

TEST(HybridRanker, SimilarItemsInThreeModes) {
  Fixture f;
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop, PlainOptions());
  const auto c = r.Similar(2, 3, SimilarMode::kContent);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].item, 7u);
  EXPECT_NEAR(c[0].score, 1.f, 1e-5);
  const auto col = r.Similar(2, 10, SimilarMode::kCollab);
  EXPECT_EQ(col.size(), 6u);  // items with a factor, self excluded
  for (const auto& s : col) {
    EXPECT_NE(s.item, 2u);
    EXPECT_NE(s.item, 7u);
    EXPECT_LE(std::abs(s.score), 1.f + 1e-5f);
  }
  const auto hyb = r.Similar(2, 10, SimilarMode::kHybrid);
  EXPECT_EQ(hyb.size(), 7u);
  for (const auto& s : hyb) EXPECT_NE(s.item, 2u);
  EXPECT_TRUE(r.Similar(7, 3, SimilarMode::kCollab).empty());  // cold item has no factor
  EXPECT_EQ(r.Similar(7, 3, SimilarMode::kHybrid)[0].item, 2u);
  EXPECT_EQ(ParseSimilarMode("collab"), SimilarMode::kCollab);
  EXPECT_FALSE(ParseSimilarMode("x").has_value());
}

TEST(HybridRanker, RejectsMisuse) {
  Fixture f;
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop);
  std::vector<HistoryEntry> h = {{99, 1.f}};
  UserQuery q;
  q.history = h;
  EXPECT_THROW(r.Recommend(q, 3), std::invalid_argument);
  UserQuery u;
  u.known_user = 50;
  EXPECT_THROW(r.Recommend(u, 3), std::invalid_argument);
  RankerOptions o;
  o.w_max = 2.f;
  EXPECT_THROW(HybridRanker(&f.als, f.emb, Fixture::d, nullptr, f.pop, o), std::invalid_argument);
  std::vector<float> short_pop = {1.f};
  EXPECT_THROW(HybridRanker(&f.als, f.emb, Fixture::d, nullptr, short_pop), std::invalid_argument);
}

// ---- growing catalogues (Extended) ----

void ExpectSameResponse(const RankResponse& a, const RankResponse& b, const std::string& what) {
  EXPECT_EQ(a.path, b.path) << what;
  ASSERT_EQ(a.signals.size(), b.signals.size()) << what;
  for (size_t i = 0; i < a.signals.size(); ++i) {
    EXPECT_EQ(a.signals[i].name, b.signals[i].name) << what;
    EXPECT_EQ(a.signals[i].weight, b.signals[i].weight) << what;
  }
  ASSERT_EQ(a.items.size(), b.items.size()) << what;
  for (size_t t = 0; t < a.items.size(); ++t) {
    const RankedItem &x = a.items[t], &y = b.items[t];
    EXPECT_EQ(x.item, y.item) << what << " rank " << t;
    EXPECT_EQ(x.score, y.score) << what << " rank " << t;
    EXPECT_EQ(a.raw(x, "collab"), b.raw(y, "collab")) << what << " rank " << t;
    EXPECT_EQ(a.raw(x, "content"), b.raw(y, "content")) << what << " rank " << t;
    const auto xc = a.reasons(x, "collab"), yc = b.reasons(y, "collab");
    ASSERT_EQ(xc.size(), yc.size()) << what;
    for (size_t c = 0; c < xc.size(); ++c) {
      EXPECT_EQ(xc[c].history_item, yc[c].history_item) << what;
      EXPECT_EQ(xc[c].value, yc[c].value) << what;
    }
    ASSERT_EQ(a.reasons(x, "content").size(), b.reasons(y, "content").size()) << what;
  }
}

// A ranker grown item batch by item batch must answer exactly as one built on the grown
// catalogue: Recommend (with explanations), ScoreInto, Similar in every mode, for trained and
// added items, with and without the cold-item map and the vector index.
void CheckExtendedMatchesFresh(RankerOptions o, bool with_index) {
  const uint32_t trained = 30, base = 40, total = 75;
  const int k = 4, d = 6;
  const auto emb = RandomMatrix(total, d, 51, true);
  AlsModel als(SmallAls(k), 6, trained, RandomMatrix(6, k, 52), RandomMatrix(trained, k, 53));
  std::vector<float> pop(total, 0.f);
  for (uint32_t i = 0; i < trained; ++i) pop[i] = static_cast<float>(1 + (i * 7) % 11);
  std::vector<std::unique_ptr<BruteForceIndex>> indexes;
  auto index_of = [&](uint32_t n) -> const VectorIndex* {
    if (!with_index) return nullptr;
    auto ix = std::make_unique<BruteForceIndex>(d);
    std::vector<int64_t> ids(n);
    std::iota(ids.begin(), ids.end(), 0);
    EXPECT_TRUE(ix->Add(std::span<const float>(emb).subspan(0, n * d), ids).ok());
    indexes.push_back(std::move(ix));
    return indexes.back().get();
  };
  auto rows = [&](uint32_t n) { return std::span<const float>(emb).subspan(0, n * static_cast<size_t>(d)); };
  auto pops = [&](uint32_t n) { return std::span<const float>(pop).subspan(0, n); };
  const HybridRanker r0(&als, rows(base), d, index_of(base), pops(base), o);
  auto r1 = r0.Extended(rows(base + 1), index_of(base + 1), pops(base + 1));  // r0's tables are full: copied
  EXPECT_FALSE(r1->SharesTablesWith(r0));
  EXPECT_GT(r1->table_capacity(), base + 1u);
  auto r2 = r1->Extended(rows(60), index_of(60), pops(60));  // in place
  EXPECT_TRUE(r2->SharesTablesWith(*r1));
  auto r3 = r2->Extended(rows(total), index_of(total), pops(total));
  EXPECT_TRUE(r3->SharesTablesWith(*r1));
  // A second extension of r1 cannot fill rows r2 and r3 read: it gets its own tables.
  auto r1b = r1->Extended(rows(50), index_of(50), pops(50));
  EXPECT_FALSE(r1b->SharesTablesWith(*r1));

  const std::vector<std::pair<const HybridRanker*, uint32_t>> grown = {
      {&r0, base}, {r1.get(), base + 1}, {r2.get(), 60}, {r3.get(), total}, {r1b.get(), 50}};
  for (const auto& [r, n] : grown) {
    ASSERT_EQ(r->num_items(), n);
    const HybridRanker fresh(&als, rows(n), d, index_of(n), pops(n), o);
    const std::string what = "n=" + std::to_string(n);
    for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(r->has_factor(i), fresh.has_factor(i)) << what << " item " << i;
    std::vector<HistoryEntry> h1 = {{2, 1.f}, {n - 1, 2.f}};
    std::vector<HistoryEntry> h2 = {{5, 3.f}, {17, 1.f}, {29, 1.f}};
    UserQuery known;
    known.known_user = 3;
    known.history = h2;
    UserQuery folded;
    folded.history = h1;
    const UserQuery empty;
    for (const UserQuery* q : std::vector<const UserQuery*>{&known, &folded, &empty}) {
      ExpectSameResponse(r->Recommend(*q, 12, true), fresh.Recommend(*q, 12, true), what);
      std::vector<float> a(n), b(n);
      EXPECT_EQ(r->ScoreInto(*q, a), fresh.ScoreInto(*q, b));
      EXPECT_EQ(a, b) << what;
    }
    for (uint32_t item : {1u, n - 1}) {
      for (SimilarMode mode : {SimilarMode::kContent, SimilarMode::kCollab, SimilarMode::kHybrid}) {
        const auto a = r->Similar(item, 8, mode), b = fresh.Similar(item, 8, mode);
        ASSERT_EQ(a.size(), b.size()) << what;
        for (size_t t = 0; t < a.size(); ++t) {
          EXPECT_EQ(a[t].item, b[t].item) << what;
          EXPECT_EQ(a[t].score, b[t].score) << what;
        }
      }
    }
  }
}

TEST(HybridRankerGrowth, ExtendedMatchesARankerBuiltOnTheGrownCatalogue) {
  RankerOptions o;
  o.candidates = 9;
  o.T = 3.f;
  CheckExtendedMatchesFresh(o, false);
}

TEST(HybridRankerGrowth, ExtendedWithTheColdItemMapAndAPopularityBlend) {
  RankerOptions o;
  o.candidates = 9;
  o.map_cold_items = true;
  o.map_ridge = 0.5f;
  o.popularity.mix = 0.4f;
  CheckExtendedMatchesFresh(o, false);
}

TEST(HybridRankerGrowth, ExtendedWithTheIndexPath) {
  RankerOptions o;
  o.candidates = 9;
  o.brute_force_max_items = 0;  // always search the index
  CheckExtendedMatchesFresh(o, true);
}

TEST(HybridRankerGrowth, NewItemsWithPopularityRebuildTheOrder) {
  Fixture f;
  const std::vector<float> emb0(f.emb.begin(), f.emb.begin() + 7 * Fixture::d);
  std::vector<float> pop0(f.pop.begin(), f.pop.begin() + 7);
  const HybridRanker r(&f.als, emb0, Fixture::d, nullptr, pop0);
  std::vector<float> pop = pop0;
  pop.push_back(100.f);  // scores above every trained item: not an append to the order
  auto g = r.Extended(f.emb, nullptr, pop);
  ASSERT_EQ(g->num_items(), 8u);
  EXPECT_FALSE(g->SharesTablesWith(r));
  const auto resp = g->Recommend(UserQuery{}, 2);
  ASSERT_EQ(resp.items.size(), 2u);
  EXPECT_EQ(resp.items[0].item, 7u);
  EXPECT_EQ(resp.items[1].item, 1u);
  // The original keeps its own order.
  EXPECT_EQ(r.Recommend(UserQuery{}, 1).items[0].item, 1u);
}

TEST(HybridRankerGrowth, RejectsInconsistentExtensions) {
  Fixture f;
  const HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop);
  std::vector<float> shorter(f.emb.begin(), f.emb.begin() + 4 * Fixture::d);
  EXPECT_THROW(r.Extended(shorter, nullptr, {}), std::invalid_argument);
  std::vector<float> more = f.emb;
  more.resize(more.size() + Fixture::d, 0.5f);
  EXPECT_THROW(r.Extended(more, nullptr, f.pop), std::invalid_argument);  // popularity one short
  EXPECT_THROW(r.Extended(more, nullptr, {}), std::invalid_argument);     // popularity dropped
  const HybridRanker collab_only(&f.als, {}, 0, nullptr, {});
  EXPECT_THROW(collab_only.Extended(more, nullptr, {}), std::invalid_argument);
}

// ---- adapters ----

InteractionMatrix SmallTrain(uint32_t users, uint32_t items, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<Interaction> v;
  for (uint32_t u = 0; u < users; ++u)
    for (uint32_t i = 0; i < items; ++i)
      if (g() % 4 == 0) v.push_back({u, i, static_cast<float>(1 + g() % 5), 0});
  return BuildInteractionMatrix(users, items, v);
}

// Random unit embeddings of dimension d, SmallTrain and the FitInput over it.
struct SmallFit {
  std::vector<float> emb;
  Dataset ds;
  InteractionMatrix train;
  FitInput in;
  SmallFit(uint32_t users, uint32_t items, int d, uint64_t seed)
      : emb(RandomMatrix(items, d, seed, true)), train(SmallTrain(users, items, seed + 1)) {
    in.dataset = &ds;
    in.train = &train;
  }
};

TEST(Recommenders, HybridBatchEqualsSingleAndHistory) {
  const uint32_t users = 30, items = 40;
  const int d = 6;
  const SmallFit fit(users, items, d, 51);
  HybridRecommenderOptions o;
  o.als = SmallAls(4);
  o.als.iterations = 3;
  o.ranker.candidates = 10;
  o.threads = 2;
  HybridRecommender hr(fit.emb, d, o);
  ASSERT_TRUE(hr.Fit(fit.in).ok());
  std::vector<uint32_t> us(users);
  std::iota(us.begin(), us.end(), 0u);
  std::vector<float> batch(users * items), one(items);
  hr.ScoreUsers(us, batch, items);
  for (uint32_t u = 0; u < users; ++u) {
    hr.ScoreUser(u, one);
    for (uint32_t i = 0; i < items; ++i) ASSERT_EQ(batch[u * items + i], one[i]);
    for (uint32_t i : fit.train.by_user.RowIndices(u)) EXPECT_FALSE(std::isfinite(one[i]));
  }
  std::vector<std::pair<uint32_t, float>> h = {{0, 3.f}, {5, 1.f}};
  hr.ScoreHistory(h, one);
  EXPECT_FALSE(std::isfinite(one[0]));
  size_t finite = 0;
  for (float s : one) finite += std::isfinite(s) ? 1 : 0;
  EXPECT_GT(finite, 5u);
  hr.ScoreHistory({}, one);  // popularity
  for (uint32_t i = 0; i < items; ++i) EXPECT_EQ(one[i], hr.popularity().item_scores()[i]);
  const std::vector<float> short_emb(10, 0.f);
  HybridRecommender bad(short_emb, d, o);
  EXPECT_FALSE(bad.Fit(fit.in).ok());
}

TEST(Recommenders, ContentScoresAreProfileDots) {
  const uint32_t users = 5, items = 12;
  const int d = 3;
  const SmallFit fit(users, items, d, 61);
  ContentRecommender cr(fit.emb, d);
  ASSERT_TRUE(cr.Fit(fit.in).ok());
  std::vector<float> s(items), h(items);
  for (uint32_t u = 0; u < users; ++u) {
    cr.ScoreUser(u, s);
    std::vector<std::pair<uint32_t, float>> hist;
    for (uint64_t t = fit.train.by_user.indptr[u]; t < fit.train.by_user.indptr[u + 1]; ++t)
      hist.push_back({fit.train.by_user.indices[t], fit.train.by_user.values[t]});
    cr.ScoreHistory(hist, h);
    for (uint32_t i = 0; i < items; ++i) EXPECT_NEAR(s[i], h[i], 1e-5);
    // score = E_i . p with p the normalised (1 + r)-weighted mean.
    std::vector<double> p(d, 0.0);
    for (const auto& [i, r] : hist)
      for (int j = 0; j < d; ++j) p[j] += (1.0 + r) * fit.emb[i * d + j];
    double nrm = 0.0;
    for (double v : p) nrm += v * v;
    nrm = std::sqrt(nrm);
    for (uint32_t i = 0; i < items; ++i) {
      double dot = 0.0;
      for (int j = 0; j < d; ++j) dot += fit.emb[i * d + j] * p[j] / nrm;
      EXPECT_NEAR(s[i], dot, 1e-5);
    }
  }
}

}  // namespace
}  // namespace hybridrec
