// Differential tests of the vectorisable kernels against the C library.
#include "content/minilm/fast_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace hybridrec {
namespace {

TEST(FastMath, ExpMatchesStdExp) {
  std::vector<float> x;
  for (float v = -87.0f; v <= 88.0f; v += 0.01f) x.push_back(v);
  std::vector<float> y = x;
  ExpInPlace(y.data(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double ref = std::exp(double(x[i]));
    ASSERT_LE(std::fabs(y[i] - ref), 2e-7 * ref) << x[i];
  }
  float tiny = -200.0f;
  ExpInPlace(&tiny, 1);
  EXPECT_LT(tiny, 1e-37f);
}

TEST(FastMath, GeluMatchesErfForm) {
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.001f) x.push_back(v);
  std::vector<float> y = x;
  GeluInPlace(y.data(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double u = x[i];
    const double ref = 0.5 * u * (1.0 + std::erf(u / std::sqrt(2.0)));
    ASSERT_LE(std::fabs(y[i] - ref), 2e-7 * std::max(1.0, std::fabs(u))) << u;
  }
}

TEST(FastMath, SoftmaxSumsToOneAndIsStable) {
  std::vector<float> x = {1000.0f, 999.0f, -1000.0f};
  SoftmaxInPlace(x.data(), x.size());
  EXPECT_NEAR(x[0], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0, 1e-6);
  EXPECT_LT(x[2], 1e-30f);  // exp is clamped at -87: ~1e-38, not exactly 0
}

}  // namespace
}  // namespace hybridrec
