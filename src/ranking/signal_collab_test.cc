#include "ranking/signal_collab.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/topk.h"
#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

// x_u . y_i in the fixture's model.
float UserItemDot(const Fixture& f, uint32_t u, uint32_t i) {
  float dot = 0.f;
  for (int j = 0; j < Fixture::k; ++j)
    dot += f.als.user_factors()[u * Fixture::k + j] * f.als.item_factors()[i * Fixture::k + j];
  return dot;
}

TEST(CollabSignal, KnownUserScoresItsTrainedRowAndProposesItsTopN) {
  SignalFixture f;
  TestCatalogue& tc = f.tc;
  auto sig = MakeCollabSignal({&f.als, true, nullptr}, f.o);
  ASSERT_NE(sig, nullptr);
  EXPECT_EQ(sig->name(), "collab");
  EXPECT_TRUE(sig->primary());
  TestQuery tq({{0, 1.f}, {3, 2.f}}, {2.f, 3.f});
  tq.uq.known_user = 1;
  const QueryView& q = tq.view;
  SignalScratch s;
  ASSERT_TRUE(sig->Prepare(tc.cat, q, s));
  ASSERT_EQ(s.dense, &tc.cat.factors);
  for (int j = 0; j < Fixture::k; ++j) EXPECT_EQ(s.query[j], f.als.user_factors()[Fixture::k + j]);
  tc.ScoreDense(s);
  std::vector<uint32_t> out;
  sig->Propose(tc.cat, q, s, 3, out);
  // The top 3 of x . y over the items with a factor (item 7 has none), history excluded.
  std::vector<float> want(Fixture::n, -INFINITY);
  for (uint32_t i = 0; i < 7; ++i) {
    if (i == 0 || i == 3) continue;
    want[i] = UserItemDot(f, 1, i);
  }
  auto top = TopK(want, 3);
  std::sort(top.begin(), top.end());
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, top);
  // Scores: NaN for the factor-less item.
  const std::vector<uint32_t> cand = {1, 7};
  std::vector<float> raw(2);
  sig->Score(tc.cat, q, s, cand, raw);
  EXPECT_NEAR(raw[0], want[1], 1e-5);
  EXPECT_TRUE(std::isnan(raw[1]));
  // Weight: the history ramp with content, else 1.
  EXPECT_FLOAT_EQ(sig->Weight(tc.cat, q, s, NamesActive({"collab", "content"})), 0.8f * 0.5f);
  EXPECT_EQ(sig->Weight(tc.cat, q, s, NamesActive({"collab"})), 1.f);
}

TEST(CollabSignal, NewUserIsFoldedInAndNoFactorMeansInactive) {
  Fixture f;
  TestCatalogue tc(&f.als, f.emb, Fixture::d, Fixture::n, f.pop);
  auto sig = MakeCollabSignal({&f.als, true, nullptr}, RankerOptions{});
  TestQuery tq({{2, 3.f}, {7, 1.f}}, {4.f, 2.f});
  tq.uq.use_trained_factor = false;
  SignalScratch s;
  ASSERT_TRUE(sig->Prepare(tc.cat, tq.view, s));
  const std::vector<HistoryEntry> with_factor = {{2, 3.f}};
  EXPECT_EQ(s.query, f.als.FoldInUser(with_factor, -1.f));
  // Only the factor-less item: nothing to fold in.
  TestQuery cold({{7, 1.f}}, {2.f});
  cold.uq.use_trained_factor = false;
  EXPECT_FALSE(sig->Prepare(tc.cat, cold.view, s));
  EXPECT_EQ(MakeCollabSignal({nullptr, true, nullptr}, RankerOptions{}), nullptr);
}

}  // namespace
}  // namespace hybridrec
