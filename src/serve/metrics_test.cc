#include "serve/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace hybridrec::serve {
namespace {

TEST(MetricsTest, CountsAndHistogramsInTextFormat) {
  Metrics m({"/v1/a", "/v1/b"});
  m.Observe(0, "GET", 200, 0.0002);
  m.Observe(0, "GET", 200, 0.003);
  m.Observe(0, "POST", 404, 2.0);
  m.Observe(1, "BREW", 299, 100.0);  // unknown method and status: "other"
  m.Observe(7, "GET", 200, 0.1);     // unknown route: ignored
  const std::string t = m.Render("hybridrec_x 1\n");
  EXPECT_NE(t.find("hybridrec_http_requests_total{route=\"/v1/a\",method=\"GET\",status=\"200\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("hybridrec_http_requests_total{route=\"/v1/a\",method=\"POST\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_requests_total{route=\"/v1/b\",method=\"other\",status=\"other\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_bucket{route=\"/v1/a\",le=\"0.00025\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_bucket{route=\"/v1/a\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_bucket{route=\"/v1/a\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("hybridrec_http_request_duration_seconds_count{route=\"/v1/b\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("# TYPE hybridrec_http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_EQ(t.substr(t.size() - 14), "hybridrec_x 1\n");
  EXPECT_EQ(m.total_requests(), 4u);
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
  EXPECT_NE(m.Render("").find("status=\"200\"} 40000\n"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec::serve
