// ResponseCache: GET recommendation responses kept in Redis (`serve --cache redis://host:port`),
// shared by every replica that names the same Redis.
//
// Keys. A response is stored under "hr:rec:<sha256>" of everything it depends on: the model
// version, the catalogue size (added items change what can be recommended), the user id, the
// user's event version and the request's query parameters. The event version is a fingerprint
// of the user's events since training as this replica holds them (their count and an
// order-independent hash of (item id, strength, timestamp) each), so an event for a user moves
// exactly that user's keys to new ones; every replica that applies the event (its own write, or
// one it follows through the store's change feed) computes the new key, and the old entries are
// never read again and expire with their TTL. Nothing extra is written to Redis per event and
// there is no message to lose: a replica's cache can only be as stale as its own event state.
//
// Failures. Redis is an optimisation, never a dependency: every connect and command has a
// timeout (CacheOptions::timeout_ms); a failure or timeout marks Redis down for retry_ms, during
// which lookups and stores are skipped at no cost ("bypassed"); then one request probes it
// again. The request itself is always answered, from the ranker. Counters for /metrics:
// RenderMetrics().
//
// Thread-safety: every method is safe from many threads (a pool of connections, one per
// command in flight).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct redisContext;

namespace hybridrec::serve {

struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
};

// "redis://HOST[:PORT][/DB]" (HOST a name, an IPv4 address or [IPv6]; PORT 1-65535, default
// 6379; DB 0-15, default 0). InvalidArgument naming what is wrong otherwise (user info, a query,
// another scheme).
Result<RedisAddress> ParseRedisUrl(std::string_view url);

struct CacheOptions {
  std::string url;          // redis://host:port[/db]
  int ttl_s = 60;           // lifetime of an entry
  int timeout_ms = 20;      // bound on a connect and on each command
  int retry_ms = 1000;      // after a failure, Redis is skipped this long before one request probes it
  size_t max_idle_connections = 64;
  size_t max_value_bytes = 1 << 20;  // larger responses are not stored
};

struct CacheCounts {
  uint64_t hits = 0, misses = 0;
  uint64_t errors = 0;    // lookups or stores that failed or timed out
  uint64_t bypassed = 0;  // lookups or stores skipped while Redis was marked down
  uint64_t stores = 0;
};

class ResponseCache {
 public:
  enum class Outcome { kHit, kMiss, kBypassed };
  struct Lookup {
    Outcome outcome = Outcome::kMiss;
    std::string value;  // when kHit
  };

  // Checks the options (InvalidArgument for a bad URL or a TTL/timeout out of range). Does not
  // need Redis to be up: Ping() says whether it answers now.
  static Result<std::unique_ptr<ResponseCache>> Create(CacheOptions options);
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // The stored value, kMiss when there is none, kBypassed when Redis is down, slow or marked
  // down (counted as an error or as bypassed).
  Lookup Get(const std::string& key);
  // Stores `value` under `key` with the TTL (skipped when Redis is down or the value too large).
  void Put(const std::string& key, std::string_view value);
  // OK when Redis answers PING within the timeout; IOError naming the address otherwise.
  Status Ping();

  CacheCounts counts() const;
  bool up() const { return down_until_ns_.load(std::memory_order_relaxed) == 0; }
  const CacheOptions& options() const { return options_; }
  // Prometheus text: hybridrec_cache_lookups_total{result}, hybridrec_cache_stores_total,
  // hybridrec_cache_errors_total, hybridrec_cache_bypassed_total, hybridrec_cache_up.
  std::string RenderMetrics() const;

 private:
  ResponseCache(CacheOptions options, RedisAddress address);
  // A connection from the pool or a new one; nullptr when Redis cannot be reached (marked down).
  redisContext* Acquire();
  void Release(redisContext* c);
  // True when a command may be sent now (Redis up, or this call won the probe after retry_ms).
  bool MayTry();
  void MarkDown();
  void MarkUp();

  const CacheOptions options_;
  const RedisAddress address_;
  std::mutex pool_mu_;
  std::vector<redisContext*> idle_;
  // 0: up; otherwise steady-clock nanoseconds until which Redis is skipped.
  std::atomic<int64_t> down_until_ns_{0};
  std::atomic<uint64_t> hits_{0}, misses_{0}, errors_{0}, bypassed_{0}, stores_{0};
};

// The cache key of GET /v1/users/{user}/recommendations (see the header comment).
// `user_events`: (item id, strength, timestamp) of each of the user's events since training.
struct EventFingerprint {
  uint64_t count = 0;
  uint64_t sum = 0;  // sum of a 64-bit hash of each event: the same whatever their order
  void Add(std::string_view item_id, float strength, int64_t timestamp);
};
std::string RecommendationCacheKey(std::string_view model_version, size_t catalogue_items, std::string_view user,
                                   const EventFingerprint& events,
                                   const std::multimap<std::string, std::string>& query);

}  // namespace hybridrec::serve
