#include "collab/popularity.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hybridrec
