// Online experiments through `hybridrec serve --experiments FILE`: assignment and the response's
// experiment / request_id, exposures stored and clicks attributed, the report and /metrics,
// reload (SIGHUP) with a bad file kept out; and the simulation at small scale
// (`hybridrec simulate-experiment` on MovieLens 100K: the hybrid beats popularity, A/A runs
// mostly not significant).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "serve/experiments.h"
#include "serve_test_util.h"
#include "store/event_store.h"

namespace hybridrec {
namespace {

using nlohmann::json;
using namespace serve_test;

const char* kExperiment = R"({"name": "exp1", "salt": "s", "ctr_k": 5,
  "arms": [{"name": "A", "share": 0.5, "ranker": {"popularity_mix": 1, "popularity_T": 100000}},
           {"name": "B", "share": 0.5, "rules": {"diversity": 0.3}}]})";

class ServeExperimentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("serve_experiments");
    ASSERT_TRUE(TrainSmallModel(dir_ / "model"));
    std::ofstream(dir_ / "exp.json") << kExperiment;
  }
  fs::path dir_;
};

TEST_F(ServeExperimentsTest, AssignsLogsAttributesAndReports) {
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--model", (dir_ / "model").string(), "--db", (dir_ / "e.sqlite").string(),
                            "--experiments", (dir_ / "exp.json").string(), "--exposure-flush-ms", "20"}))
      << server.log();
  auto c = server.Client();
  auto e = serve::LoadExperiment(dir_ / "exp.json");
  ASSERT_TRUE(e.ok());
  std::set<std::string> request_ids;
  int clicks = 0;
  for (int u = 0; u < 40; ++u) {
    const std::string user = "user" + std::to_string(u);
    auto r = c.Get("/v1/users/" + user + "/recommendations?k=5");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
    const json j = json::parse(r->body);
    EXPECT_EQ(j["experiment"]["name"], "exp1");
    EXPECT_EQ(j["experiment"]["arm"], e->arms[e->Assign(user)].name) << "assignment is the documented hash";
    const std::string rid = j["request_id"];
    EXPECT_EQ(rid.size(), 32u);
    EXPECT_TRUE(request_ids.insert(rid).second) << "request ids are unique";
    // The same user gets the same arm again.
    EXPECT_EQ(Json(c.Get("/v1/users/" + user + "/recommendations?k=5"))["experiment"]["arm"], j["experiment"]["arm"]);
    if (j["items"].empty()) continue;
    // Users of arm B click their first item, users of arm A none.
    if (j["experiment"]["arm"] == "B") {
      const json ev = {{"user", user}, {"item", j["items"][0]["item"]["id"]}, {"request_id", rid}};
      auto p = PostJson(c, "/v1/events", ev.dump());
      ASSERT_TRUE(p && p->status == 200) << (p ? p->body : "");
      ++clicks;
    }
  }
  // Anonymous lists carry a request id and no experiment.
  auto anon = PostJson(c, "/v1/recommendations", R"({"items": [{"id": "1"}]})");
  if (anon && anon->status == 200) {
    EXPECT_TRUE(Json(anon)["experiment"].is_null());
    EXPECT_EQ(Json(anon)["request_id"].get<std::string>().size(), 32u);
  }
  // Hostile request ids on events.
  for (const char* bad : {R"({"user": "u", "item": "1", "request_id": 5})",
                          R"({"user": "u", "item": "1", "request_id": ""})"}) {
    auto p = PostJson(c, "/v1/events", bad);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, 400) << p->body;
    EXPECT_NE(p->body.find("request_id"), std::string::npos) << p->body;
  }
  auto rep = c.Get("/v1/experiments/exp1?fresh=true");
  ASSERT_TRUE(rep && rep->status == 200) << (rep ? rep->body : "");
  const json report = json::parse(rep->body);
  ASSERT_EQ(report["arms"].size(), 2u);
  int64_t users = 0, exposures = 0;
  for (const json& a : report["arms"]) {
    users += a["users"].get<int64_t>();
    exposures += a["exposures"].get<int64_t>();
  }
  EXPECT_EQ(users, 40);
  EXPECT_EQ(exposures, 80);
  EXPECT_EQ(report["arms"][0]["clicks"], 0);
  EXPECT_EQ(report["arms"][1]["clicks"], clicks);
  EXPECT_FALSE(report["series"].empty());
  EXPECT_NE(report["test"].get<std::string>().find("Welch"), std::string::npos);
  EXPECT_EQ(c.Get("/v1/experiments/nope")->status, 404);
  EXPECT_EQ(Json(c.Get("/v1/experiments"))["experiments"][0]["name"], "exp1");
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("hybridrec_experiment_lists_total{experiment=\"exp1\",arm=\"A\"}"), std::string::npos);
  EXPECT_NE(metrics.find("hybridrec_experiment_p_value{experiment=\"exp1\",metric=\"ctr_at_k\",arm=\"B\"}"),
            std::string::npos)
      << metrics;

  // A broken file on SIGHUP is refused: the experiment stays.
  std::ofstream(dir_ / "exp.json") << R"({"name": "exp2", "salt": "s", "arms": [{"name": "A", "share": 0.7},
      {"name": "B", "share": 0.7}]})";
  ::kill(server.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Json(c.Get("/v1/users/user1/recommendations"))["experiment"]["name"], "exp1");
  EXPECT_NE(server.log().find("sum to 1.4"), std::string::npos) << server.log();
  // A good one is taken.
  std::ofstream(dir_ / "exp.json") << R"({"name": "exp2", "salt": "t", "arms": [{"name": "X", "share": 0.5},
      {"name": "Y", "share": 0.5}]})";
  ::kill(server.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Json(c.Get("/v1/users/user1/recommendations"))["experiment"]["name"], "exp2");

  // Exposures are durable: after a clean stop they are all in the store.
  server.Kill(SIGTERM);
  auto s = store::OpenSqliteEventStore((dir_ / "e.sqlite").string());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int stored = 0;
  ASSERT_TRUE((*s)->ForEachExposure(0, [&](store::StoredExposure&&) { ++stored; }).ok());
  EXPECT_EQ(stored, 82);
}

TEST_F(ServeExperimentsTest, RefusesABadExperimentFileAtStart) {
  std::ofstream(dir_ / "bad.json") << R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5},
      {"name": "A", "share": 0.5}]})";
  std::string out;
  const int rc = RunCli("serve --model " + (dir_ / "model").string() + " --db :memory: --port 0 --experiments " +
                                  (dir_ / "bad.json").string(),
                              &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("appears twice"), std::string::npos) << out;
  EXPECT_NE(out.find("bad.json"), std::string::npos) << out;
}

// The simulated loop at small scale: 300 MovieLens users, a quick model, 20 A/A runs.
TEST(SimulateExperiment, HybridBeatsPopularityAndAAIsQuiet) {
  const fs::path data = fs::path(HYBRIDREC_SHARED_DIR) / "data" / "ml-100k";
  if (!fs::exists(data / "u.data")) GTEST_SKIP() << "MovieLens 100K not found at " << data;
  const fs::path dir = TempDir("simulate_experiment");
  std::string out;
  ASSERT_EQ(RunCli("simulate-experiment --data " + data.string() + " --out " + dir.string() +
                             " --max-users 300 --factors 16 --iterations 5 --aa-runs 20 --latency-runs 1 --json " +
                             (dir / "sim.json").string(),
                         &out),
            0)
      << out;
  std::ifstream f(dir / "sim.json");
  const json j = json::parse(f);
  const json* d = nullptr;
  for (const json& x : j["ab"]["differences"])
    if (x["metric"] == "ctr_at_k") d = &x;
  ASSERT_TRUE(d);
  EXPECT_GT((*d)["lo"].get<double>(), 0) << "B (hybrid) ahead of A (popularity) with an interval excluding 0: " << *d;
  EXPECT_EQ(j["aa"]["runs"], 20);
  // At 5%, more than 4 of 20 significant runs would happen with probability 0.3%.
  EXPECT_LE(j["aa"]["significant_at_5pct"].get<int>(), 4) << j["aa"];
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hybridrec
