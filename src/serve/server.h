// HttpServer: the JSON-over-HTTP service on cpp-httplib. The API itself (routes,
// handlers, metrics) is Api (api.h), which works without sockets; this is the outer layer: it
// opens the event store and the model (LiveState), configures httplib, converts its requests
// and responses to and from HttpRequest / HttpResponse, gives errors httplib raises by itself
// (413 body too large, 400 unparsable request) the API's JSON error shape, and cuts off slow
// clients (slow_client_reaper.h). Process concerns (signals, allocator settings, the serve
// loop) belong to the `hybridrec serve` command (src/cli/cmd_serve.cc).
//
// Connections: httplib serves one keep-alive connection per worker thread for as long as the
// connection lives, so the pool is sized for the expected concurrent connections (`threads`),
// keep-alive connections serve many requests, and read/write timeouts bound how long a slow or
// idle client can hold a worker.
//
// Thread-safety: Stop() and Reload() may be called from any thread (e.g. a signal thread); Run()
// blocks.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "serve/api.h"
#include "serve/live_state.h"

namespace hybridrec::serve {

// 127.0.0.0/8, ::1 and localhost: only this machine can connect.
bool IsLoopbackHost(const std::string& host);

struct ServeOptions {
  std::filesystem::path model_dir;        // required
  std::string host = "127.0.0.1";
  int port = 8080;                        // 0: any free port (see HttpServer::port())
  // Event store: a SQLite file (or sqlite:PATH; ":memory:" keeps nothing across restarts) or a
  // postgresql:// URL (several replicas may share one database).
  std::string db = "events.sqlite";
  std::filesystem::path report_dir;       // holds report.json for GET /v1/report (optional)
  std::string web_root;                   // empty: $HYBRIDREC_WEB_ROOT or <source>/web/dist
  int threads = 0;                        // worker threads; 0: max(128, 8 x hardware threads)
  int compute_slots = -1;                 // read requests computing at once, first come first served
                                          // (fifo_gate.h); 0: no limit, -1: 2 per hardware thread
  size_t max_body_bytes = 1 << 20;        // larger bodies get 413
  int read_timeout_s = 5;                 // a request must arrive within this (slow clients are cut off)
  int write_timeout_s = 5;
  int keep_alive_timeout_s = 5;           // an idle keep-alive connection is closed after this
  // A connection that completes no request for this long (and is not in a handler) is cut off,
  // e.g. a client trickling one byte per second; 0 disables (see slow_client_reaper.h).
  int request_timeout_s = 10;
  size_t keep_alive_max_requests = 100000;  // requests per connection before it is closed
  int listen_backlog = 1024;
  // Tokens file (auth.h); empty: no access control, every endpoint open.
  std::filesystem::path auth_file;
  // The tokens text from this environment variable instead (auth.h; ';' may end entries).
  std::string auth_env;
  // Reads need no token whatever the tokens say (require-read is ignored).
  bool public_read = false;
  // Redis cache of recommendation responses (response_cache.h); empty URL: none.
  std::string cache_url;
  int cache_ttl_s = 60;
  int cache_timeout_ms = 20;
  // Online experiment file (experiments.h); empty: none. Re-read on SIGHUP and POST /admin/reload.
  std::filesystem::path experiments_file;
  int exposure_flush_ms = 100;  // the exposure log's flush interval (0: write before responding)
  // Checks model_dir/manifest.json this often and reloads (as SIGHUP does) when it holds a model
  // of another version (model_watch.h); 0: no watching.
  int watch_model_ms = 0;
};

class HttpServer {
 public:
  // Reads the tokens file (when given; InvalidArgument naming file, line and field when it is
  // bad), opens the event store, loads the model and replays the store (LiveState::Open).
  // `log` receives one-line notices (replay counts, reloads); may be null.
  static Result<std::unique_ptr<HttpServer>> Create(const ServeOptions& options, std::ostream* log);
  ~HttpServer();

  // Binds the listening socket; after it, port() is the bound port. IOError when it cannot.
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  Status Run();
  void Stop();
  // POST /admin/reload and SIGHUP.
  Status Reload();

  LiveState& state() { return *state_; }
  Api& api();
  // The route table and the OpenAPI document (Api::Routes, OpenApiDocument).
  static std::vector<RouteInfo> Routes() { return Api::Routes(); }
  static const std::string& OpenApiDocument() { return serve::OpenApiDocument(); }

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  LiveState* state_ = nullptr;
  int port_ = 0;
  // Stop() may come before Run() has entered httplib's accept loop (a signal right after
  // start-up): Run() then returns at once, or Stop() waits for the loop to stop it.
  std::mutex run_mu_;
  bool stop_requested_ = false;  // guarded by run_mu_
  bool run_started_ = false;     // guarded by run_mu_
  std::atomic<bool> run_finished_{false};
};

}  // namespace hybridrec::serve
