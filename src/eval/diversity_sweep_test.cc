#include "eval/diversity_sweep.h"

#include <gtest/gtest.h>

namespace hybridrec {
namespace {

TEST(ParseDiversitySweep, ReadsTheWeights) {
  auto l = ParseDiversitySweep("diversity=0,0.1,0.5,1");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(*l, (std::vector<double>{0, 0.1, 0.5, 1}));
  EXPECT_EQ(*ParseDiversitySweep("diversity=0.3"), std::vector<double>{0.3});
}

TEST(ParseDiversitySweep, RefusesHostileSpecs) {
  for (const char* bad : {"", "diversity", "diversity=", "calibration=0.1", "diversity=0,", "diversity=,0.1",
                          "diversity=1.5", "diversity=-0.1", "diversity=nan", "diversity=0.1x", "diversity=inf",
                          "diversity=0;1"}) {
    auto l = ParseDiversitySweep(bad);
    EXPECT_FALSE(l.ok()) << bad;
    EXPECT_NE(l.status().message().find("--sweep"), std::string::npos) << l.status().message();
  }
  std::string many = "diversity=0";
  for (int i = 0; i < 101; ++i) many += ",0.5";
  EXPECT_FALSE(ParseDiversitySweep(many).ok());
}

TEST(SweepJson, OneEntryPerLambdaAndK) {
  std::vector<SweepPoint> pts(2);
  pts[0] = {0.0, {0.4, 0.3}, {0.2, 0.25}, {0.7, 0.8}, {0.55, 0.6}, {9, 10}};
  pts[1] = {0.5, {0.35, 0.28}, {0.19, 0.24}, {0.8, 0.85}, {0.75, 0.8}, {10, 11}};
  const std::vector<size_t> ks = {10, 20};
  const auto j = SweepJson(pts, ks);
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["points"][1]["lambda"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["points"][1]["ild@20"].get<double>(), 0.85);
  EXPECT_DOUBLE_EQ(j["points"][1]["content_ild@10"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j["points"][0]["novelty@20"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(j["points"][0]["ndcg@10"].get<double>(), 0.4);
}

}  // namespace
}  // namespace hybridrec
