#include "ranking/signal_collab.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/topk.h"
#include "ranking/hybrid_ranker.h"
#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

TEST(CollabSignal, KnownUserScoresItsTrainedRowAndProposesItsTopN) {
  SignalFixture f;
  const TestCatalogue& tc = f.tc;
  auto sig = MakeCollabSignal({&f.als, true, nullptr}, f.o);
  ASSERT_NE(sig, nullptr);
  EXPECT_EQ(sig->name(), "collab");
  EXPECT_TRUE(sig->primary());
  const std::vector<HistoryEntry> h = {{0, 1.f}, {3, 2.f}};
  const std::vector<uint32_t> items = {0, 3};
  const std::vector<float> conf = {2.f, 3.f};
  UserQuery uq;
  uq.known_user = 1;
  uq.history = h;
  QueryView q{&uq, h, items, conf, items};
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
    want[i] = 0.f;
    for (int j = 0; j < Fixture::k; ++j)
      want[i] += f.als.user_factors()[Fixture::k + j] * f.als.item_factors()[i * Fixture::k + j];
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
  const std::vector<HistoryEntry> h = {{2, 3.f}, {7, 1.f}};
  const std::vector<uint32_t> items = {2, 7};
  const std::vector<float> conf = {4.f, 2.f};
  UserQuery uq;
  uq.use_trained_factor = false;
  QueryView q{&uq, h, items, conf, items};
  SignalScratch s;
  ASSERT_TRUE(sig->Prepare(tc.cat, q, s));
  const std::vector<HistoryEntry> with_factor = {{2, 3.f}};
  EXPECT_EQ(s.query, f.als.FoldInUser(with_factor, -1.f));
  // Only the factor-less item: nothing to fold in.
  const std::vector<HistoryEntry> cold = {{7, 1.f}};
  const std::vector<uint32_t> cold_items = {7};
  QueryView qc{&uq, cold, cold_items, conf, cold_items};
  EXPECT_FALSE(sig->Prepare(tc.cat, qc, s));
  EXPECT_EQ(MakeCollabSignal({nullptr, true, nullptr}, RankerOptions{}), nullptr);
}

}  // namespace
}  // namespace hybridrec
