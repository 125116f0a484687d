#include "ranking/fusion_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace hybridrec {
namespace {

TEST(ZScoreTest, StandardisesPresentEntries) {
  std::vector<float> s{1.f, 2.f, 3.f, 100.f};
  std::vector<uint8_t> present{1, 1, 1, 0};
  std::vector<float> z(4);
  ZScore(s, present, z);
  const float sd = std::sqrt(2.f / 3.f);
  EXPECT_NEAR(z[0], -1.f / sd, 1e-6);
  EXPECT_NEAR(z[1], 0.f, 1e-6);
  EXPECT_NEAR(z[2], 1.f / sd, 1e-6);
  EXPECT_EQ(z[3], 0.f);  // missing signal scores 0
}

TEST(ZScoreTest, ConstantSignalContributesZero) {
  std::vector<float> s(5, 0.7f), z(5, 9.f);
  ZScore(s, {}, z);
  for (float v : z) EXPECT_EQ(v, 0.f);
  std::vector<float> tiny{1.f, 1.f + 1e-9f, 1.f}, zt(3);
  ZScore(tiny, {}, zt);
  for (float v : zt) EXPECT_EQ(v, 0.f);
}

TEST(ZScoreTest, NanAndInfAreGuarded) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> s{nan, 0.f, 2.f, inf}, z(4);
  ZScore(s, {}, z);
  EXPECT_EQ(z[0], 0.f);
  EXPECT_EQ(z[3], 0.f);
  EXPECT_NEAR(z[1], -1.f, 1e-6);
  EXPECT_NEAR(z[2], 1.f, 1e-6);
  for (float v : z) EXPECT_TRUE(std::isfinite(v));
}

TEST(ZScoreTest, EmptyAndMismatched) {
  std::vector<float> none;
  ZScore(none, {}, none);
  std::vector<float> s(3), z(2);
  EXPECT_THROW(ZScore(s, {}, z), std::invalid_argument);
}

TEST(AdaptiveWeightTest, RampsToWmax) {
  EXPECT_EQ(AdaptiveWeight(0, 10.f, 1.f, true), 0.f);
  EXPECT_FLOAT_EQ(AdaptiveWeight(5, 10.f, 1.f, true), 0.5f);
  EXPECT_FLOAT_EQ(AdaptiveWeight(20, 10.f, 1.f, true), 1.f);
  EXPECT_FLOAT_EQ(AdaptiveWeight(5, 10.f, 0.8f, true), 0.4f);
  EXPECT_FLOAT_EQ(AdaptiveWeight(50, 10.f, 0.8f, true), 0.8f);
  EXPECT_EQ(AdaptiveWeight(50, 10.f, 0.8f, false), 0.f);  // no collaborative factor
  EXPECT_FLOAT_EQ(AdaptiveWeight(1, 0.f, 0.6f, true), 0.6f);
}

TEST(HistoryRampTest, RisesToOneAtT) {
  EXPECT_EQ(HistoryRamp(0, 10.f), 0.f);
  EXPECT_FLOAT_EQ(HistoryRamp(5, 10.f), 0.5f);
  EXPECT_EQ(HistoryRamp(20, 10.f), 1.f);  // capped
  EXPECT_EQ(HistoryRamp(3, 0.f), 1.f);    // T <= 0: at once
  EXPECT_EQ(HistoryRamp(3, -1.f), 1.f);
}

TEST(FuseScoresTest, LinearBlend) {
  std::vector<float> zc{1.f, -1.f}, zt{0.f, 2.f}, out(2);
  FuseScores(zc, zt, 0.25f, out);
  EXPECT_FLOAT_EQ(out[0], 0.25f);
  EXPECT_FLOAT_EQ(out[1], -0.25f + 1.5f);
}

}  // namespace
}  // namespace hybridrec
