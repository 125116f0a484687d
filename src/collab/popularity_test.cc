#include "collab/popularity.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <vector>

#include "core/topk.h"

namespace hybridrec {
namespace {

TEST(PopularityModelTest, RanksItemsByDistinctUsers) {
  // item 2: 3 users; item 0: 2 users (one with a huge strength); item 1: 1 user; item 3: none.
  const std::vector<Interaction> v = {{0, 2, 1, 0}, {1, 2, 1, 0}, {2, 2, 1, 0}, {0, 0, 1, 0}, {1, 0, 50, 0}, {2, 1, 1, 0}};
  const auto m = BuildInteractionMatrix(3, 4, v);
  PopularityModel count;
  ASSERT_TRUE(count.Fit({nullptr, &m, true}).ok());
  std::vector<float> s(4);
  count.ScoreUser(1, s);
  EXPECT_EQ(s, (std::vector<float>{2, 1, 3, 0}));
  EXPECT_EQ(TopK(s, 4), (std::vector<uint32_t>{2, 0, 1, 3}));
  PopularityModel strength(/*sum_strength=*/true);
  ASSERT_TRUE(strength.Fit({nullptr, &m, true}).ok());
  strength.ScoreUser(0, s);
  EXPECT_EQ(TopK(s, 4), (std::vector<uint32_t>{0, 2, 1, 3}));
  std::vector<float> wrong(3);
  EXPECT_THROW(count.ScoreUser(0, wrong), std::invalid_argument);
  // Batched scoring (default loop) gives the same rows.
  const std::vector<uint32_t> users = {0, 2};
  std::vector<float> batch(8);
  count.ScoreUsers(users, batch, 4);
  EXPECT_EQ(std::vector<float>(batch.begin() + 4, batch.end()), (std::vector<float>{2, 1, 3, 0}));
}

TEST(PopularityModelTest, DecayedPopularityHalvesPerHalfLife) {
  // Train = every interaction but (1, 0); t_ref = the latest training timestamp (day 10).
  Dataset ds;
  ds.has_timestamps = true;
  const int64_t day = 86400;
  ds.interactions = {{0, 0, 1, 10 * day}, {1, 1, 1, 10 * day}, {2, 1, 1, 8 * day}, {0, 2, 1, 6 * day},
                     {1, 0, 1, 11 * day}};
  const std::vector<Interaction> train(ds.interactions.begin(), ds.interactions.end() - 1);
  const auto m = BuildInteractionMatrix(3, 4, train);
  const auto p = DecayedPopularity(ds, m, 2.0);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_NEAR(p[0], 1.0, 1e-6);         // age 0 (the held-out day-11 row is not counted)
  EXPECT_NEAR(p[1], 1.0 + 0.5, 1e-6);   // ages 0 and 2 days
  EXPECT_NEAR(p[2], 0.25, 1e-6);        // age 4 days = two half-lives
  EXPECT_EQ(p[3], 0.f);
  // No decay, or no timestamps: distinct-user counts.
  EXPECT_EQ(DecayedPopularity(ds, m, 0.0), (std::vector<float>{1, 2, 1, 0}));
  ds.has_timestamps = false;
  EXPECT_EQ(DecayedPopularity(ds, m, 2.0), (std::vector<float>{1, 2, 1, 0}));
}

TEST(PopularityModelTest, DecayedPopularityOfEntriesMatchesHandComputedValues) {
  // Entries by user: (0, 0) day 10, (0, 2) day 6, (1, 0) day 8, (1, 1) day 10, (2, 1) day 4.
  // t_ref = day 10, half-life 2 days: item 0 = 2^0 + 2^-1, item 1 = 2^0 + 2^-3, item 2 = 2^-2.
  const int64_t day = 86400;
  const std::vector<Interaction> v = {{0, 0, 1, 10 * day}, {0, 2, 1, 6 * day}, {1, 0, 1, 8 * day},
                                      {1, 1, 1, 10 * day}, {2, 1, 1, 4 * day}};
  const auto m = BuildInteractionMatrix(3, 4, v);
  const std::vector<int64_t> ts = {10 * day, 6 * day, 8 * day, 10 * day, 4 * day};
  ASSERT_EQ(EntryTimestamps(m.by_user, v), ts);
  const auto p = DecayedPopularity(m.by_user, ts, 2.0);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_FLOAT_EQ(p[0], 1.5f);
  EXPECT_FLOAT_EQ(p[1], 1.125f);
  EXPECT_FLOAT_EQ(p[2], 0.25f);
  EXPECT_EQ(p[3], 0.f);
  // One day is half a half-life: 2^-0.5 per day of age. Only the differences to t_ref count.
  const auto q = DecayedPopularity(m.by_user, ts, 4.0);
  EXPECT_FLOAT_EQ(q[0], 1.f + 0.70710678f);
  std::vector<int64_t> shifted = ts;
  for (int64_t& t : shifted) t -= 1000 * day;
  EXPECT_EQ(DecayedPopularity(m.by_user, shifted, 2.0), p);
  // A dataset whose interactions are the entries gives the same floats.
  Dataset ds;
  ds.has_timestamps = true;
  ds.interactions = v;
  EXPECT_EQ(DecayedPopularity(ds, m, 2.0), p);
}

TEST(PopularityModelTest, DecayedPopularityOfEntriesRefusesBadInput) {
  const auto m = BuildInteractionMatrix(1, 2, std::vector<Interaction>{{0, 1, 1, 5}});
  EXPECT_THROW(DecayedPopularity(m.by_user, std::vector<int64_t>{}, 1.0), std::invalid_argument);
  const std::vector<int64_t> ts = {5};
  for (double h : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()})
    EXPECT_THROW(DecayedPopularity(m.by_user, ts, h), std::invalid_argument) << h;
  EXPECT_EQ(DecayedPopularity(m.by_user, ts, 1.0), (std::vector<float>{0.f, 1.f}));
  const auto empty = BuildInteractionMatrix(2, 3, std::vector<Interaction>{});
  EXPECT_EQ(DecayedPopularity(empty.by_user, std::vector<int64_t>{}, 1.0), (std::vector<float>{0.f, 0.f, 0.f}));
}

}  // namespace
}  // namespace hybridrec
