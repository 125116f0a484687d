// End-to-end tests of the `hybridrec` binary as a user runs it: exit codes, one-line errors,
// and the fetch -> train -> recommend path on small fixtures.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {
namespace fs = std::filesystem;

struct RunResult {
  int code = -1;
  std::string out;  // stdout + stderr
};

RunResult RunCli(const std::string& args) {
  const std::string cmd = std::string(HYBRIDREC_CLI) + " " + args + " 2>&1";
  RunResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string StdoutOnly(const std::string& args) {
  return RunCli(args + " 2>/dev/null").out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = fs::temp_directory_path() / ("hr_cli_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }
  std::string Fixture(const std::string& name) const {
    return std::string(HYBRIDREC_SOURCE_DIR) + "/tests/fixtures/data/" + name;
  }
  fs::path tmp_;
};

TEST_F(CliTest, HelpAndUsageErrors) {
  EXPECT_EQ(RunCli("--help").code, 0);
  for (const char* cmd : {"train", "evaluate", "recommend", "similar", "search", "embed", "fetch-data", "fetch-model", "synth", "serve"}) {
    auto r = RunCli(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd << ": " << r.out;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd;
  }
  EXPECT_EQ(RunCli("").code, 2);
  EXPECT_EQ(RunCli("no-such-command").code, 2);
  EXPECT_EQ(RunCli("train --data x").code, 2);  // --out missing
  EXPECT_EQ(RunCli("recommend --model m --user 1 -k 0").code, 2);
}

TEST_F(CliTest, RuntimeErrorsAreOneLine) {
  auto r = RunCli("train --data " + (tmp_ / "missing").string() + " --out " + (tmp_ / "m").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out.rfind("error: ", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  auto m = RunCli("recommend --model " + (tmp_ / "nomodel").string() + " --user 1");
  EXPECT_EQ(m.code, 1);
  EXPECT_NE(m.out.find("not found"), std::string::npos) << m.out;
}

TEST_F(CliTest, TrainThenRecommendOnEachLayout) {
  for (const char* layout : {"ml-100k-mini", "movielens-csv-mini", "generic-mini"}) {
    const fs::path model = tmp_ / layout;
    auto t = RunCli("train --quiet --factors 4 --iterations 3 --data " + Fixture(layout) + " --out " + model.string());
    ASSERT_EQ(t.code, 0) << layout << ": " << t.out;
    ASSERT_TRUE(fs::exists(model / "manifest.json"));
    // A user from the data gets hybrid recommendations that exclude what they already have.
    const std::string user = std::string(layout) == "generic-mini" ? "alice" : "1";
    auto j = nlohmann::json::parse(StdoutOnly("recommend --json -k 3 --model " + model.string() + " --user " + user));
    EXPECT_EQ(j["path"], "hybrid") << layout;
    EXPECT_GT(j["weight"].get<double>(), 0.0) << layout;
    EXPECT_LE(j["items"].size(), 3u);
    const std::string first_item = j["items"].empty() ? "" : j["items"][0]["id"].get<std::string>();
    // A new user described by a list of items is folded in on the fly and never gets those items back.
    if (!first_item.empty()) {
      auto n = nlohmann::json::parse(StdoutOnly("recommend --json --explain -k 3 --model " + model.string() +
                                                " --items " + first_item + ":2"));
      EXPECT_NE(n["path"], "popularity") << layout;
      for (const auto& it : n["items"]) EXPECT_NE(it["id"], first_item);
      auto sim = nlohmann::json::parse(StdoutOnly("similar --json --mode content -k 2 --model " + model.string() +
                                                  " --item " + first_item));
      EXPECT_EQ(sim["mode"], "content");
      for (const auto& it : sim["items"]) EXPECT_NE(it["id"], first_item);
    }
    // An unknown user falls back to popularity instead of failing.
    auto p = nlohmann::json::parse(StdoutOnly("recommend --json --model " + model.string() + " --user nobody"));
    EXPECT_EQ(p["path"], "popularity");
    EXPECT_FALSE(p["items"].empty());
  }
}

TEST_F(CliTest, CollabOnlyModelAndBadItems) {
  const fs::path model = tmp_ / "m";
  ASSERT_EQ(RunCli("train --quiet --no-content --factors 4 --iterations 2 --data " + Fixture("ml-100k-mini") +
                   " --out " + model.string()).code, 0);
  auto j = nlohmann::json::parse(StdoutOnly("recommend --json --model " + model.string() + " --user 1"));
  EXPECT_EQ(j["path"], "collab");
  EXPECT_EQ(j["weight"], 1.0);
  auto bad = RunCli("recommend --model " + model.string() + " --items 1,nope");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("'nope'"), std::string::npos) << bad.out;
  EXPECT_EQ(RunCli("recommend --model " + model.string()).code, 2);  // neither --user nor --items
  auto sim = RunCli("similar --model " + model.string() + " --item 1 --mode content");
  EXPECT_EQ(sim.code, 1);
  EXPECT_NE(sim.out.find("--no-content"), std::string::npos) << sim.out;
}

TEST_F(CliTest, SynthWritesALoadableDataset) {
  auto s = RunCli("synth --users 50 --items 20 --nnz 300 --seed 3 --out " + (tmp_ / "syn").string());
  ASSERT_EQ(s.code, 0) << s.out;
  auto t = RunCli("train --quiet --factors 4 --iterations 2 --data " + (tmp_ / "syn").string() + " --out " +
               (tmp_ / "m").string());
  EXPECT_EQ(t.code, 0) << t.out;
}

TEST_F(CliTest, TunedTrainingReportsHowTheSavedOptionsReachNewItems) {
  ASSERT_EQ(RunCli("synth --users 200 --items 80 --nnz 3000 --seed 3 --out " + (tmp_ / "syn").string()).code, 0);
  const fs::path model = tmp_ / "m";
  // The random protocol's grid (81 trials) keeps this test short; the temporal grid has 1,001.
  auto t = RunCli("train --tune --tune-protocol random --factors 8 --iterations 3 --data " + (tmp_ / "syn").string() +
                  " --out " + model.string());
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("cold-items Recall@20 of these options"), std::string::npos) << t.out;
  std::ifstream in(model / "manifest.json");
  const auto m = nlohmann::json::parse(in);
  const auto& tuning = m["tuning"];
  EXPECT_EQ(tuning["protocol"], "random");
  const double cold = tuning["cold_items_recall@20"].get<double>();
  EXPECT_GT(cold, 0.0);
  EXPECT_LE(cold, 1.0);
  // The guard ran against the untuned model and saved options that reach new items at least
  // 95% as well as it does on its validation split (or as well as any setting can).
  const auto& g = tuning["cold_guard"];
  ASSERT_TRUE(g.is_object()) << tuning.dump();
  EXPECT_GE(g["saved_recall@20"].get<double>(), g["tuned_recall@20"].get<double>());
  if (!g["raised"].get<bool>()) {
    EXPECT_GE(g["tuned_recall@20"].get<double>(), 0.95 * g["base_recall@20"].get<double>());
  }
  EXPECT_GT(m["params"]["ranker"]["cold_boost"].get<double>(), 0.0);
}

TEST_F(CliTest, IvfIsOnlyForTheFactorIndex) {
  auto r = RunCli("train --quiet --index ivf --factors 4 --iterations 1 --data " + Fixture("ml-100k-mini") + " --out " +
                  (tmp_ / "m").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("content index is auto, flat, hnsw or brute"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(tmp_ / "m"));
}

TEST_F(CliTest, DamagedModelIsRefusedNamingTheFile) {
  const fs::path model = tmp_ / "m";
  ASSERT_EQ(RunCli("train --quiet --factors 4 --iterations 2 --data " + Fixture("ml-100k-mini") + " --out " + model.string()).code, 0);
  {
    std::fstream f(model / "item_factors.npy", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  auto r = RunCli("recommend --model " + model.string() + " --user 1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("item_factors.npy"), std::string::npos) << r.out;
}

TEST_F(CliTest, RecommendFiltersAndReranking) {
  const fs::path model = tmp_ / "m";
  ASSERT_EQ(RunCli("train --quiet --encoder lsa --factors 4 --iterations 2 --data " + Fixture("ml-100k-mini") +
                   " --out " + model.string())
                .code,
            0);
  const std::string base = "recommend --json --model " + model.string() + " --user 1 ";
  // Items 2, 4 and 6 are Action films; user 1 has seen 1, 3 and 5.
  auto j = nlohmann::json::parse(StdoutOnly(base + "-k 2 --include genre=action"));
  ASSERT_EQ(j["items"].size(), 2u) << j.dump();
  for (const auto& it : j["items"])
    EXPECT_NE(std::find(it["genres"].begin(), it["genres"].end(), "Action"), it["genres"].end());
  EXPECT_EQ(j["filters"]["eligible"], 3);
  EXPECT_EQ(j["filters"]["short"], false);
  j = nlohmann::json::parse(StdoutOnly(base + "-k 5 --include genre=Action --exclude genre=Horror --exclude-items 2"));
  ASSERT_EQ(j["items"].size(), 1u) << j.dump();
  EXPECT_EQ(j["items"][0]["id"], "4");
  EXPECT_EQ(j["filters"]["short"], true);
  j = nlohmann::json::parse(StdoutOnly(base + "-k 3 --diversity 0.5 --calibration 0.5 --new-boost 1"));
  EXPECT_EQ(j["items"].size(), 3u);
  EXPECT_EQ(j["rerank"]["diversity"], 0.5);
  // Diversity 0 is today's list, exactly.
  EXPECT_EQ(nlohmann::json::parse(StdoutOnly(base + "-k 3 --diversity 0"))["items"],
            nlohmann::json::parse(StdoutOnly(base + "-k 3"))["items"]);
  auto text = RunCli("recommend --model " + model.string() + " --user 1 -k 5 --include genre=action");
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("filters: 3 eligible items, fewer than k = 5"), std::string::npos) << text.out;
  // Errors name what is wrong.
  auto bad = RunCli(base + "--include genre=Westren");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--include genre: unknown genre value 'Westren'"), std::string::npos) << bad.out;
  bad = RunCli(base + "--exclude mood=happy");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("unknown attribute 'mood'"), std::string::npos) << bad.out;
  bad = RunCli(base + "--include genre");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("ATTRIBUTE=VALUE"), std::string::npos) << bad.out;
  bad = RunCli(base + "--exclude-items 2,nope");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("'nope'"), std::string::npos) << bad.out;
  bad = RunCli(base + "--added-since 2023-02-30");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--added-since"), std::string::npos) << bad.out;
  EXPECT_EQ(RunCli(base + "--diversity 1.5").code, 2);
  EXPECT_EQ(RunCli(base + "--calibration -0.1").code, 2);
  EXPECT_EQ(RunCli(base + "--include genre=").code, 2);
}

}  // namespace
