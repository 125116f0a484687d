// `hybridrec evaluate --sweep diversity=...`: the accuracy / diversity trade-off on MovieLens
// 100K (more diversity weight: more intra-list diversity, less NDCG), printed, in --json and in
// the report; hostile specs are refused naming the flag.
#include <gtest/gtest.h>

#include <fstream>

#include "serve_test_util.h"

namespace {

using namespace serve_test;
using nlohmann::json;

TEST(EvaluateSweep, DiversityTradesAccuracyForIntraListDiversity) {
  const fs::path data = fs::path(HYBRIDREC_SHARED_DIR) / "data" / "ml-100k";
  if (!fs::exists(data / "u.data")) GTEST_SKIP() << "MovieLens 100K not found at " << data;
  const fs::path dir = TempDir("evaluate_sweep");
  std::string out;
  ASSERT_EQ(RunCli("evaluate --data " + data.string() + " --encoder lsa --factors 16 --iterations 3 --quiet --k 10 " +
                       "--sweep diversity=0,0.5,1 --report " + (dir / "report").string(),
                   &out),
            0)
      << out;
  EXPECT_NE(out.find("diversity sweep"), std::string::npos) << out;
  std::ifstream f(dir / "report" / "report.json");
  const json j = json::parse(f);
  const json& pts = j["charts"]["diversity_sweep"]["points"];
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_GT(pts[2]["ild@10"].get<double>(), pts[0]["ild@10"].get<double>());
  EXPECT_LT(pts[2]["ndcg@10"].get<double>(), pts[0]["ndcg@10"].get<double>());
  // lambda 0 is the hybrid itself.
  EXPECT_NEAR(pts[0]["ndcg@10"].get<double>(), j["evaluation"]["models"]["hybrid"]["ndcg@10"].get<double>(), 1e-9);
  std::ifstream md(dir / "report" / "report.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Accuracy vs diversity"), std::string::npos);
  fs::remove_all(dir);
}

TEST(EvaluateSweep, RefusesBadSpecs) {
  const std::string mini = std::string(HYBRIDREC_SOURCE_DIR) + "/tests/fixtures/data/ml-100k-mini";
  for (const char* bad : {"diversity=2", "diversity=", "calibration=0.1", "diversity=0,,1"}) {
    std::string out;
    EXPECT_EQ(RunCli(std::string("evaluate --data ") + mini + " --sweep " + bad, &out), 2) << bad << ": " << out;
    EXPECT_NE(out.find("--sweep"), std::string::npos) << out;
  }
}

}  // namespace
