// Metrics: a small Prometheus registry for the HTTP service (no client library is packaged in
// Debian for C++): request counters by (route, method, status) and a latency histogram per
// route with fixed buckets, all lock-free atomics. Render writes everything GET /metrics serves
// in the text exposition format 0.0.4: those counters and histograms, then the service's gauges
// (ServiceGauges, read by the caller at scrape time). Requests refused by access control
// (401, 403) are also counted on their own, hybridrec_http_requests_rejected_total{reason}. Routes are registered up front (by index);
// statuses outside the tracked list count as "other".
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

// Helpers for writing Prometheus text by hand, shared by every renderer of GET /metrics.
// A label value escaped for use between double quotes: backslash, double quote and newline
// become \\, \" and \n.
std::string PrometheusLabelValue(std::string_view v);
// A sample value in printf's %.9g: at most nine significant digits, e.g. 0.25, 1e-05, 12345.
std::string PrometheusNumber(double v);

// The state of the service at scrape time, rendered as gauges and counters after the requests.
struct ServiceGauges {
  std::string model_version;     // hybridrec_model_info{version}
  int64_t events_stored = 0;     // hybridrec_events_stored
  size_t items_added = 0;        // hybridrec_items_added (in the loaded catalogue)
  size_t catalogue_items = 0;    // hybridrec_catalogue_items
  size_t live_users = 0;         // hybridrec_live_users (users with events since training)
  int64_t model_reloads = 0;     // hybridrec_model_reloads_total
  uint64_t connections_cut = 0;  // hybridrec_http_connections_cut_total
};

class Metrics {
 public:
  static constexpr std::array<double, 13> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  1.0,   5.0};
  static constexpr std::array<int, 17> kStatuses = {200, 201, 204, 304, 400, 401, 403, 404, 405,
                                                    409, 413, 415, 429, 431, 500, 503, 0 /* other */};
  static constexpr std::array<std::string_view, 8> kMethods = {"GET",  "POST", "PUT",     "DELETE",
                                                               "HEAD", "PATCH", "OPTIONS", "other"};

  // `routes`: the label of each route index (e.g. "/v1/users/{id}"), fixed for the lifetime.
  explicit Metrics(std::vector<std::string> routes);

  void Observe(size_t route, std::string_view method, int status, double seconds);
  // The whole exposition: request counters, latency histograms, then `gauges`.
  std::string Render(const ServiceGauges& gauges) const;
  size_t num_routes() const { return routes_.size(); }
  uint64_t total_requests() const;
  // Requests answered 401 (no or unknown token) and 403 (too small a role).
  uint64_t unauthenticated() const { return unauthenticated_.load(std::memory_order_relaxed); }
  uint64_t forbidden() const { return forbidden_.load(std::memory_order_relaxed); }

 private:
  struct Route {
    std::array<std::array<std::atomic<uint64_t>, kStatuses.size()>, kMethods.size()> count{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> bucket{};  // last: +Inf
    std::atomic<uint64_t> sum_ns{0};
  };
  std::vector<std::string> routes_;
  std::unique_ptr<Route[]> data_;
  std::atomic<uint64_t> unauthenticated_{0};
  std::atomic<uint64_t> forbidden_{0};
};

}  // namespace hybridrec::serve
