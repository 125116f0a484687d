#include "data/csr_matrix.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hybridrec
