// Api: the JSON API of the service (contract: docs/api.md; machine-readable: GET /openapi.json)
// as handlers from HttpRequest to HttpResponse (router.h) over a LiveState, with no sockets:
// server.cc feeds it requests from cpp-httplib, and tests call Handle directly.
//
// Handle routes a request (the route table is Routes()), records it in the Prometheus metrics
// and returns the response. Reads (every GET, and POST /v1/recommendations, which only ranks)
// compute in first-come-first-served turns (fifo_gate.h); writes wait on disk, not CPU, and
// take no turn. GET paths outside /v1 and /admin are the web page's static files. With
// ApiOptions::access, each route asks for its role (auth.h) before anything else. Every Status
// becomes the documented error body and status code; nothing a client sends throws out of
// Handle.
//
// Thread-safety: Handle, Reload and Log are safe from many threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serve/auth.h"
#include "serve/experiment_runtime.h"
#include "serve/fifo_gate.h"
#include "serve/freshness.h"
#include "serve/live_state.h"
#include "serve/metrics.h"
#include "serve/response_cache.h"
#include "serve/router.h"

namespace hybridrec::serve {

struct ApiOptions {
  std::filesystem::path report_dir;  // holds report.json for GET /v1/report (optional)
  std::filesystem::path web_root;    // the built web page served at / (static files)
  int compute_slots = -1;            // reads computing at once; 0: no limit, -1: 2 per hardware thread
  // Connections the server cut off for being too slow, for /metrics (empty: 0).
  std::function<uint64_t()> connections_cut;
  // Bounds of the in-memory counts behind GET /v1/items/fresh (freshness.h).
  FreshnessOptions freshness;
  // Access control (auth.h): null leaves every endpoint open. Reload() reads the file it came
  // from (AccessTokens::source) again.
  std::shared_ptr<const AccessTokens> access;
  // Without access tokens: whether POST /v1/events and /v1/items are accepted (the server
  // listens on loopback only, so only this machine can write). /admin/* is refused (403)
  // without tokens whatever this says; SIGHUP still reloads.
  bool open_writes = true;
  // --public-read: reads need no token even when the tokens say require-read.
  bool public_read = false;
  // Redis cache of GET /v1/users/{id}/recommendations (response_cache.h); null: none.
  std::shared_ptr<ResponseCache> cache;
  // The online experiment (experiment_runtime.h): null runs none. Reload() reads its file again.
  std::shared_ptr<ExperimentRuntime> experiments;
};

class Api {
 public:
  // `state` must outlive the Api. `log` receives one-line notices (reloads, a missing report);
  // may be null.
  Api(LiveState& state, ApiOptions options, std::ostream* log);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  HttpResponse Handle(HttpRequest request);
  // Counts a request the HTTP library answered itself (malformed request, body too large) in
  // the metrics, as unmatched.
  void CountUnrouted(std::string_view method, int status);

  // POST /admin/reload and SIGHUP: reloads the tokens file (with access control), the model
  // (LiveState::Reload) and the report, and logs the outcome. A refused tokens file or model
  // changes nothing: the current tokens and model keep serving.
  Status Reload();
  // The model directory's watcher (ServeOptions::watch_model_ms): Reload() when the manifest there
  // is of another version than the model serving; else nothing. An unreadable manifest is logged.
  void ReloadIfNewModel();
  // Writes "hybridrec serve: <line>" to the log, one line at a time.
  void Log(const std::string& line);

  LiveState& state() { return state_; }
  const std::shared_ptr<ExperimentRuntime>& experiments() const { return options_.experiments; }
  const Router& router() const { return router_; }
  // How often the added items were served, from the recommendation lists this Api answered.
  const FreshnessTracker& freshness() const { return freshness_; }
  // The route table (method, path template), for the OpenAPI sync test and the docs.
  static std::vector<RouteInfo> Routes();

 private:
  using Handler = HttpResponse (Api::*)(const HttpRequest&);
  struct RouteDef {
    const char* method;
    const char* path;
    Handler handler;
    bool json_body;  // POST bodies that must be JSON
    bool computes;   // takes a turn at the FIFO gate
    Role role;       // needed with access control (kRead: only under require-read)
  };
  static const std::vector<RouteDef>& Table();
  void LoadReport();
  // Records a recommendation list about to be served in freshness_ (HEAD requests, which send
  // no list, are not counted). `user`: the known user it is for, std::nullopt otherwise.
  void RecordServed(const HttpRequest& req, const Snapshot& snap, const RankResponse& r,
                    std::optional<std::string_view> user);

  HttpResponse Healthz(const HttpRequest& req);
  HttpResponse Readyz(const HttpRequest& req);
  HttpResponse MetricsText(const HttpRequest& req);
  HttpResponse OpenApi(const HttpRequest& req);
  HttpResponse Model(const HttpRequest& req);
  HttpResponse Report(const HttpRequest& req);
  HttpResponse EmbeddingMap(const HttpRequest& req);
  HttpResponse User(const HttpRequest& req);
  HttpResponse UserRecommendations(const HttpRequest& req);
  HttpResponse AnonymousRecommendations(const HttpRequest& req);
  HttpResponse FreshItems(const HttpRequest& req);
  HttpResponse GetItem(const HttpRequest& req);
  HttpResponse Similar(const HttpRequest& req);
  HttpResponse AddItem(const HttpRequest& req);
  HttpResponse Search(const HttpRequest& req);
  HttpResponse Events(const HttpRequest& req);
  HttpResponse ReloadRoute(const HttpRequest& req);
  HttpResponse ExperimentsList(const HttpRequest& req);
  HttpResponse ExperimentReportRoute(const HttpRequest& req);
  std::shared_ptr<const AccessTokens> access() const;

  LiveState& state_;
  const ApiOptions options_;
  std::ostream* log_;
  std::mutex log_mu_;
  Router router_;
  std::unique_ptr<Metrics> metrics_;
  FifoGate gate_;
  std::mutex report_mu_;
  std::shared_ptr<const std::string> report_;  // report.json, compact; null when none
  std::string report_note_;                    // why there is none
  FreshnessTracker freshness_;
  mutable std::mutex access_mu_;
  std::shared_ptr<const AccessTokens> access_;  // null: no access control
  RateLimiter limiter_;                          // the tokens' rate= limits
  const int64_t counting_since_;  // when freshness_ started counting (seconds since the epoch)
};

// The OpenAPI 3 document served at /openapi.json.
const std::string& OpenApiDocument();

}  // namespace hybridrec::serve
