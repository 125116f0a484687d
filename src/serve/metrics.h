// Metrics: a small Prometheus registry for the HTTP service (no client library is packaged in
// Debian for C++): request counters by (route, method, status) and a latency histogram per
// route with fixed buckets, all lock-free atomics, rendered in the text exposition format 0.0.4.
// Routes are registered up front (by index); statuses outside the tracked list count as "other".
// Thread-safety: Observe and Render are safe from many threads at once.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hybridrec::serve {

class Metrics {
 public:
  static constexpr std::array<double, 13> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  1.0,   5.0};
  static constexpr std::array<int, 14> kStatuses = {200, 201, 204, 304, 400, 404, 405,
                                                    409, 413, 415, 431, 500, 503, 0 /* other */};
  static constexpr std::array<std::string_view, 8> kMethods = {"GET",  "POST", "PUT",     "DELETE",
                                                               "HEAD", "PATCH", "OPTIONS", "other"};

  // `routes`: the label of each route index (e.g. "/v1/users/{id}"), fixed for the lifetime.
  explicit Metrics(std::vector<std::string> routes);

  void Observe(size_t route, std::string_view method, int status, double seconds);
  // Counters and histograms; `extra` (already formatted lines, e.g. gauges) is appended.
  std::string Render(std::string_view extra) const;
  size_t num_routes() const { return routes_.size(); }
  uint64_t total_requests() const;

 private:
  struct Route {
    std::array<std::array<std::atomic<uint64_t>, kStatuses.size()>, kMethods.size()> count{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> bucket{};  // last: +Inf
    std::atomic<uint64_t> sum_ns{0};
  };
  std::vector<std::string> routes_;
  std::unique_ptr<Route[]> data_;
};

}  // namespace hybridrec::serve
