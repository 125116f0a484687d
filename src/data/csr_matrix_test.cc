#include "data/csr_matrix.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <utility>
#include <vector>

namespace hybridrec {
namespace {

TEST(CsrRecency, EntryTimestampsAndMostRecentFirst) {
  // user 0: items 1 (t 30), 4 (t 10), 2 (t 30: tie with 1); user 1: none; user 2: item 0 (t 5).
  const std::vector<Interaction> xs = {{0, 1, 1.f, 30}, {0, 4, 2.f, 10}, {0, 2, 1.f, 30}, {2, 0, 1.f, 5}};
  const InteractionMatrix m = BuildInteractionMatrix(3, 5, xs);
  const std::vector<int64_t> ts = EntryTimestamps(m.by_user, xs);
  EXPECT_EQ(ts, (std::vector<int64_t>{30, 30, 10, 5}));  // row 0 by item: 1, 2, 4
  const std::vector<uint32_t> recent = RowsMostRecentFirst(m.by_user, ts);
  EXPECT_EQ(recent, (std::vector<uint32_t>{1, 2, 4, 0}));  // ties keep ascending item order
  // An interaction outside the matrix or absent from it leaves 0.
  const std::vector<Interaction> stray = {{0, 3, 1.f, 99}, {7, 1, 1.f, 99}};
  EXPECT_EQ(EntryTimestamps(m.by_user, stray), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_THROW(RowsMostRecentFirst(m.by_user, std::vector<int64_t>{1, 2}), std::invalid_argument);
}

TEST(CsrBuild, SortsRowsSumsDuplicatesAndTransposes) {
  // Rows out of order, a duplicate pair (0, 3), an empty user 1 and an item no one touched (4).
  const std::vector<Interaction> xs = {{2, 1, 1.f, 0}, {0, 3, 2.f, 0}, {0, 0, 1.f, 0}, {0, 3, 0.5f, 0}, {2, 0, 4.f, 0}};
  const InteractionMatrix m = BuildInteractionMatrix(3, 5, xs);
  EXPECT_EQ(m.by_user.indptr, (std::vector<uint64_t>{0, 2, 2, 4}));
  EXPECT_EQ(m.by_user.indices, (std::vector<uint32_t>{0, 3, 0, 1}));
  EXPECT_EQ(m.by_user.values, (std::vector<float>{1.f, 2.5f, 4.f, 1.f}));
  EXPECT_EQ(m.by_item.indptr, (std::vector<uint64_t>{0, 2, 3, 3, 4, 4}));
  EXPECT_EQ(m.by_item.indices, (std::vector<uint32_t>{0, 2, 2, 0}));
  EXPECT_EQ(m.by_item.values, (std::vector<float>{1.f, 4.f, 1.f, 2.5f}));
  EXPECT_THROW(BuildInteractionMatrix(3, 5, std::vector<Interaction>{{3, 0, 1.f, 0}}), std::invalid_argument);
  EXPECT_THROW(BuildInteractionMatrix(3, 5, std::vector<Interaction>{{0, 5, 1.f, 0}}), std::invalid_argument);
}

TEST(CsrBuild, AgreesWithAnOrderedMapOnRandomInput) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> user(0, 49), item(0, 29);
  std::uniform_real_distribution<float> strength(0.1f, 3.f);
  std::vector<Interaction> xs(4000);
  for (auto& x : xs) x = {user(rng), item(rng), strength(rng), 0};
  std::map<std::pair<uint32_t, uint32_t>, float> want;  // summed in input order, as the builder must
  for (const auto& x : xs) want[{x.user, x.item}] += x.strength;
  const InteractionMatrix m = BuildInteractionMatrix(50, 30, xs);
  ASSERT_EQ(m.by_user.nnz(), want.size());
  size_t k = 0;
  for (const auto& [key, value] : want) {
    EXPECT_LT(k, m.by_user.indptr[key.first + 1]);
    EXPECT_GE(k, m.by_user.indptr[key.first]);
    EXPECT_EQ(m.by_user.indices[k], key.second);
    EXPECT_EQ(m.by_user.values[k], value);  // bitwise: same summation order
    ++k;
  }
  EXPECT_EQ(m.by_item.nnz(), want.size());
}

}  // namespace
}  // namespace hybridrec
