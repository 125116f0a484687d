#include "core/topk.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace hybridrec {
namespace {

TEST(TopKTest, OrdersDescendingWithStableTies) {
  std::vector<float> s{0.5f, 0.9f, 0.5f, 0.1f, 0.9f};
  EXPECT_EQ(TopK(s, 3), (std::vector<uint32_t>{1, 4, 0}));
}

TEST(TopKTest, KLargerThanCandidatesReturnsAll) {
  std::vector<float> s{1.f, 3.f, 2.f};
  EXPECT_EQ(TopK(s, 10), (std::vector<uint32_t>{1, 2, 0}));
  EXPECT_TRUE(TopK(s, 0).empty());
  EXPECT_TRUE(TopK(std::vector<float>{}, 5).empty());
}

TEST(TopKTest, SkipsNanAndMaskedEntries) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> s{std::nanf(""), -inf, 0.f, -1.f};
  EXPECT_EQ(TopK(s, 4), (std::vector<uint32_t>{2, 3}));
}

TEST(TopKTest, MatchesFullSortOnRandomData) {
  std::vector<float> s(1000);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>((i * 7919) % 101);
  auto top = TopK(s, 50);
  std::vector<uint32_t> all(s.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  std::stable_sort(all.begin(), all.end(), [&](uint32_t a, uint32_t b) { return s[a] > s[b]; });
  all.resize(50);
  EXPECT_EQ(top, all);
}

}  // namespace
}  // namespace hybridrec
