// Durability: every event the server acknowledged (2xx) survives a SIGKILL in the middle of a
// stream of posts and is there after a restart on the same database.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "serve_test_util.h"

namespace {
using namespace serve_test;
using nlohmann::json;

TEST(ServeDurabilityTest, AcknowledgedEventsSurviveSigkill) {
  const fs::path dir = TempDir("durability");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  const std::string db = (dir / "events.sqlite").string();
  auto server = std::make_unique<ServerProcess>();
  ASSERT_TRUE(server->Start({"--model", (dir / "model").string(), "--db", db})) << server->log();

  // Clients post events (one per request, distinct users so each is checkable) until the kill.
  std::mutex mu;
  std::map<std::string, int> acked;  // user -> acknowledged events
  std::atomic<bool> stop{false};
  std::atomic<int> total{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t)
    clients.emplace_back([&, t] {
      auto c = server->Client();
      for (int i = 0; !stop.load(); ++i) {
        const std::string user = "durable-" + std::to_string(t) + "-" + std::to_string(i % 7);
        const std::string body = R"({"user": ")" + user + R"(", "item": ")" + std::to_string(1 + i % 6) + R"("})";
        auto r = PostJson(c, "/v1/events", body);
        if (!r) continue;  // connection refused/reset after the kill: not acknowledged
        if (r->status == 200) {
          std::lock_guard lock(mu);
          ++acked[user];
          ++total;
        }
      }
    });
  while (total.load() < 150) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int st = server->Kill(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GE(total.load(), 150);

  auto restarted = std::make_unique<ServerProcess>();
  ASSERT_TRUE(restarted->Start({"--model", (dir / "model").string(), "--db", db})) << restarted->log();
  auto c = restarted->Client();
  int checked = 0;
  for (const auto& [user, n] : acked) {
    const json h = Json(c.Get(("/v1/users/" + user).c_str()));
    // A request may have been committed but killed before its reply: never fewer, at most
    // one more per client connection.
    EXPECT_GE(h["events_since_training"].get<int>(), n) << user;
    EXPECT_LE(h["events_since_training"].get<int>(), n + 1) << user;
    EXPECT_EQ(h["known"], true);
    checked += n;
  }
  EXPECT_EQ(checked, total.load());
  const json model = Json(c.Get("/v1/model"));
  EXPECT_GE(model["events_stored"].get<int>(), total.load());
  EXPECT_LE(model["events_stored"].get<int>(), total.load() + 3);
  restarted->Kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
