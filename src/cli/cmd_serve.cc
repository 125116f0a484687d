// `hybridrec serve`: the HTTP service (SPEC 7; docs/api.md). Thin: flags -> ServeOptions ->
// serve::RunServe, which runs until SIGINT/SIGTERM and reloads the model on SIGHUP.
#include <memory>

#include "cli/commands.h"
#include "serve/server.h"

namespace hybridrec::cli {

void RegisterServe(CLI::App& app, CommandRegistry& reg) {
  auto o = std::make_shared<serve::ServeOptions>();
  auto model = std::make_shared<std::string>();
  auto db = std::make_shared<std::string>(o->db.string());
  auto report = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("serve", "Serve a trained model over HTTP (JSON API + web page)");
  sub->add_option("--model", *model, "model directory written by `hybridrec train`")->required();
  sub->add_option("--host", o->host, "address to listen on")->capture_default_str();
  sub->add_option("--port", o->port, "port (0: any free port; the chosen one is printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  sub->add_option("--db", *db, "SQLite file for events and added items (':memory:' keeps nothing)")
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
  reg.Add(sub, [o, model, db, report] {
    serve::ServeOptions opts = *o;
    opts.model_dir = *model;
    opts.db = *db;
    opts.report_dir = *report;
    return serve::RunServe(opts);
  });
}

}  // namespace hybridrec::cli
