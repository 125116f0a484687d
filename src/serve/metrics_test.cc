#include "serve/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace hybridrec::serve {
namespace {

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(PrometheusLabelValue(""), "");
  EXPECT_EQ(PrometheusLabelValue("/v1/users/{id}"), "/v1/users/{id}");
  EXPECT_EQ(PrometheusLabelValue("a\"b"), "a\\\"b");
  EXPECT_EQ(PrometheusLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(PrometheusLabelValue("a\nb"), "a\\nb");
  EXPECT_EQ(PrometheusLabelValue("\"\\\n"), "\\\"\\\\\\n");
  EXPECT_EQ(PrometheusLabelValue("caf\xc3\xa9\tx"), "caf\xc3\xa9\tx");  // other bytes pass through
}

TEST(MetricsTest, NumbersHaveNineSignificantDigits) {
  EXPECT_EQ(PrometheusNumber(0), "0");
  EXPECT_EQ(PrometheusNumber(0.25), "0.25");
  EXPECT_EQ(PrometheusNumber(0.00025), "0.00025");
  EXPECT_EQ(PrometheusNumber(1e-5), "1e-05");
  EXPECT_EQ(PrometheusNumber(-3.5), "-3.5");
  EXPECT_EQ(PrometheusNumber(1.0 / 3.0), "0.333333333");
  EXPECT_EQ(PrometheusNumber(123456789012.0), "1.23456789e+11");
}

TEST(MetricsTest, CountsAndHistogramsInTextFormat) {
  Metrics m({"/v1/a", "/v1/b"});
  m.Observe(0, "GET", 200, 0.0002);
  m.Observe(0, "GET", 200, 0.003);
  m.Observe(0, "POST", 404, 2.0);
  m.Observe(1, "BREW", 299, 100.0);  // unknown method and status: "other"
  m.Observe(7, "GET", 200, 0.1);     // unknown route: ignored
  const std::string t = m.Render(ServiceGauges{});
  EXPECT_NE(t.find("hybridrec_http_requests_total{route=\"/v1/a\",method=\"GET\",status=\"200\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("hybridrec_http_requests_total{route=\"/v1/a\",method=\"POST\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_requests_total{route=\"/v1/b\",method=\"other\",status=\"other\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_bucket{route=\"/v1/a\",le=\"0.00025\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_bucket{route=\"/v1/a\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_bucket{route=\"/v1/a\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_count{route=\"/v1/b\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("# TYPE hybridrec_http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_EQ(m.total_requests(), 4u);
}

// The service's gauges follow the requests, each with its HELP and TYPE lines; the version
// label is escaped.
TEST(MetricsTest, GaugesFollowTheRequests) {
  Metrics m({"/healthz"});
  m.Observe(0, "GET", 200, 0.001);
  ServiceGauges g;
  g.model_version = "abc\"def";
  g.events_stored = 12;
  g.items_added = 2;
  g.catalogue_items = 1684;
  g.live_users = 3;
  g.model_reloads = 1;
  g.connections_cut = 4;
  const std::string t = m.Render(g);
  const std::string gauges =
      "# HELP hybridrec_model_info The loaded model (value 1).\n"
      "# TYPE hybridrec_model_info gauge\n"
      "hybridrec_model_info{version=\"abc\\\"def\"} 1\n"
      "# HELP hybridrec_events_stored Events in the event store.\n"
      "# TYPE hybridrec_events_stored gauge\n"
      "hybridrec_events_stored 12\n"
      "# HELP hybridrec_items_added Items added through the API in the loaded catalogue.\n"
      "# TYPE hybridrec_items_added gauge\n"
      "hybridrec_items_added 2\n"
      "# HELP hybridrec_catalogue_items Items in the catalogue.\n"
      "# TYPE hybridrec_catalogue_items gauge\n"
      "hybridrec_catalogue_items 1684\n"
      "# HELP hybridrec_live_users Users with events since training.\n"
      "# TYPE hybridrec_live_users gauge\n"
      "hybridrec_live_users 3\n"
      "# HELP hybridrec_model_reloads_total Successful model reloads.\n"
      "# TYPE hybridrec_model_reloads_total counter\n"
      "hybridrec_model_reloads_total 1\n"
      "# HELP hybridrec_http_connections_cut_total Connections cut off for completing no request in time.\n"
      "# TYPE hybridrec_http_connections_cut_total counter\n"
      "hybridrec_http_connections_cut_total 4\n";
  ASSERT_GE(t.size(), gauges.size());
  EXPECT_EQ(t.substr(t.size() - gauges.size()), gauges);
  EXPECT_EQ(t.rfind("# HELP hybridrec_http_requests_total", 0), 0u) << t;
  EXPECT_LT(t.find("hybridrec_http_request_duration_seconds_count{route=\"/healthz\"} 1\n"), t.find(gauges));
  // Every sample line belongs to a family announced by a TYPE line before it.
  std::string family;
  size_t pos = 0;
  while (pos < t.size()) {
    const size_t end = t.find('\n', pos);
    ASSERT_NE(end, std::string::npos);
    const std::string line = t.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
    } else if (line[0] != '#') {
      EXPECT_FALSE(family.empty());
      EXPECT_EQ(line.rfind(family, 0), 0u) << line;
    }
  }
}

TEST(MetricsTest, ConcurrentObserve) {
  Metrics m({"/r"});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) m.Observe(0, "GET", 200, 0.001);
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(m.total_requests(), 40000u);
  EXPECT_NE(m.Render(ServiceGauges{}).find("status=\"200\"} 40000\n"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec::serve
