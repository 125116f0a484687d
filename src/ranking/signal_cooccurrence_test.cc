#include "ranking/signal_cooccurrence.h"

#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "ranking/hybrid_ranker.h"
#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

TEST(HybridRankerCooccurrence, AddsTheZScoredItemKnnScore) {
  const uint32_t n = 40;
  const int k = 4, d = 5;
  const auto emb = RandomMatrix(n, d, 71, true);
  AlsModel als(SmallAls(k), 6, n, RandomMatrix(6, k, 72), RandomMatrix(n, k, 73));
  const CsrMatrix train = RandomInteractions(50, n, 74);
  RankerOptions o;
  o.candidates = 8;
  o.T = 4.f;
  o.cooccurrence.weight = 1.5f;
  o.cooccurrence.neighbours = 12;
  o.cooccurrence.alpha = 0.5f;
  o.cooccurrence.beta = 0.3f;
  const auto nb = std::make_shared<const ItemNeighbours>(BuildItemNeighbours(train, o.cooccurrence.neighbour_options(), 1));
  HybridRanker r(&als, emb, d, nullptr, {}, o, {}, nb);
  const std::vector<HistoryEntry> h = {{3, 1.f}, {7, 2.f}, {11, 4.f}};
  UserQuery q;
  q.history = h;
  const auto resp = r.Recommend(q, 40);
  EXPECT_EQ(resp.path, RankPath::kHybrid);
  EXPECT_EQ(resp.weight("cooccurrence"), 1.5f);
  // Brute force: sum over the history of the kept neighbour weights.
  std::vector<double> want(n, 0.0);
  for (const auto& [item, strength] : h) {
    const auto js = nb->Items(item);
    const auto ws = nb->Weights(item);
    for (size_t t = 0; t < js.size(); ++t) want[js[t]] += ws[t];
  }
  // Its top-N (8) joins the candidates: every unseen item among them is returned.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  for (const auto& e : h) want[e.first] = -1.0;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return want[a] > want[b]; });
  std::set<uint32_t> returned;
  for (const auto& it : resp.items) returned.insert(it.item);
  for (size_t t = 0; t < 8; ++t) EXPECT_TRUE(returned.count(order[t])) << order[t];
  bool any_z = false;
  for (const auto& a : resp.items) {
    const float w = resp.weight("collab");
    EXPECT_NEAR(a.score, w * resp.z(a, "collab") + (1 - w) * resp.z(a, "content") + 1.5f * resp.z(a, "cooccurrence"),
                1e-5);
    any_z = any_z || resp.z(a, "cooccurrence") != 0.f;
    for (const auto& b : resp.items)
      if (want[a.item] > want[b.item] + 1e-6) {
        EXPECT_GT(resp.z(a, "cooccurrence"), resp.z(b, "cooccurrence"));
      }
  }
  EXPECT_TRUE(any_z);
  // Fading: g_u = weight x (1 - |history| / cooccurrence_T) = 1.5 x (1 - 3 / 6).
  RankerOptions fade = o;
  fade.cooccurrence.T = 6.f;
  HybridRanker r_fade(&als, emb, d, nullptr, {}, fade, {}, nb);
  const auto faded = r_fade.Recommend(q, 40);
  EXPECT_FLOAT_EQ(faded.weight("cooccurrence"), 0.75f);
  for (const auto& a : faded.items)
    EXPECT_NEAR(a.score,
                faded.weight("collab") * faded.z(a, "collab") + (1 - faded.weight("collab")) * faded.z(a, "content") +
                    0.75f * faded.z(a, "cooccurrence"),
                1e-5);
  fade.cooccurrence.T = 3.f;  // history at the fade-out size: off
  EXPECT_EQ(HybridRanker(&als, emb, d, nullptr, {}, fade, {}, nb).Recommend(q, 5).weight("cooccurrence"), 0.f);
  // Weight 0: the plain hybrid, no table needed.
  RankerOptions off = o;
  off.cooccurrence.weight = 0.f;
  HybridRanker r_off(&als, emb, d, nullptr, {}, off);
  const auto base = r_off.Recommend(q, 40);
  EXPECT_FALSE(base.slot("cooccurrence").has_value());
  for (const auto& it : base.items) EXPECT_EQ(base.z(it, "cooccurrence"), 0.f);
  // On without a table, or with a table built for other parameters: refused.
  EXPECT_THROW(HybridRanker(&als, emb, d, nullptr, {}, o), std::invalid_argument);
  RankerOptions other = o;
  other.cooccurrence.beta = 0.f;
  EXPECT_THROW(HybridRanker(&als, emb, d, nullptr, {}, other, {}, nb), std::invalid_argument);
  // A grown catalogue keeps the table; the added item has no neighbours but may be recommended.
  const auto grown_emb = [&] {
    auto e = emb;
    const auto extra = RandomMatrix(1, d, 75, true);
    e.insert(e.end(), extra.begin(), extra.end());
    return e;
  }();
  const auto grown = r.Extended(grown_emb, nullptr, {});
  const auto g = grown->Recommend(q, 40);
  EXPECT_EQ(g.weight("cooccurrence"), 1.5f);
  o.cooccurrence.alpha = -1.f;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
}


}  // namespace
}  // namespace hybridrec
