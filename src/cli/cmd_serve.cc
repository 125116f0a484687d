// `hybridrec serve`: the HTTP service (docs/api.md). Flags -> ServeOptions -> an
// HttpServer (serve/server.h), run as a process: until SIGINT/SIGTERM (graceful stop), with
// SIGHUP reloading the model (and the tokens file of --auth).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "serve/server.h"

namespace hybridrec::cli {
namespace {

// Signals are turned into bytes on a pipe by an async-signal-safe handler and acted on by a
// normal thread. (Blocking them and using sigwait is not enough: libraries such as OpenBLAS
// start threads before main(), and a process-directed signal may be delivered to one of those.)
int g_signal_pipe[2] = {-1, -1};

extern "C" void OnSignal(int sig) {
  const int saved = errno;
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = ::write(g_signal_pipe[1], &b, 1);
  errno = saved;
}

// Runs the service until SIGINT or SIGTERM; SIGHUP reloads the model. Prints exactly one line
// "hybridrec serve: listening on http://HOST:PORT/" to stdout (flushed) once it accepts
// connections; notices and errors go to stderr. Returns the process exit code.
int RunServe(const serve::ServeOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);
  // Allocator settings for a long-running process with many worker threads. A fixed mmap
  // threshold: glibc otherwise raises it after each large free, so the arrays of a replaced
  // snapshot (new item, reload; a ranker's transposed matrices are ~1 MiB for ML-100K) end up in
  // arenas that are rarely given back. From 256 KiB up they are mmapped and returned to the
  // system when the last reader lets go (soak leak check, 20 s with 85 items added: soaked vs
  // fresh server over the same state 25 MiB apart at a 1 MiB threshold, 7 MiB at 256 KiB, the
  // same at 64 KiB); requests allocate far less than that. At most 4 arenas instead of 8 per
  // core, so 128 worker threads do not each pin their own free lists.
  ::mallopt(M_MMAP_THRESHOLD, 256 << 10);
  ::mallopt(M_ARENA_MAX, 4);
  if (::pipe(g_signal_pipe) != 0) {
    std::cerr << "error: cannot create the signal pipe\n";
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);

  if (options.auth_file.empty() && options.auth_env.empty() && !serve::IsLoopbackHost(options.host))
    std::cerr << "hybridrec serve: warning: listening on " << options.host
              << " without --auth: reads are open to anyone who can reach it, and events, items and"
                 " /admin/* are refused (403) until it runs with --auth FILE (see `hybridrec token`)"
              << std::endl;
  auto server = serve::HttpServer::Create(options, &std::cerr);
  if (!server.ok()) {
    std::cerr << "error: " << server.status().message() << "\n";
    return 1;
  }
  serve::HttpServer& srv = **server;
  if (const Status s = srv.Bind(); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::thread signals([&srv] {
    for (;;) {
      unsigned char b = 0;
      const ssize_t n = ::read(g_signal_pipe[0], &b, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      if (b == 0) return;  // our own wake-up: the server stopped by itself
      if (b == SIGHUP) {
        (void)srv.Reload();  // logs the outcome; a refused model keeps the old one
        continue;
      }
      std::cerr << "hybridrec serve: stopping (signal " << static_cast<int>(b) << ")" << std::endl;
      srv.Stop();
      return;
    }
  });
  std::string host = options.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::thread runner([&srv] { (void)srv.Run(); });
  // The socket listens since Bind(): connections queue until the accept loop runs.
  std::cout << "hybridrec serve: listening on http://" << host << ":" << srv.port() << "/" << std::endl;
  runner.join();
  const unsigned char zero = 0;
  [[maybe_unused]] const ssize_t n = ::write(g_signal_pipe[1], &zero, 1);
  signals.join();
  return 0;
}

}  // namespace

void RegisterServe(CLI::App& app, CommandRegistry& reg) {
  auto o = std::make_shared<serve::ServeOptions>();
  auto model = std::make_shared<std::string>();
  auto db = std::make_shared<std::string>(o->db);
  auto report = std::make_shared<std::string>();
  auto auth = std::make_shared<std::string>();
  auto experiments = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("serve", "Serve a trained model over HTTP (JSON API + web page)");
  sub->add_option("--model", *model, "model directory written by `hybridrec train`")->required();
  sub->add_option("--host", o->host, "address to listen on")->capture_default_str();
  sub->add_option("--port", o->port, "port (0: any free port; the chosen one is printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  sub->add_option("--db", *db,
                  "event store for events and added items: a SQLite file (or sqlite:PATH; ':memory:' keeps "
                  "nothing) or a postgresql://user@host:port/db URL")
      ->capture_default_str();
  sub->add_option("--report", *report, "evaluation report directory (report.json) for GET /v1/report");
  sub->add_option("--web-root", o->web_root, "built web page (default $HYBRIDREC_WEB_ROOT or <source>/web/dist)");
  sub->add_option("--compute-slots", o->compute_slots,
                  "read requests computing at once, admitted first come first served (-1: two per core; 0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 4096));
  sub->add_option("--threads", o->threads,
                  "worker threads = concurrent keep-alive connections served (0: max(128, 8 x cores))")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  sub->add_option("--request-timeout", o->request_timeout_s,
                  "seconds a connection may go without completing a request before it is cut off (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  sub->add_option("--auth", *auth,
                  "tokens file (one '<role> <sha256-hex> [name]' per line; `hybridrec token` prints one): "
                  "POST endpoints then need a Bearer token with role write (events, items) or admin (/admin/*); "
                  "re-read on SIGHUP and POST /admin/reload");
  sub->add_option("--auth-env", o->auth_env,
                  "the tokens (same format as --auth's file, ';' may end entries) from this environment variable");
  sub->add_flag("--public-read", o->public_read,
                "reads need no token even when the tokens say require-read (writes and /admin/* still do)");
  sub->add_option("--cache", o->cache_url,
                  "Redis cache of GET recommendation responses, shared by replicas (redis://HOST:PORT[/DB]); "
                  "a Redis that is down or slow is bypassed");
  sub->add_option("--cache-ttl", o->cache_ttl_s, "seconds a cached response lives")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  sub->add_option("--cache-timeout-ms", o->cache_timeout_ms,
                  "bound on each Redis connect and command; past it the request is answered without the cache")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  sub->add_option("--experiments", *experiments,
                  "online A/B experiment file (JSON: name, salt, arms with shares and ranking settings; see "
                  "docs/api.md): users are assigned to arms, every list served is logged to the event store; "
                  "re-read on SIGHUP and POST /admin/reload");
  sub->add_option("--exposure-flush-ms", o->exposure_flush_ms,
                  "exposures are written to the event store in batches at least this often (0: each one before "
                  "its response is sent)")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  auto watch = std::make_shared<double>(0);
  sub->add_option("--watch-model", *watch,
                  "check the model directory's manifest every SECONDS and reload when `train --out` has put a "
                  "new model there (0: only SIGHUP and POST /admin/reload reload)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  reg.Add(sub, [o, model, db, report, auth, experiments, watch] {
    serve::ServeOptions opts = *o;
    opts.model_dir = *model;
    opts.db = *db;
    opts.report_dir = *report;
    opts.auth_file = *auth;
    opts.experiments_file = *experiments;
    opts.watch_model_ms = static_cast<int>(*watch * 1000.0 + 0.5);
    if (*watch > 0 && opts.watch_model_ms == 0) opts.watch_model_ms = 1;
    return RunServe(opts);
  });
}

}  // namespace hybridrec::cli
