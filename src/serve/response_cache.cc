#include "serve/response_cache.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>

#include "core/file_util.h"

namespace hybridrec::serve {

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

timeval Timeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

Status BadUrl(std::string_view url, std::string_view why) {
  return Status::InvalidArgument("--cache '" + std::string(url) + "': " + std::string(why) +
                                 " (expected redis://HOST:PORT, e.g. redis://127.0.0.1:6379)");
}

std::optional<int> ParseInt(std::string_view s, int lo, int hi) {
  int v = 0;
  if (s.empty() || s.size() > 6) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (const unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return BadUrl(url, "the scheme must be redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("@?#") != std::string_view::npos)
    return BadUrl(url, "user info, queries and fragments are not supported");
  RedisAddress a;
  std::string_view hostport = rest;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      const auto v = ParseInt(db, 0, 15);
      if (!v) return BadUrl(url, "the database after '/' must be a number from 0 to 15");
      a.db = *v;
    }
  }
  std::string_view host = hostport, port;
  if (hostport.starts_with('[')) {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "an IPv6 address needs its closing ']'");
    host = hostport.substr(1, close - 1);
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return BadUrl(url, "only ':PORT' may follow ']'");
      port = after.substr(1);
      if (port.empty()) return BadUrl(url, "the port after ':' is empty");
    }
  } else if (const size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (port.empty()) return BadUrl(url, "the port after ':' is empty");
  }
  if (host.empty()) return BadUrl(url, "the host is empty");
  if (host.size() > 253) return BadUrl(url, "the host is longer than 253 characters");
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == ':' || c == '_';
    if (!ok) return BadUrl(url, "the host may hold letters, digits, '.', '-', '_' (and ':' inside [ ])");
  }
  if (!port.empty()) {
    const auto v = ParseInt(port, 1, 65535);
    if (!v) return BadUrl(url, "the port must be a number from 1 to 65535");
    a.port = *v;
  }
  a.host = std::string(host);
  return a;
}

void EventFingerprint::Add(std::string_view item_id, float strength, int64_t timestamp) {
  uint32_t sbits = 0;
  static_assert(sizeof sbits == sizeof strength);
  std::memcpy(&sbits, &strength, sizeof sbits);
  uint64_t h = Fnv1a(item_id);
  h = Mix(h ^ (static_cast<uint64_t>(sbits) << 1));
  h = Mix(h ^ static_cast<uint64_t>(timestamp));
  ++count;
  sum += h;
}

std::string RecommendationCacheKey(std::string_view model_version, size_t catalogue_items, std::string_view user,
                                   const EventFingerprint& events,
                                   const std::multimap<std::string, std::string>& query) {
  // Length-prefixed fields: no two different inputs give the same text.
  std::string text;
  text.reserve(128 + user.size());
  auto field = [&text](std::string_view s) {
    text += std::to_string(s.size());
    text += ':';
    text += s;
  };
  field("user-recommendations");
  field(model_version);
  field(std::to_string(catalogue_items));
  field(user);
  field(std::to_string(events.count) + "/" + std::to_string(events.sum));
  for (const auto& [k, v] : query) {
    field(k);
    field(v);
  }
  return "hr:rec:" + Sha256Hex(text);
}

Result<std::unique_ptr<ResponseCache>> ResponseCache::Create(CacheOptions options) {
  HR_ASSIGN_OR_RETURN(RedisAddress address, ParseRedisUrl(options.url));
  if (options.ttl_s < 1 || options.ttl_s > 86400)
    return Status::InvalidArgument("--cache-ttl: must be 1 to 86400 seconds");
  if (options.timeout_ms < 1 || options.timeout_ms > 10000)
    return Status::InvalidArgument("--cache-timeout-ms: must be 1 to 10000 milliseconds");
  if (options.retry_ms < 0) return Status::InvalidArgument("cache retry interval must be >= 0");
  return std::unique_ptr<ResponseCache>(new ResponseCache(std::move(options), std::move(address)));
}

ResponseCache::ResponseCache(CacheOptions options, RedisAddress address)
    : options_(std::move(options)), address_(std::move(address)) {}

ResponseCache::~ResponseCache() {
  for (redisContext* c : idle_) redisFree(c);
}

bool ResponseCache::MayTry() {
  int64_t until = down_until_ns_.load(std::memory_order_acquire);
  if (until == 0) return true;
  const int64_t now = NowNs();
  if (now < until) return false;
  // One request probes; the others keep skipping for another retry interval.
  const int64_t next = now + int64_t{options_.retry_ms} * 1'000'000;
  return down_until_ns_.compare_exchange_strong(until, next, std::memory_order_acq_rel);
}

void ResponseCache::MarkDown() {
  down_until_ns_.store(NowNs() + int64_t{options_.retry_ms} * 1'000'000 + 1, std::memory_order_release);
  // Connections made before the failure may hang the same way: start afresh.
  std::vector<redisContext*> old;
  {
    std::lock_guard lock(pool_mu_);
    old.swap(idle_);
  }
  for (redisContext* c : old) redisFree(c);
}

void ResponseCache::MarkUp() {
  if (down_until_ns_.load(std::memory_order_relaxed) != 0) down_until_ns_.store(0, std::memory_order_release);
}

redisContext* ResponseCache::Acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, Timeval(options_.timeout_ms));
  if (c == nullptr || c->err != 0 || redisSetTimeout(c, Timeval(options_.timeout_ms)) != REDIS_OK) {
    if (c) redisFree(c);
    return nullptr;
  }
  if (address_.db != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "SELECT %d", address_.db));
    const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    if (!ok) {
      redisFree(c);
      return nullptr;
    }
  }
  return c;
}

void ResponseCache::Release(redisContext* c) {
  {
    std::lock_guard lock(pool_mu_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(c);
      return;
    }
  }
  redisFree(c);
}

ResponseCache::Lookup ResponseCache::Get(const std::string& key) {
  Lookup out;
  out.outcome = Outcome::kBypassed;
  if (!MayTry()) {
    bypassed_.fetch_add(1, std::memory_order_relaxed);
    return out;
  }
  redisContext* c = Acquire();
  if (c == nullptr) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    MarkDown();
    return out;
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "GET %b", key.data(), key.size()));
  if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
    // No reply: the connection failed or timed out, and is unusable. An error reply (Redis
    // loading, out of memory, ...) is treated the same.
    if (r) freeReplyObject(r);
    redisFree(c);
    errors_.fetch_add(1, std::memory_order_relaxed);
    MarkDown();
    return out;
  }
  if (r->type == REDIS_REPLY_STRING) {
    out.outcome = Outcome::kHit;
    out.value.assign(r->str, r->len);
    hits_.fetch_add(1, std::memory_order_relaxed);
  } else {
    out.outcome = Outcome::kMiss;
    misses_.fetch_add(1, std::memory_order_relaxed);
  }
  freeReplyObject(r);
  Release(c);
  MarkUp();
  return out;
}

void ResponseCache::Put(const std::string& key, std::string_view value) {
  if (value.size() > options_.max_value_bytes) return;
  if (!MayTry()) {
    bypassed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  redisContext* c = Acquire();
  if (c == nullptr) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    MarkDown();
    return;
  }
  const long long ttl_ms = 1000LL * options_.ttl_s;
  auto* r = static_cast<redisReply*>(
      redisCommand(c, "SET %b %b PX %lld", key.data(), key.size(), value.data(), value.size(), ttl_ms));
  if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
    if (r) freeReplyObject(r);
    redisFree(c);
    errors_.fetch_add(1, std::memory_order_relaxed);
    MarkDown();
    return;
  }
  freeReplyObject(r);
  Release(c);
  stores_.fetch_add(1, std::memory_order_relaxed);
  MarkUp();
}

Status ResponseCache::Ping() {
  const std::string where = "Redis at " + options_.url;
  redisContext* c = Acquire();
  if (c == nullptr) {
    MarkDown();
    return Status::IOError(where + " does not answer within " + std::to_string(options_.timeout_ms) + " ms");
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
  const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
  std::string why = r == nullptr ? std::string(c->errstr) : (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "");
  if (r) freeReplyObject(r);
  if (!ok) {
    redisFree(c);
    MarkDown();
    return Status::IOError(where + ": PING failed" + (why.empty() ? "" : ": " + why));
  }
  Release(c);
  MarkUp();
  return Status::Ok();
}

CacheCounts ResponseCache::counts() const {
  CacheCounts c;
  c.hits = hits_.load(std::memory_order_relaxed);
  c.misses = misses_.load(std::memory_order_relaxed);
  c.errors = errors_.load(std::memory_order_relaxed);
  c.bypassed = bypassed_.load(std::memory_order_relaxed);
  c.stores = stores_.load(std::memory_order_relaxed);
  return c;
}

std::string ResponseCache::RenderMetrics() const {
  const CacheCounts c = counts();
  std::string o;
  o += "# HELP hybridrec_cache_lookups_total Recommendation cache lookups in Redis by result.\n";
  o += "# TYPE hybridrec_cache_lookups_total counter\n";
  o += "hybridrec_cache_lookups_total{result=\"hit\"} " + std::to_string(c.hits) + "\n";
  o += "hybridrec_cache_lookups_total{result=\"miss\"} " + std::to_string(c.misses) + "\n";
  o += "# HELP hybridrec_cache_stores_total Responses stored in the Redis cache.\n";
  o += "# TYPE hybridrec_cache_stores_total counter\n";
  o += "hybridrec_cache_stores_total " + std::to_string(c.stores) + "\n";
  o += "# HELP hybridrec_cache_errors_total Cache lookups and stores that failed or timed out (the request was "
       "answered without the cache).\n";
  o += "# TYPE hybridrec_cache_errors_total counter\n";
  o += "hybridrec_cache_errors_total " + std::to_string(c.errors) + "\n";
  o += "# HELP hybridrec_cache_bypassed_total Cache lookups and stores skipped while Redis was marked down.\n";
  o += "# TYPE hybridrec_cache_bypassed_total counter\n";
  o += "hybridrec_cache_bypassed_total " + std::to_string(c.bypassed) + "\n";
  o += "# HELP hybridrec_cache_up Whether the last exchange with Redis succeeded.\n";
  o += "# TYPE hybridrec_cache_up gauge\n";
  o += std::string("hybridrec_cache_up ") + (up() ? "1" : "0") + "\n";
  return o;
}

}  // namespace hybridrec::serve
