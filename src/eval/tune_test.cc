#include "eval/tune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "eval/test_util.h"

namespace hybridrec {
namespace {

TEST(TuneTest, TriesEveryCombinationAndPicksBestValidationNdcg) {
  const Dataset ds = eval_testing::MakeDataset(120, 40);
  SplitOptions so;
  so.validation = true;
  auto split = MakeSplit(ds, so);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  TuneOptions o;
  o.grid.factors = {2, 4};
  o.grid.regularization = {0.1f, 10.f};
  o.grid.alpha = {1.f};
  o.grid.iterations = {3};
  o.grid.reg_exponent = {};  // the base value only
  o.base.threads = 1;
  o.eval_threads = 1;
  EXPECT_EQ(o.grid.size(), 4u);
  auto r = TuneAls(ds, *split, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trials.size(), 4u);
  // Grid order: factors outermost, regularization next.
  EXPECT_EQ(r->trials[0].options.factors, 2);
  EXPECT_EQ(r->trials[1].options.regularization, 10.f);
  EXPECT_EQ(r->trials[2].options.factors, 4);
  const auto best = std::max_element(r->trials.begin(), r->trials.end(),
                                     [](const TuneTrial& a, const TuneTrial& b) { return a.ndcg < b.ndcg; });
  EXPECT_EQ(r->best_index, static_cast<size_t>(best - r->trials.begin()));
  EXPECT_EQ(r->best.factors, best->options.factors);
  EXPECT_EQ(r->best.regularization, best->options.regularization);
  EXPECT_GT(r->validation_users, 0u);
  for (const auto& t : r->trials) {
    EXPECT_GE(t.ndcg, 0.0);
    EXPECT_LE(t.ndcg, 1.0);
  }
  const auto j = r->ToJson();
  EXPECT_EQ(j["trials"].size(), 4u);
  EXPECT_EQ(j["best"]["factors"], r->best.factors);
  EXPECT_NE(r->FormatTable().find('*'), std::string::npos);

  // Deterministic: a second run gives the same scores.
  auto again = TuneAls(ds, *split, o);
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(again->trials[i].ndcg, r->trials[i].ndcg);
}

TEST(TuneTest, NeedsAValidationSplitAndValidOptions) {
  const Dataset ds = eval_testing::MakeDataset();
  auto split = MakeSplit(ds, SplitOptions{});
  ASSERT_TRUE(split.ok());
  TuneOptions o;
  EXPECT_FALSE(TuneAls(ds, *split, o).ok());
  SplitOptions so;
  so.validation = true;
  auto with = MakeSplit(ds, so);
  ASSERT_TRUE(with.ok());
  o.grid = AlsGrid{{0}, {1.f}, {1.f}, {1}, {}};  // factors 0 is invalid
  auto r = TuneAls(ds, *with, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("factors"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec

namespace hybridrec {
namespace {

TEST(TuneTest, ColdUsersValidationUsesFoldIn) {
  const Dataset ds = eval_testing::MakeDataset(200, 40);
  SplitOptions so;
  so.protocol = SplitProtocol::kColdUsers;
  so.reveal = 2;
  so.validation = true;
  auto split = MakeSplit(ds, so);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  ASSERT_FALSE(split->validation_revealed.empty());
  TuneOptions o;
  o.grid = AlsGrid{{4}, {0.1f, 1.f}, {1.f}, {3}, {}};
  o.base.threads = 1;
  o.eval_threads = 1;
  auto r = TuneAls(ds, *split, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trials.size(), 2u);
  // Only held-out validation users with something beyond their revealed history are scored.
  std::set<uint32_t> users;
  for (const auto& x : split->validation) users.insert(x.user);
  EXPECT_EQ(r->validation_users, users.size());
  for (const auto& t : r->trials) EXPECT_GT(t.ndcg, 0.0);
}

}  // namespace
}  // namespace hybridrec
