// HttpServer: the JSON-over-HTTP service of SPEC 7 (contract: docs/api.md; machine-readable:
// GET /openapi.json) on cpp-httplib, over a LiveState (live_state.h).
//
// Routing is ours, not httplib's: every request goes through one dispatcher that matches the
// route table (kRoutes in server.cc; Routes() lists it for the OpenAPI sync test), answers 405
// with an Allow header for a known path under another method, falls back to the static web
// page for other GET paths, checks the JSON content type of POST bodies (415), turns every
// Status into the documented error body and status code, and records metrics. Nothing a client
// sends can throw out of a handler: exceptions become 500 with an error body.
//
// Connections: httplib serves one keep-alive connection per worker thread for as long as the
// connection lives, so the pool is sized for the expected concurrent connections (`threads`),
// keep-alive connections serve many requests, and read/write timeouts bound how long a slow or
// idle client can hold a worker.
//
// Thread-safety: Stop() may be called from any thread (e.g. a signal thread); Run() blocks.
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "serve/live_state.h"

namespace hybridrec::serve {

struct ServeOptions {
  std::filesystem::path model_dir;        // required
  std::string host = "127.0.0.1";
  int port = 8080;                        // 0: any free port (see HttpServer::port())
  std::filesystem::path db = "events.sqlite";  // ":memory:" keeps nothing across restarts
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
};

struct RouteInfo {
  std::string method;  // "GET" | "POST"
  std::string path;    // template, e.g. "/v1/users/{id}/recommendations"
};

class HttpServer {
 public:
  // Opens the event store, loads the model and replays the store (LiveState::Open).
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
  static std::vector<RouteInfo> Routes();
  // The OpenAPI 3 document served at /openapi.json.
  static const std::string& OpenApiDocument();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  LiveState* state_ = nullptr;
  int port_ = 0;
};

// Runs the service until SIGINT or SIGTERM (graceful stop); SIGHUP reloads the model. Prints
// exactly one line "hybridrec serve: listening on http://HOST:PORT/" to stdout (flushed) once
// it accepts connections; notices and errors go to stderr. Returns the process exit code.
int RunServe(const ServeOptions& options);

}  // namespace hybridrec::serve
