// Reload (POST /admin/reload and SIGHUP): a new model is swapped in atomically while clients
// hammer recommendations (zero failed requests); a damaged model is refused with 409 and the
// old one keeps serving; stored events and items are replayed over the new model.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>

#include "serve_test_util.h"

namespace {
using namespace serve_test;
using nlohmann::json;

TEST(ServeReloadTest, SwapUnderLoadWithoutFailedRequests) {
  const fs::path dir = TempDir("reload");
  const fs::path model = dir / "model";
  ASSERT_TRUE(TrainSmallModel(model, 0));
  // POST /admin/reload needs an admin token.
  std::string token_out;
  ASSERT_EQ(RunCli("token --role admin --name reloader", &token_out), 0) << token_out;
  std::string token, line;
  {
    std::istringstream in(token_out);
    for (std::string l; std::getline(in, l);)
      if (!l.empty() && l[0] != '#') (token.empty() ? token : line) = l;
  }
  std::ofstream(dir / "tokens.txt") << line << "\n";
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--model", model.string(), "--db", (dir / "e.sqlite").string(), "--threads", "16", "--auth",
                            (dir / "tokens.txt").string()}))
      << server.log();
  auto c = server.Client();
  c.set_default_headers({{"Authorization", "Bearer " + token}});
  ASSERT_EQ(PostJson(c, "/v1/events", R"({"user": "live", "item": "2"})")->status, 200);
  ASSERT_EQ(PostJson(c, "/v1/items", R"({"id": "added-1", "title": "Alien robots", "genres": ["Sci-Fi"]})")->status,
            201);
  const std::string v0 = Json(c.Get("/readyz"))["model_version"];

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex fail_mu;
  std::string first_failure;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      auto cl = server.Client();
      const char* users[] = {"1", "2", "live", "nobody"};
      while (!stop.load()) {
        auto r = cl.Get((std::string("/v1/users/") + users[t] + "/recommendations?k=5").c_str());
        if (r && r->status == 200 && Json(r)["items"].size() > 0)
          ++ok;
        else {
          ++failed;
          std::lock_guard lock(fail_mu);
          if (first_failure.empty())
            first_failure =
                std::string(users[t]) + ": " +
                (r ? std::to_string(r->status) + " " + r->body : "no response: " + httplib::to_string(r.error()));
        }
      }
    });
  // Retrain into the same directory (a new version) and reload several times under load.
  ASSERT_TRUE(TrainSmallModel(model, 1));
  for (int i = 0; i < 3; ++i) {
    auto r = c.Post("/admin/reload", "", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(Json(r)["items_replayed"], 1);
    EXPECT_EQ(Json(r)["events_replayed"], 1);
  }
  ::kill(server.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0) << first_failure << "\n" << server.log();
  EXPECT_GT(ok.load(), 20);
  const std::string v1 = Json(c.Get("/readyz"))["model_version"];
  EXPECT_NE(v0, v1);
  EXPECT_EQ(Json(c.Get("/v1/users/live"))["events_since_training"], 1);  // replayed
  EXPECT_EQ(Json(c.Get("/v1/items/added-1"))["source"], "added");
  const auto metrics = c.Get("/metrics");
  EXPECT_NE(metrics->body.find("hybridrec_model_reloads_total 4"), std::string::npos) << server.log();

  // A damaged model is refused; the old one stays.
  {
    std::fstream f(model / "item_factors.npy", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.write("garbage!", 8);
  }
  auto refused = c.Post("/admin/reload", "", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409) << refused->body;
  EXPECT_EQ(Json(refused)["error"]["code"], "conflict");
  EXPECT_NE(Json(refused)["error"]["message"].get<std::string>().find("item_factors.npy"), std::string::npos)
      << refused->body;
  EXPECT_EQ(Json(c.Get("/readyz"))["model_version"], v1);
  EXPECT_EQ(c.Get("/v1/users/1/recommendations")->status, 200);
  server.Kill(SIGTERM);
  fs::remove_all(dir);
}

TEST(ServeReloadTest, WatchedModelDirectoryReloadsEachNewModelOnce) {
  const fs::path dir = TempDir("watch");
  const fs::path model = dir / "model";
  ASSERT_TRUE(TrainSmallModel(model, 0));
  for (const char* bad : {"-1", "abc", "1e9"}) {
    std::string out;
    EXPECT_NE(RunCli("serve --model " + model.string() + " --port 0 --watch-model " + bad, &out), 0) << bad;
    EXPECT_NE(out.find("--watch-model"), std::string::npos) << out;
  }
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--model", model.string(), "--db", (dir / "e.sqlite").string(), "--watch-model", "0.05"}))
      << server.log();
  auto c = server.Client();
  ASSERT_EQ(PostJson(c, "/v1/events", R"({"user": "live", "item": "2"})")->status, 200);
  const std::string v0 = Json(c.Get("/readyz"))["model_version"];
  const auto wait_for_version_change = [&](const std::string& from) {
    for (int i = 0; i < 400; ++i) {
      const std::string v = Json(c.Get("/readyz"))["model_version"];
      if (v != from) return v;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return from;
  };
  // `train --out` into the served directory: picked up without a signal or an admin request.
  ASSERT_TRUE(TrainSmallModel(model, 1));
  const std::string v1 = wait_for_version_change(v0);
  ASSERT_NE(v1, v0) << server.log();
  EXPECT_EQ(Json(c.Get("/v1/users/live"))["events_since_training"], 1);  // the stored event replayed
  std::this_thread::sleep_for(std::chrono::milliseconds(300));             // several more checks
  EXPECT_NE(c.Get("/metrics")->body.find("hybridrec_model_reloads_total 1\n"), std::string::npos) << server.log();

  // A damaged model moved into place is refused once; the current one keeps serving.
  const fs::path next = dir / "next";
  ASSERT_TRUE(TrainSmallModel(next, 2));
  {
    std::fstream f(next / "item_factors.npy", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.write("garbage!", 8);
  }
  fs::rename(model, dir / "old");
  fs::rename(next, model);
  for (int i = 0; i < 200 && server.log().find("reload refused") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string log = server.log();
  const size_t first = log.find("reload refused");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find("item_factors.npy", first), std::string::npos) << log;
  EXPECT_EQ(log.find("reload refused", first + 1), std::string::npos) << log;  // not retried in a loop
  EXPECT_EQ(Json(c.Get("/readyz"))["model_version"], v1);
  EXPECT_EQ(c.Get("/v1/users/1/recommendations")->status, 200);
  server.Kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
