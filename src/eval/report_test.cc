#include "eval/report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <string>

namespace hybridrec {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::ordered_json SampleReport() {
  nlohmann::ordered_json eval = {
      {"dataset", "toy"},
      {"protocol", "random"},
      {"seed", 0},
      {"k", {10}},
      {"users_evaluated", 3},
      {"users_skipped", 0},
      {"models",
       {{"popularity", {{"precision@10", 0.1}, {"recall@10", 0.2}, {"ndcg@10", 0.3}, {"map@10", 0.05}}},
        {"hybrid", {{"precision@10", 0.2}, {"recall@10", 0.4}, {"ndcg@10", 0.4567}, {"map@10", 0.1}}}}},
      {"paired", {{"hybrid-popularity", {{"ndcg@10", {{"mean", 0.1567}, {"stderr", 0.01}}}}}}},
      {"params", {{"collab", {{"factors", 32}}}}}};
  nlohmann::ordered_json r;
  r["evaluation"] = eval;
  r["fusion"] = {{"T", 5}, {"w_max", 0.85}};
  r["charts"] = {{"weight_curve", {{"T", 5}, {"w_max", 0.85}, {"sizes", {0, 1, 5, 10}}, {"w", {0, 0.17, 0.85, 0.85}},
                                   {"history_sizes", {3, 5, 8}}}},
                 {"pca", {{"encoder", "lsa"}, {"x", {0.1, -0.2, 0.3}}, {"y", {0.0, 0.1, -0.1}},
                          {"genre", {"Drama", "Comedy", "Drama"}}}},
                 {"als_loss", {10.0, 6.0, 5.5}}};
  return r;
}

std::filesystem::path TempDir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("hr_report_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

TEST(WriteReport, WritesJsonAndMarkdownWithoutCharts) {
  const auto dir = TempDir("nocharts");
  ReportOptions o;
  o.charts = false;
  auto files = WriteReport(dir, SampleReport(), o);
  ASSERT_TRUE(files.ok()) << files.status().message();
  const auto json = nlohmann::json::parse(Slurp(dir / "report.json"));
  EXPECT_DOUBLE_EQ(json["evaluation"]["models"]["hybrid"]["ndcg@10"].get<double>(), 0.4567);
  const std::string md = Slurp(dir / "report.md");
  EXPECT_NE(md.find("| hybrid | 0.2000 | 0.4000 | 0.4567 | 0.1000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| hybrid-popularity | ndcg@10 | 0.1567 | 0.0100 |"), std::string::npos) << md;
  EXPECT_EQ(md.find(".png"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(WriteReport, RejectsAReportWithoutEvaluation) {
  ReportOptions o;
  o.charts = false;
  EXPECT_FALSE(WriteReport(TempDir("bad"), nlohmann::ordered_json::object(), o).ok());
}

TEST(WriteReport, MissingScriptIsReportedNotFatal) {
  const auto dir = TempDir("noscript");
  ReportOptions o;
  o.plot_script = dir / "does_not_exist.py";
  auto files = WriteReport(dir, SampleReport(), o);
  ASSERT_TRUE(files.ok());
  EXPECT_NE(files->charts_error.find("not found"), std::string::npos);
  EXPECT_NE(Slurp(dir / "report.md").find("Charts not drawn"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(WriteReport, DrawsChartsWithMatplotlib) {
  if (std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3-matplotlib not installed";
  }
  const auto dir = TempDir("charts");
  ReportOptions o;
  o.plot_script = std::filesystem::path(HYBRIDREC_SOURCE_DIR) / "tools" / "plot_report.py";
  auto files = WriteReport(dir, SampleReport(), o);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files->charts_error, "");
  for (const char* png : {"metrics.png", "weight_curve.png", "embeddings_pca.png", "als_loss.png"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / png)) << png;
    EXPECT_GT(std::filesystem::file_size(dir / png), 1000u) << png;
    EXPECT_NE(Slurp(dir / "report.md").find(std::string("(") + png + ")"), std::string::npos) << png;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hybridrec
