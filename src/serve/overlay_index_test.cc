#include "serve/overlay_index.h"

#include <gtest/gtest.h>

#include "index/brute_force_index.h"

namespace hybridrec::serve {
namespace {

// The overlay must answer exactly as one exact index holding all the vectors.
TEST(ServeOverlayIndexTest, MatchesOneExactIndex) {
  const int dim = 3;
  std::vector<float> base_v = {1, 0, 0, 0, 1, 0, 0.6f, 0.8f, 0};
  std::vector<float> added_v = {0, 0, 1, 0.8f, 0.6f, 0};
  BruteForceIndex base(dim), all(dim);
  ASSERT_TRUE(base.Add(base_v, std::vector<int64_t>{0, 1, 2}).ok());
  OverlayIndex overlay(&base, added_v, 3);
  EXPECT_FALSE(overlay.Add(added_v, std::vector<int64_t>{5, 6}).ok());  // a view: rebuilt to grow
  ASSERT_TRUE(all.Add(base_v, std::vector<int64_t>{0, 1, 2}).ok());
  ASSERT_TRUE(all.Add(added_v, std::vector<int64_t>{3, 4}).ok());
  EXPECT_EQ(overlay.size(), 5);
  const std::vector<float> queries = {1, 0, 0, 0, 0.1f, 0.9f};
  for (int k : {1, 3, 5, 7}) {
    std::vector<SearchHit> a, b;
    overlay.Search(queries, k, a);
    all.Search(queries, k, b);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id) << "k " << k << " rank " << i;
      EXPECT_FLOAT_EQ(a[i].score, b[i].score);
    }
  }
  EXPECT_FALSE(overlay.Save("/tmp/x").ok());
  // Fewer added rows than k, and a view over no rows at all (the base alone).
  OverlayIndex empty(&base, {}, 3);
  EXPECT_EQ(empty.size(), 3);
  std::vector<SearchHit> a, b;
  empty.Search(queries, 2, a);
  base.Search(queries, 2, b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);
  EXPECT_THROW(OverlayIndex(&base, std::vector<float>{1, 2}, 3), std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec::serve
