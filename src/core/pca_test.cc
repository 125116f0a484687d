#include "core/pca.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace hybridrec {
namespace {

TEST(Pca2D, FindsTheDominantAxis) {
  // Points spread along (1, 1, 0) with a small spread along (0, 0, 1): PC1 is the first axis.
  std::vector<float> data;
  for (int i = -5; i <= 5; ++i) {
    data.insert(data.end(), {static_cast<float>(i), static_cast<float>(i), ((i + 5) % 2 != 0 ? 0.1f : -0.1f)});
  }
  const size_t n = data.size() / 3;
  std::vector<float> p = Pca2D(data, n, 3);
  ASSERT_EQ(p.size(), n * 2);
  for (size_t i = 0; i < n; ++i) {
    const float expected = static_cast<float>(static_cast<int>(i) - 5) * std::sqrt(2.f);
    EXPECT_NEAR(std::abs(p[2 * i]), std::abs(expected), 1e-3f) << i;
  }
  // PC2 carries the small spread only.
  for (size_t i = 0; i < n; ++i) EXPECT_LT(std::abs(p[2 * i + 1]), 0.2f);
  EXPECT_THROW(Pca2D(data, n + 1, 3), std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec
