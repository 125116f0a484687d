#include "serve/response_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "serve/redis_test_util.h"

namespace hybridrec::serve {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

TEST(RedisUrlTest, AcceptsHostPortAndDatabase) {
  auto a = ParseRedisUrl("redis://127.0.0.1:6380");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 0);
  a = ParseRedisUrl("redis://cache.internal/3");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "cache.internal");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 3);
  a = ParseRedisUrl("redis://[::1]:7000/");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 7000);
}

TEST(RedisUrlTest, RefusesHostileUrlsNamingWhatIsWrong) {
  const std::pair<const char*, const char*> bad[] = {
      {"", "scheme"},
      {"http://127.0.0.1:6379", "scheme"},
      {"rediss://127.0.0.1:6379", "scheme"},
      {"redis://", "host is empty"},
      {"redis://:6379", "host is empty"},
      {"redis://127.0.0.1:", "port after ':' is empty"},
      {"redis://127.0.0.1:0", "port must be"},
      {"redis://127.0.0.1:65536", "port must be"},
      {"redis://127.0.0.1:99999999999999", "port must be"},
      {"redis://127.0.0.1:-1", "port must be"},
      {"redis://127.0.0.1:63 79", "port must be"},
      {"redis://user:pw@127.0.0.1:6379", "user info"},
      {"redis://127.0.0.1:6379?db=1", "queries"},
      {"redis://127.0.0.1:6379/16", "database"},
      {"redis://127.0.0.1:6379/x", "database"},
      {"redis://[::1:6379", "closing ']'"},
      {"redis://[::1]x", "only ':PORT'"},
      {"redis://host name:6379", "host may hold"},
      {"redis://h\xc3\xa9:6379", "host may hold"},
      {"redis://h\n:6379", "host may hold"},
  };
  for (const auto& [url, why] : bad) {
    auto a = ParseRedisUrl(url);
    ASSERT_FALSE(a.ok()) << url;
    EXPECT_NE(a.status().message().find(why), std::string::npos) << url << ": " << a.status().message();
  }
  EXPECT_FALSE(ParseRedisUrl("redis://" + std::string(300, 'a') + ":1").ok());
  CacheOptions o;
  o.url = "redis://127.0.0.1:6379";
  o.ttl_s = 0;
  EXPECT_FALSE(ResponseCache::Create(o).ok());
  o.ttl_s = 60;
  o.timeout_ms = 0;
  EXPECT_FALSE(ResponseCache::Create(o).ok());
}

TEST(RecommendationCacheKeyTest, ChangesWithEachInputAndNotWithEventOrder) {
  const std::multimap<std::string, std::string> q = {{"k", "10"}, {"explain", "true"}};
  EventFingerprint none;
  EventFingerprint ab, ba;
  ab.Add("1", 1.f, 100);
  ab.Add("2", 5.f, 200);
  ba.Add("2", 5.f, 200);
  ba.Add("1", 1.f, 100);
  const std::string base = RecommendationCacheKey("v1", 100, "u", none, q);
  EXPECT_TRUE(base.starts_with("hr:rec:"));
  EXPECT_EQ(base, RecommendationCacheKey("v1", 100, "u", none, q));
  EXPECT_NE(base, RecommendationCacheKey("v2", 100, "u", none, q));
  EXPECT_NE(base, RecommendationCacheKey("v1", 101, "u", none, q));
  EXPECT_NE(base, RecommendationCacheKey("v1", 100, "u2", none, q));
  EXPECT_NE(base, RecommendationCacheKey("v1", 100, "u", ab, q));
  EXPECT_EQ(RecommendationCacheKey("v1", 100, "u", ab, q), RecommendationCacheKey("v1", 100, "u", ba, q));
  EventFingerprint other;
  other.Add("1", 2.f, 100);
  other.Add("2", 5.f, 200);
  EXPECT_NE(RecommendationCacheKey("v1", 100, "u", ab, q), RecommendationCacheKey("v1", 100, "u", other, q));
  EXPECT_NE(base, RecommendationCacheKey("v1", 100, "u", none, {{"k", "10"}}));
  EXPECT_NE(base, RecommendationCacheKey("v1", 100, "u", none, {{"k", "10"}, {"explain", "false"}}));
  // Field boundaries are kept: ("ab","c") and ("a","bc") differ.
  EXPECT_NE(RecommendationCacheKey("v1", 1, "u", none, {{"ab", "c"}}),
            RecommendationCacheKey("v1", 1, "u", none, {{"a", "bc"}}));
}

TEST(ResponseCacheTest, StoresAndReadsBackOnRealRedis) {
  const auto url = testing::TestRedisUrl();
  if (!url) GTEST_SKIP() << "no test Redis server (run through ctest, which starts one)";
  CacheOptions o;
  o.url = *url;
  o.ttl_s = 1;
  auto cache = ResponseCache::Create(o);
  ASSERT_TRUE(cache.ok()) << cache.status().message();
  ASSERT_TRUE((*cache)->Ping().ok());
  const std::string key = "hr:rec:test-" + std::to_string(::getpid());
  EXPECT_EQ((*cache)->Get(key).outcome, ResponseCache::Outcome::kMiss);
  const std::string value("{\"items\":[]}\0binary", 19);
  (*cache)->Put(key, value);
  auto hit = (*cache)->Get(key);
  ASSERT_EQ(hit.outcome, ResponseCache::Outcome::kHit);
  EXPECT_EQ(hit.value, value);
  // The TTL: gone after it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ((*cache)->Get(key).outcome, ResponseCache::Outcome::kMiss);
  const CacheCounts c = (*cache)->counts();
  EXPECT_EQ(c.hits, 1u);
  EXPECT_EQ(c.misses, 2u);
  EXPECT_EQ(c.stores, 1u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_NE((*cache)->RenderMetrics().find("hybridrec_cache_lookups_total{result=\"hit\"} 1"), std::string::npos);
}

TEST(ResponseCacheTest, ConcurrentUseFromManyThreads) {
  const auto url = testing::TestRedisUrl();
  if (!url) GTEST_SKIP() << "no test Redis server (run through ctest, which starts one)";
  CacheOptions o;
  o.url = *url;
  o.timeout_ms = 1000;
  auto cache = ResponseCache::Create(o);
  ASSERT_TRUE(cache.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = "hr:rec:conc-" + std::to_string(::getpid()) + "-" + std::to_string(i % 10);
        if ((*cache)->Get(key).outcome != ResponseCache::Outcome::kHit) (*cache)->Put(key, "v" + std::to_string(i % 10));
        (void)t;
      }
    });
  }
  for (auto& th : threads) th.join();
  const CacheCounts c = (*cache)->counts();
  EXPECT_EQ(c.hits + c.misses, 400u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_GT(c.hits, 300u);
}

TEST(ResponseCacheTest, RedisDownIsBypassedWithinTheTimeoutAndRetriedLater) {
  testing::PrivateRedis redis("down");
  ASSERT_TRUE(redis.ok());
  CacheOptions o;
  o.url = redis.url();
  o.timeout_ms = 50;
  o.retry_ms = 200;
  auto cache = ResponseCache::Create(o);
  ASSERT_TRUE(cache.ok());
  (*cache)->Put("hr:rec:k", "v");
  ASSERT_EQ((*cache)->Get("hr:rec:k").outcome, ResponseCache::Outcome::kHit);
  redis.Stop();
  auto t0 = Clock::now();
  EXPECT_EQ((*cache)->Get("hr:rec:k").outcome, ResponseCache::Outcome::kBypassed);
  EXPECT_LT(MsSince(t0), 500);
  EXPECT_FALSE((*cache)->up());
  // Marked down: the next ones skip Redis without trying.
  t0 = Clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ((*cache)->Get("hr:rec:k").outcome, ResponseCache::Outcome::kBypassed);
  (*cache)->Put("hr:rec:k", "v");
  EXPECT_LT(MsSince(t0), 50);
  CacheCounts c = (*cache)->counts();
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.bypassed, 101u);
  EXPECT_NE((*cache)->RenderMetrics().find("hybridrec_cache_up 0"), std::string::npos);
  EXPECT_FALSE((*cache)->Ping().ok());
}

TEST(ResponseCacheTest, PausedRedisCostsAtMostTheTimeoutAndRecovers) {
  testing::PrivateRedis redis("paused");
  ASSERT_TRUE(redis.ok());
  CacheOptions o;
  o.url = redis.url();
  o.timeout_ms = 50;
  o.retry_ms = 100;
  auto cache = ResponseCache::Create(o);
  ASSERT_TRUE(cache.ok());
  (*cache)->Put("hr:rec:p", "v");
  ASSERT_EQ((*cache)->Get("hr:rec:p").outcome, ResponseCache::Outcome::kHit);
  redis.Pause();  // SIGSTOP: connections are accepted by the kernel, nothing answers
  auto t0 = Clock::now();
  EXPECT_EQ((*cache)->Get("hr:rec:p").outcome, ResponseCache::Outcome::kBypassed);
  const double first = MsSince(t0);
  EXPECT_GE(first, 40);
  EXPECT_LT(first, 500);
  // After the retry interval one probe tries again (and times out again).
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  t0 = Clock::now();
  EXPECT_EQ((*cache)->Get("hr:rec:p").outcome, ResponseCache::Outcome::kBypassed);
  EXPECT_LT(MsSince(t0), 500);
  redis.Resume();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ((*cache)->Get("hr:rec:p").outcome, ResponseCache::Outcome::kHit);
  EXPECT_TRUE((*cache)->up());
  EXPECT_EQ((*cache)->counts().errors, 2u);
}

}  // namespace
}  // namespace hybridrec::serve
