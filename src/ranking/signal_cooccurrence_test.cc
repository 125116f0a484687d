#include "ranking/signal_cooccurrence.h"

#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

TEST(HybridRankerCooccurrence, AddsTheZScoredItemKnnScore) {
  RandomModel m(40, 40, 71);
  const uint32_t n = m.n;
  const CsrMatrix train = RandomInteractions(50, n, 74);
  RankerOptions o;
  o.candidates = 8;
  o.T = 4.f;
  o.cooccurrence = {.weight = 1.5f, .neighbours = 12, .alpha = 0.5f, .beta = 0.3f};
  const auto nb =
      std::make_shared<const ItemNeighbours>(BuildItemNeighbours(train, o.cooccurrence.neighbour_options(), 1));
  HybridRanker r(&m.als, m.emb, m.d, nullptr, {}, o, {}, nb);
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
  ExpectFusedScores(resp);
  bool any_z = false;
  for (const auto& a : resp.items) {
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
  HybridRanker r_fade(&m.als, m.emb, m.d, nullptr, {}, fade, {}, nb);
  const auto faded = r_fade.Recommend(q, 40);
  EXPECT_FLOAT_EQ(faded.weight("cooccurrence"), 0.75f);
  ExpectFusedScores(faded);
  fade.cooccurrence.T = 3.f;  // history at the fade-out size: off
  EXPECT_EQ(HybridRanker(&m.als, m.emb, m.d, nullptr, {}, fade, {}, nb).Recommend(q, 5).weight("cooccurrence"), 0.f);
  // Weight 0: the plain hybrid, no table needed.
  RankerOptions off = o;
  off.cooccurrence.weight = 0.f;
  HybridRanker r_off(&m.als, m.emb, m.d, nullptr, {}, off);
  const auto base = r_off.Recommend(q, 40);
  EXPECT_FALSE(base.slot("cooccurrence").has_value());
  for (const auto& it : base.items) EXPECT_EQ(base.z(it, "cooccurrence"), 0.f);
  // On without a table, or with a table built for other parameters: refused.
  EXPECT_THROW(HybridRanker(&m.als, m.emb, m.d, nullptr, {}, o), std::invalid_argument);
  RankerOptions other = o;
  other.cooccurrence.beta = 0.f;
  EXPECT_THROW(HybridRanker(&m.als, m.emb, m.d, nullptr, {}, other, {}, nb), std::invalid_argument);
  // A grown catalogue keeps the table; the added item has no neighbours but may be recommended.
  const auto grown_emb = [&] {
    auto e = m.emb;
    const auto extra = RandomMatrix(1, m.d, 75, true);
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
