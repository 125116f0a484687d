// RateLimiter: one token bucket per key (the access tokens' hashes, auth.h), for the per-key
// rate limits of the HTTP service. A bucket starts full (`burst` requests), refills at
// `rate_per_s` and each request takes one.
// Thread-safety: Take is safe from many threads (one mutex; a map lookup per call). Memory is
// one small entry per key seen, and keys come from the tokens file.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hybridrec::serve {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // 0 when the request may pass (a token was taken); otherwise the seconds until one would.
  double Take(std::string_view key, double rate_per_s, double burst, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace hybridrec::serve
