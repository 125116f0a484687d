#include "serve/rate_limiter.h"

#include <algorithm>

namespace hybridrec::serve {

double RateLimiter::Take(std::string_view key, double rate_per_s, double burst, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) it = buckets_.emplace(std::string(key), Bucket{burst, now}).first;
  Bucket& b = it->second;
  if (now > b.last) {
    b.tokens = std::min(burst, b.tokens + rate_per_s * std::chrono::duration<double>(now - b.last).count());
    b.last = now;
  }
  b.tokens = std::min(b.tokens, burst);  // a reload may have lowered the burst
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0.0;
  }
  return (1.0 - b.tokens) / rate_per_s;
}

}  // namespace hybridrec::serve
