// The Redis cache of recommendation responses (serve --cache), end to end on real servers:
// hits shared by two replicas on one PostgreSQL store, an event invalidating exactly its user's
// entries on both, and a Redis that dies or stops answering while requests keep being served.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "serve/redis_test_util.h"
#include "serve_test_util.h"
#include "store/pg_test_util.h"

namespace {
using namespace serve_test;
using nlohmann::json;
namespace st = hybridrec::store::testing;
namespace rt = hybridrec::serve::testing;

std::string CacheOf(const httplib::Result& r) { return r ? r->get_header_value("X-Cache") : "no reply"; }

// A recommendations body without its "request_id" member (every response has its own id, a
// cached one too), to compare what was ranked.
std::string Ranked(const std::string& body) {
  const std::string key = "{\"request_id\":\"";
  if (body.rfind(key, 0) != 0) return body;
  const size_t end = body.find('"', key.size());
  return end == std::string::npos ? body : "{" + body.substr(end + 2);
}

// The value of an unlabelled Prometheus line `name value`.
double Metric(httplib::Client& c, const std::string& name) {
  auto r = c.Get("/metrics");
  if (!r) return -1;
  const std::string tag = "\n" + name + " ";
  const size_t p = r->body.find(tag);
  return p == std::string::npos ? -1 : std::stod(r->body.substr(p + tag.size()));
}

TEST(ServeCacheTest, ReplicasShareEntriesAndAnEventInvalidatesOnlyItsUser) {
  const auto pg_url = st::TestPostgresUrl();
  const auto redis_url = rt::TestRedisUrl();
  if (!pg_url || !redis_url) GTEST_SKIP() << "needs the test PostgreSQL and Redis servers (run through ctest)";
  st::ScratchDatabase pg(*pg_url);
  const fs::path dir = TempDir("cache_replicas");
  // A model of its own (its version is part of the key), so other runs' entries never match.
  ASSERT_TRUE(TrainSmallModel(dir / "model", static_cast<int>(::getpid() % 100000)));
  const std::vector<std::string> args = {"--model", (dir / "model").string(), "--db", pg.url(), "--cache", *redis_url};
  ServerProcess a, b;
  ASSERT_TRUE(a.Start(args)) << a.log();
  ASSERT_TRUE(b.Start(args)) << b.log();
  EXPECT_NE(a.log().find("recommendation cache: Redis at"), std::string::npos) << a.log();
  auto ca = a.Client();
  auto cb = b.Client();
  const std::string u1 = "/v1/users/1/recommendations?k=5", u2 = "/v1/users/2/recommendations?k=5";

  auto r1 = ca.Get(u1);
  ASSERT_TRUE(r1 && r1->status == 200);
  EXPECT_EQ(CacheOf(r1), "miss");
  auto r2 = ca.Get(u1);
  EXPECT_EQ(CacheOf(r2), "hit");
  EXPECT_EQ(Ranked(r2->body), Ranked(r1->body));
  EXPECT_NE(r2->body, r1->body);  // the request ids differ
  // Another replica reads the same entry; other parameters are another entry.
  auto rb = cb.Get(u1);
  EXPECT_EQ(CacheOf(rb), "hit");
  EXPECT_EQ(Ranked(rb->body), Ranked(r1->body));
  EXPECT_EQ(CacheOf(cb.Get("/v1/users/1/recommendations?k=6")), "miss");
  EXPECT_EQ(CacheOf(cb.Get(u2)), "miss");
  EXPECT_EQ(CacheOf(ca.Get(u2)), "hit");

  // An event for user 1 on A: A answers from the ranker at once, with the event counted.
  ASSERT_EQ(PostJson(ca, "/v1/events", R"({"user": "1", "item": "2", "strength": 5})")->status, 200);
  auto after = ca.Get(u1);
  EXPECT_EQ(CacheOf(after), "miss");
  EXPECT_EQ(Json(after).value("events_since_training", -1), 1);
  // B, once it has applied the event through the store, misses too and then shares A's entry.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  json rb1;
  std::string rb1_cache, rb1_body;
  do {
    auto r = cb.Get(u1);
    rb1 = Json(r);
    rb1_cache = CacheOf(r);
    rb1_body = r ? r->body : "";
    if (rb1.is_object() && rb1.value("events_since_training", -1) == 1) break;
    EXPECT_NE(rb1_cache, "miss") << "B recomputed before applying the event";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(rb1.value("events_since_training", -1), 1) << b.log();
  EXPECT_EQ(rb1_cache, "hit");  // A stored the new answer under the new key
  EXPECT_EQ(Ranked(rb1_body), Ranked(after->body));
  // User 2's entries were not touched.
  EXPECT_EQ(CacheOf(cb.Get(u2)), "hit");
  EXPECT_EQ(CacheOf(ca.Get(u2)), "hit");
  // Cache counters in /metrics.
  EXPECT_EQ(Metric(ca, "hybridrec_cache_stores_total"), 2);  // user 1 before and after the event
  EXPECT_EQ(Metric(ca, "hybridrec_cache_errors_total"), 0);
  EXPECT_EQ(Metric(ca, "hybridrec_cache_up"), 1);
  // Requests with new_boost (scores that age with the clock) are not cached.
  EXPECT_EQ(CacheOf(ca.Get("/v1/users/1/recommendations?k=5&new_boost=0.5")), "");
  a.Kill(SIGTERM);
  b.Kill(SIGTERM);
  fs::remove_all(dir);
}

TEST(ServeCacheTest, RedisKilledOrPausedNeverFailsARequest) {
  rt::PrivateRedis redis("serve_down");
  ASSERT_TRUE(redis.ok());
  const fs::path dir = TempDir("cache_down");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  ServerProcess s;
  ASSERT_TRUE(s.Start({"--model", (dir / "model").string(), "--db", ":memory:", "--cache", redis.url(),
                       "--cache-timeout-ms", "50"}))
      << s.log();
  auto c = s.Client();
  const std::string path = "/v1/users/3/recommendations?k=5";
  ASSERT_EQ(CacheOf(c.Get(path)), "miss");
  auto warm = c.Get(path);
  ASSERT_EQ(CacheOf(warm), "hit");

  // Paused (SIGSTOP): each request pays at most about the timeout, then Redis is skipped.
  redis.Pause();
  double worst_ms = 0;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.Get(path);
    worst_ms = std::max(worst_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_TRUE(r && r->status == 200) << s.log();
    EXPECT_EQ(Ranked(r->body), Ranked(warm->body));
    EXPECT_EQ(CacheOf(r), "bypass");
  }
  EXPECT_LT(worst_ms, 1000) << "a paused Redis held a request";
  EXPECT_GE(Metric(c, "hybridrec_cache_errors_total"), 1);
  EXPECT_EQ(Metric(c, "hybridrec_cache_up"), 0);
  redis.Resume();
  // Back: hits again within the retry interval (1 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (CacheOf(c.Get(path)) != "hit" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(CacheOf(c.Get(path)), "hit");

  // Killed: answered from the ranker, counted.
  redis.Stop();
  for (int i = 0; i < 20; ++i) {
    auto r = c.Get(path);
    ASSERT_TRUE(r && r->status == 200) << s.log();
    EXPECT_EQ(Ranked(r->body), Ranked(warm->body));
    EXPECT_EQ(CacheOf(r), "bypass");
  }
  EXPECT_GE(Metric(c, "hybridrec_cache_bypassed_total"), 1);
  EXPECT_EQ(Metric(c, "hybridrec_cache_up"), 0);
  s.Kill(SIGTERM);
  fs::remove_all(dir);
}

TEST(ServeCacheTest, StartsWithRedisDownAndRefusesABadUrl) {
  const fs::path dir = TempDir("cache_start");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  std::string out;
  EXPECT_NE(RunCli("serve --model " + (dir / "model").string() + " --db :memory: --port 0 --cache http://x:1", &out), 0);
  EXPECT_NE(out.find("the scheme must be redis://"), std::string::npos) << out;
  // A port nothing listens on: the server starts, says so, and answers.
  ServerProcess s;
  ASSERT_TRUE(s.Start({"--model", (dir / "model").string(), "--db", ":memory:", "--cache", "redis://127.0.0.1:1"}))
      << s.log();
  EXPECT_NE(s.log().find("requests bypass the cache until it answers"), std::string::npos) << s.log();
  auto c = s.Client();
  auto r = c.Get("/v1/users/3/recommendations?k=5");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(CacheOf(r), "bypass");
  s.Kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
