#include "serve/metrics.h"

#include <cstdio>

namespace hybridrec::serve {

std::string PrometheusLabelValue(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string PrometheusNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

Metrics::Metrics(std::vector<std::string> routes)
    : routes_(std::move(routes)), data_(std::make_unique<Route[]>(routes_.size())) {}

void Metrics::Observe(size_t route, std::string_view method, int status, double seconds) {
  if (route >= routes_.size()) return;
  if (status == 401) unauthenticated_.fetch_add(1, std::memory_order_relaxed);
  if (status == 403) forbidden_.fetch_add(1, std::memory_order_relaxed);
  size_t m = kMethods.size() - 1;
  for (size_t i = 0; i + 1 < kMethods.size(); ++i)
    if (kMethods[i] == method) m = i;
  size_t s = kStatuses.size() - 1;
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i)
    if (kStatuses[i] == status) s = i;
  Route& r = data_[route];
  r.count[m][s].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  r.bucket[b].fetch_add(1, std::memory_order_relaxed);
  r.sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

uint64_t Metrics::total_requests() const {
  uint64_t n = 0;
  for (size_t r = 0; r < routes_.size(); ++r)
    for (const auto& b : data_[r].bucket) n += b.load(std::memory_order_relaxed);
  return n;
}

std::string Metrics::Render(const ServiceGauges& g) const {
  std::string out;
  out += "# HELP hybridrec_http_requests_total HTTP requests by route template, method and status code.\n";
  out += "# TYPE hybridrec_http_requests_total counter\n";
  for (size_t r = 0; r < routes_.size(); ++r) {
    const std::string route = PrometheusLabelValue(routes_[r]);
    for (size_t m = 0; m < kMethods.size(); ++m)
      for (size_t s = 0; s < kStatuses.size(); ++s) {
        const uint64_t v = data_[r].count[m][s].load(std::memory_order_relaxed);
        if (v == 0) continue;
        out += "hybridrec_http_requests_total{route=\"" + route + "\",method=\"" + std::string(kMethods[m]) +
               "\",status=\"" + (kStatuses[s] ? std::to_string(kStatuses[s]) : std::string("other")) + "\"} " +
               std::to_string(v) + "\n";
      }
  }
  out += "# HELP hybridrec_http_request_duration_seconds Time from routing to the response being built, by route.\n";
  out += "# TYPE hybridrec_http_request_duration_seconds histogram\n";
  for (size_t r = 0; r < routes_.size(); ++r) {
    const std::string route = PrometheusLabelValue(routes_[r]);
    uint64_t cum = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cum += data_[r].bucket[b].load(std::memory_order_relaxed);
      const std::string le = b < kBuckets.size() ? PrometheusNumber(kBuckets[b]) : std::string("+Inf");
      out += "hybridrec_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + le + "\"} " +
             std::to_string(cum) + "\n";
    }
    out += "hybridrec_http_request_duration_seconds_sum{route=\"" + route + "\"} " +
           PrometheusNumber(static_cast<double>(data_[r].sum_ns.load(std::memory_order_relaxed)) * 1e-9) + "\n";
    out += "hybridrec_http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(cum) + "\n";
  }
  out += "# HELP hybridrec_http_requests_rejected_total Requests refused by access control: unauthenticated (401: no, "
         "malformed or unknown token), forbidden (403: the token's role is too small).\n";
  out += "# TYPE hybridrec_http_requests_rejected_total counter\n";
  out += "hybridrec_http_requests_rejected_total{reason=\"unauthenticated\"} " + std::to_string(unauthenticated()) + "\n";
  out += "hybridrec_http_requests_rejected_total{reason=\"forbidden\"} " + std::to_string(forbidden()) + "\n";
  const auto metric = [&out](std::string_view name, std::string_view type, std::string_view help,
                             std::string_view labels, const std::string& value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(labels).append(" ").append(value).append("\n");
  };
  metric("hybridrec_model_info", "gauge", "The loaded model (value 1).",
         "{version=\"" + PrometheusLabelValue(g.model_version) + "\"}", "1");
  metric("hybridrec_events_stored", "gauge", "Events in the event store.", "", std::to_string(g.events_stored));
  metric("hybridrec_items_added", "gauge", "Items added through the API in the loaded catalogue.", "",
         std::to_string(g.items_added));
  metric("hybridrec_catalogue_items", "gauge", "Items in the catalogue.", "", std::to_string(g.catalogue_items));
  metric("hybridrec_live_users", "gauge", "Users with events since training.", "", std::to_string(g.live_users));
  metric("hybridrec_model_reloads_total", "counter", "Successful model reloads.", "",
         std::to_string(g.model_reloads));
  metric("hybridrec_http_connections_cut_total", "counter",
         "Connections cut off for completing no request in time.", "", std::to_string(g.connections_cut));
  return out;
}

}  // namespace hybridrec::serve
