#include "ranking/signal_content.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

TEST(ContentSignal, ProfileScoresCandidatesAndTakesTheRestOfTheWeight) {
  SignalFixture f;
  const TestCatalogue& tc = f.tc;
  auto sig = MakeContentSignal({&f.als, true, nullptr}, f.o);
  ASSERT_NE(sig, nullptr);
  EXPECT_TRUE(sig->primary());
  const TestQuery tq({{2, 1.f}}, {2.f});
  const QueryView& q = tq.view;
  SignalScratch s;
  ASSERT_TRUE(sig->Prepare(tc.cat, q, s));
  ASSERT_EQ(s.dense, &tc.cat.embeddings);  // no index: exact scoring
  // One history item: the profile is its (unit) embedding.
  for (int j = 0; j < Fixture::d; ++j) EXPECT_NEAR(s.query[j], f.emb[2 * Fixture::d + j], 1e-6);
  tc.ScoreDense(s);
  std::vector<uint32_t> out;
  sig->Propose(tc.cat, q, s, 1, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], 7u);  // the same text as item 2, which is seen
  std::vector<float> raw(1);
  const std::vector<uint32_t> cand = {7};
  sig->Score(tc.cat, q, s, cand, raw);
  EXPECT_NEAR(raw[0], 1.f, 1e-5);
  EXPECT_FLOAT_EQ(sig->Weight(tc.cat, q, s, NamesActive({"collab", "content"})), 1.f - 0.8f * 0.25f);
  EXPECT_EQ(sig->Weight(tc.cat, q, s, NamesActive({"content"})), 1.f);
  std::vector<std::vector<Contribution>> why(1);
  sig->Explain(tc.cat, q, s, cand, 3, why);
  ASSERT_EQ(why[0].size(), 1u);
  EXPECT_EQ(why[0][0].history_item, 2u);
  EXPECT_NEAR(why[0][0].value, 1.f, 1e-5);
  EXPECT_EQ(MakeContentSignal({&f.als, false, nullptr}, f.o), nullptr);
}

}  // namespace
}  // namespace hybridrec
