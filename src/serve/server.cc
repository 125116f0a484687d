#include "serve/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <thread>

#include "serve/model_watch.h"
#include "serve/slow_client_reaper.h"
#include "serve/static_files.h"

namespace hybridrec::serve {

namespace {

HttpRequest FromHttplib(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  r.query.insert(req.params.begin(), req.params.end());
  r.body = req.body;
  r.content_type = req.get_header_value("Content-Type");
  r.authorization = req.get_header_value("Authorization");
  return r;
}

void ToHttplib(HttpResponse&& from, httplib::Response& res) {
  res.status = from.status;
  for (auto& [name, value] : from.headers) res.set_header(name, value);
  res.headers.erase("Content-Type");
  if (!from.content_type.empty()) res.set_header("Content-Type", from.content_type);
  res.body = std::move(from.body);  // set_content would copy it
}

}  // namespace

struct HttpServer::Impl {
  ServeOptions options;
  std::unique_ptr<LiveState> state;
  std::unique_ptr<Api> api;
  httplib::Server http;
  std::unique_ptr<SlowClientReaper> reaper;  // after Bind() (needs the port)
  int listen_fd = -1;
  std::unique_ptr<ModelWatcher> watcher;  // after Bind(); declared last so it stops first

  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    if (reaper) reaper->Begin(req.remote_addr, req.remote_port);
    ToHttplib(api->Handle(FromHttplib(req)), res);
    if (reaper) reaper->End(req.remote_addr, req.remote_port);
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), state_(impl_->state.get()) {}
HttpServer::~HttpServer() = default;

Api& HttpServer::api() { return *impl_->api; }

bool IsLoopbackHost(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "[::1]" || host == "localhost";
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const ServeOptions& options, std::ostream* log) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::shared_ptr<const AccessTokens> access;
  if (!options.auth_file.empty() && !options.auth_env.empty())
    return Status::InvalidArgument("--auth and --auth-env: give one source of tokens, not both");
  if (!options.auth_file.empty() || !options.auth_env.empty()) {
    HR_ASSIGN_OR_RETURN(AccessTokens tokens, options.auth_env.empty() ? LoadAccessTokens(options.auth_file)
                                                                      : LoadAccessTokensFromEnv(options.auth_env));
    if (options.public_read) tokens.require_read = false;
    access = std::make_shared<const AccessTokens>(std::move(tokens));
  }
  HR_ASSIGN_OR_RETURN(auto store, store::OpenEventStore(options.db));
  HR_ASSIGN_OR_RETURN(impl->state, LiveState::Open(options.model_dir, std::move(store)));
  Impl* self = impl.get();
  ApiOptions api_options;
  api_options.report_dir = options.report_dir;
  api_options.web_root = DefaultWebRoot(options.web_root);
  api_options.compute_slots = options.compute_slots;
  api_options.access = access;
  api_options.open_writes = IsLoopbackHost(options.host);
  api_options.public_read = options.public_read;
  std::string cache_note;
  if (!options.cache_url.empty()) {
    CacheOptions co;
    co.url = options.cache_url;
    co.ttl_s = options.cache_ttl_s;
    co.timeout_ms = options.cache_timeout_ms;
    HR_ASSIGN_OR_RETURN(auto cache, ResponseCache::Create(co));
    const Status ping = cache->Ping();
    cache_note = "recommendation cache: Redis at " + co.url + " (TTL " + std::to_string(co.ttl_s) + " s, timeout " +
                 std::to_string(co.timeout_ms) + " ms)" +
                 (ping.ok() ? "" : "; " + ping.message() + ": requests bypass the cache until it answers");
    api_options.cache = std::move(cache);
  }
  if (!options.experiments_file.empty()) {
    ExposureLogOptions xo;
    xo.flush_ms = options.exposure_flush_ms;
    HR_ASSIGN_OR_RETURN(api_options.experiments,
                        ExperimentRuntime::Open(impl->state->mutable_store(), options.experiments_file, xo,
                                                [log](const std::string& m) {
                                                  if (log) *log << "hybridrec serve: " << m << std::endl;
                                                }));
  }
  // The reaper exists from Bind() on, before any request is served.
  api_options.connections_cut = [self]() -> uint64_t { return self->reaper ? self->reaper->reaped() : 0; };
  const ReplayStats st = impl->state->last_replay();
  impl->api = std::make_unique<Api>(*impl->state, std::move(api_options), log);
  impl->api->Log("model " + impl->state->Current()->version() + " from " + options.model_dir.string() + "; " +
                 impl->state->store().description() + ": " + st.Describe());
  // Replicas sharing a store (PostgreSQL) apply each other's events and items as they commit.
  Api* api = impl->api.get();
  HR_RETURN_IF_ERROR(impl->state->StartFollowing([api](const std::string& m) { api->Log(m); }));
  if (impl->state->following())
    impl->api->Log("following the other writers of " + impl->state->store().description() + " (LISTEN/NOTIFY)");
  if (!cache_note.empty()) impl->api->Log(cache_note);
  if (const auto& x = impl->api->experiments())
    if (const auto e = x->current())
      impl->api->Log("experiment '" + e->name + "' from " + x->file().string() + ": " + std::to_string(e->arms.size()) +
                     " arms; exposures flushed every " + std::to_string(options.exposure_flush_ms) + " ms");
  if (access)
    impl->api->Log("access control: " + std::to_string(access->entries.size()) + " tokens from " + access->source +
                   (access->require_read ? "; reads need a token too" : "; reads are open"));

  httplib::Server& http = impl->http;
  const size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads)
                                             : std::max<size_t>(128, 8 * std::max(1u, std::thread::hardware_concurrency()));
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(options.max_body_bytes);
  http.set_read_timeout(options.read_timeout_s, 0);
  http.set_write_timeout(options.write_timeout_s, 0);
  http.set_keep_alive_timeout(options.keep_alive_timeout_s);
  http.set_keep_alive_max_count(options.keep_alive_max_requests);
  http.set_tcp_nodelay(true);
  // Keep the default SO_REUSEADDR and remember the socket, to raise the listen backlog after bind.
  http.set_socket_options([self](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    self->listen_fd = sock;
  });
  // Routing is the Api's: every method and path goes to one dispatcher.
  const auto dispatch = [self](const httplib::Request& req, httplib::Response& res) { self->Dispatch(req, res); };
  http.Get(".*", dispatch);
  http.Post(".*", dispatch);
  http.Put(".*", dispatch);
  http.Delete(".*", dispatch);
  http.Patch(".*", dispatch);
  http.Options(".*", dispatch);
  // Errors raised by httplib itself (413 body too large, 400 unparsable request, ...) reach only
  // this handler: give them the JSON error shape and count them.
  http.set_error_handler(httplib::Server::HandlerWithResponse([self](const httplib::Request& req,
                                                                     httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours, already formatted
    std::string msg = "malformed HTTP request";
    if (res.status == 413) msg = "body larger than " + std::to_string(self->options.max_body_bytes) + " bytes";
    if (res.status == 404) msg = "no such route: " + req.method + " " + req.path;
    ToHttplib(ErrorResponse(res.status, msg), res);
    self->api->CountUnrouted(req.method, res.status);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    ToHttplib(ErrorResponse(500, "internal error: " + what), res);
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Status HttpServer::Bind() {
  if (impl_->options.port == 0) {
    const int p = impl_->http.bind_to_any_port(impl_->options.host);
    if (p <= 0) return Status::IOError("cannot bind " + impl_->options.host + " (any port)");
    port_ = p;
  } else {
    if (!impl_->http.bind_to_port(impl_->options.host, impl_->options.port))
      return Status::IOError("cannot bind " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
                             " (in use? try --port 0 for any free port)");
    port_ = impl_->options.port;
  }
  // httplib listens with a backlog of 5; many clients connecting at once (wrk's 64) would see
  // SYN retries. listen() again on the bound socket raises it (Linux allows this).
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, impl_->options.listen_backlog);
  if (impl_->options.request_timeout_s > 0) {
    Api* api = impl_->api.get();
    impl_->reaper = std::make_unique<SlowClientReaper>(
        port_, std::chrono::seconds(impl_->options.request_timeout_s), [api](const std::string& m) { api->Log(m); });
    impl_->reaper->Start();
  }
  if (impl_->options.watch_model_ms > 0 && !impl_->watcher) {
    Api* api = impl_->api.get();
    impl_->watcher = std::make_unique<ModelWatcher>(impl_->options.model_dir,
                                                    std::chrono::milliseconds(impl_->options.watch_model_ms),
                                                    [api] { api->ReloadIfNewModel(); });
    impl_->watcher->Start();
  }
  return Status::Ok();
}

Status HttpServer::Run() {
  {
    std::lock_guard lock(run_mu_);
    if (stop_requested_) return Status::Ok();
    run_started_ = true;
  }
  const bool ok = impl_->http.listen_after_bind();
  run_finished_ = true;
  if (!ok) return Status::IOError("the HTTP server stopped with an error");
  return Status::Ok();
}

void HttpServer::Stop() {
  bool started;
  {
    std::lock_guard lock(run_mu_);
    stop_requested_ = true;
    started = run_started_;
  }
  // httplib's stop() does nothing until its accept loop runs: wait for the loop (or for Run()
  // to have returned) before stopping it.
  while (started && !run_finished_.load() && !impl_->http.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
  if (impl_->reaper) impl_->reaper->Stop();
  if (impl_->watcher) impl_->watcher->Stop();
}

Status HttpServer::Reload() { return impl_->api->Reload(); }

}  // namespace hybridrec::serve
