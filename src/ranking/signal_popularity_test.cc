#include "ranking/signal_popularity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

TEST(PopularitySignal, FadingShareEntersAsAnEquivalentWeight) {
  Fixture f;
  RankerOptions o;
  o.T = 4.f;
  o.popularity.mix = 0.5f;
  o.popularity.T = 8.f;
  TestCatalogue tc(&f.als, f.emb, Fixture::d, Fixture::n, f.pop, o);
  auto sig = MakePopularitySignal({&f.als, true, nullptr}, o);
  ASSERT_NE(sig, nullptr);
  EXPECT_FALSE(sig->primary());
  const TestQuery tq({{0, 1.f}, {1, 1.f}}, {2.f, 2.f});
  const QueryView& q = tq.view;
  SignalScratch s;
  ASSERT_TRUE(sig->Prepare(tc.cat, q, s));
  // m = 0.5 x (1 - 2 / 8) = 0.375; a blend (1 - m) F + m z ranks as F + m / (1 - m) z.
  EXPECT_FLOAT_EQ(sig->Weight(tc.cat, q, s, NamesActive({})), 0.375f / 0.625f);
  std::vector<uint32_t> out;
  sig->Propose(tc.cat, q, s, 3, out);
  // pop = {5, 9, 1, 7, 3, 9, 2, 0}, items 0 and 1 seen: 5, 3, 4.
  EXPECT_EQ(out, (std::vector<uint32_t>{5, 3, 4}));
  std::vector<float> raw(2);
  const std::vector<uint32_t> cand = {3, 6};
  sig->Score(tc.cat, q, s, cand, raw);
  EXPECT_EQ(raw, (std::vector<float>{7.f, 2.f}));
  // Item 7 has no training interactions (popularity 0): no score, not the lowest one.
  const std::vector<uint32_t> cold = {7, 1};
  sig->Score(tc.cat, q, s, cold, raw);
  EXPECT_TRUE(std::isnan(raw[0]));
  EXPECT_EQ(raw[1], 9.f);
  // The blend vanishes at its T.
  const TestQuery long_h(std::vector<HistoryEntry>(8, HistoryEntry{0, 1.f}), std::vector<float>(8, 2.f));
  EXPECT_FALSE(sig->Prepare(tc.cat, long_h.view, s));
  RankerOptions off;
  off.popularity.mix = 0.f;
  EXPECT_EQ(MakePopularitySignal({&f.als, true, nullptr}, off), nullptr);
  EXPECT_NE(MakePopularitySignal({&f.als, true, nullptr}, RankerOptions{}), nullptr);  // on by default
}

TEST(PopularitySignal, RankerRanksAsTheBlendOfTheOtherSignals) {
  Fixture f;
  RankerOptions o = PlainOptions();
  o.candidates = 8;
  o.T = 4.f;
  o.popularity.mix = 0.4f;
  HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop, o);
  const std::vector<HistoryEntry> h = {{2, 1.f}};
  UserQuery q;
  q.history = h;
  q.use_trained_factor = false;
  const auto resp = r.Recommend(q, 8);
  ASSERT_TRUE(resp.slot("popularity").has_value());
  const float m = 0.4f * (1.f - 1.f / 4.f);
  EXPECT_FLOAT_EQ(resp.weight("popularity"), m / (1.f - m));
  // The blended score (1 - m) F + m z_pop orders the items as the fused score does.
  auto blended = [&](const RankedItem& it) {
    const float w = resp.weight("collab");
    const float fused = w * resp.z(it, "collab") + (1.f - w) * resp.z(it, "content");
    return (1.f - m) * fused + m * resp.z(it, "popularity");
  };
  for (size_t t = 0; t < resp.items.size(); ++t)
    EXPECT_NEAR(resp.items[t].score * (1.f - m), blended(resp.items[t]), 1e-5);
  // Item 7 has no training interactions: it is ranked, with a popularity z of 0.
  bool saw_cold = false;
  for (const RankedItem& it : resp.items)
    if (it.item == 7) {
      saw_cold = true;
      EXPECT_EQ(resp.z(it, "popularity"), 0.f);
    }
  EXPECT_TRUE(saw_cold);
}

}  // namespace
}  // namespace hybridrec
