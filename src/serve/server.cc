#include "serve/server.h"

#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <malloc.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "serve/fifo_gate.h"
#include "serve/json_text.h"
#include "serve/metrics.h"
#include "serve/requests.h"
#include "serve/responses.h"
#include "serve/slow_client_reaper.h"
#include "serve/static_files.h"

namespace hybridrec::serve {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Captured {placeholders} of a matched route, in order.
using Params = std::vector<std::string>;
using Handler = void (HttpServer::Impl::*)(const httplib::Request&, httplib::Response&, const Params&);

struct RouteDef {
  const char* method;
  const char* path;
  Handler handler;
};

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* ErrorCode(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 431: return "headers_too_large";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "bad_request";
  }
}

int StatusToHttp(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kUnsupported: return 409;
    case Status::Code::kCorruption: return 409;
    default: return 500;
  }
}

std::optional<std::string_view> Param(const httplib::Request& req, const char* name) {
  const auto it = req.params.find(name);
  if (it == req.params.end()) return std::nullopt;
  return std::string_view(it->second);
}

bool IsJsonContentType(const std::string& ct) {
  std::string media = ct.substr(0, ct.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return std::tolower(c); });
  return media == "application/json";
}

}  // namespace

struct HttpServer::Impl {
  ServeOptions options;
  std::ostream* log = nullptr;
  std::unique_ptr<LiveState> state;
  httplib::Server http;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<SlowClientReaper> reaper;  // after Bind() (needs the port)
  std::unique_ptr<FifoGate> gate;
  fs::path web_root;
  int listen_fd = -1;
  std::mutex report_mu;
  std::shared_ptr<const std::string> report;  // report.json, compact; null when none
  std::string report_note;                    // why there is none
  size_t static_route = 0, unmatched_route = 0;

  static const std::vector<RouteDef>& Table();

  void Log(const std::string& line) {
    if (log == nullptr) return;
    static std::mutex mu;
    std::lock_guard lock(mu);
    *log << "hybridrec serve: " << line << std::endl;
  }

  // ---- replies
  static void Reply(httplib::Response& res, int status, const json& body) { ReplyText(res, status, Dump(body)); }
  // Moves the body in (set_content would copy it).
  static void ReplyText(httplib::Response& res, int status, std::string body) {
    res.status = status;
    res.body = std::move(body);
    res.headers.erase("Content-Type");
    res.set_header("Content-Type", "application/json; charset=utf-8");
  }
  static void Error(httplib::Response& res, int status, std::string_view message) {
    Reply(res, status, ErrorJson(ErrorCode(status), message));
  }
  static void Error(httplib::Response& res, const Status& s) { Error(res, StatusToHttp(s), s.message()); }

  void LoadReport() {
    std::shared_ptr<const std::string> r;
    std::string note;
    if (options.report_dir.empty()) {
      note = "no evaluation report: start the server with --report DIR (a directory written by `hybridrec evaluate --report`)";
    } else {
      const fs::path file = options.report_dir / "report.json";
      auto text = ReadFile(file);
      if (!text.ok()) {
        note = "no evaluation report: " + text.status().message();
      } else {
        const json j = json::parse(*text, nullptr, false);
        if (j.is_discarded()) note = file.string() + ": not valid JSON";
        else r = std::make_shared<const std::string>(Dump(j));
      }
    }
    if (!note.empty() && !options.report_dir.empty()) Log(note);
    std::lock_guard lock(report_mu);
    report = std::move(r);
    report_note = std::move(note);
  }

  // ---- dispatch
  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    const auto t0 = std::chrono::steady_clock::now();
    if (reaper) reaper->Begin(req.remote_addr, req.remote_port);
    size_t route = unmatched_route;
    try {
      route = Route(req, res);
    } catch (const std::exception& e) {
      Error(res, 500, std::string("internal error: ") + e.what());
    }
    if (reaper) reaper->End(req.remote_addr, req.remote_port);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    metrics->Observe(route, req.method, res.status, secs);
  }

  size_t Route(const httplib::Request& req, httplib::Response& res) {
    const auto& table = Table();
    static const std::vector<std::vector<std::string_view>> kTemplateSegs = [&table] {
      std::vector<std::vector<std::string_view>> v;
      for (const auto& r : table) v.push_back(Split(r.path));
      return v;
    }();
    const auto segs = Split(req.path);
    std::string allow;
    size_t path_route = unmatched_route;
    Params params;
    for (size_t r = 0; r < table.size(); ++r) {
      const auto& tsegs = kTemplateSegs[r];
      if (tsegs.size() != segs.size()) continue;
      params.clear();
      bool ok = true;
      for (size_t i = 0; i < segs.size() && ok; ++i) {
        if (tsegs[i].size() > 2 && tsegs[i].front() == '{') {
          if (segs[i].empty()) ok = false;
          else params.emplace_back(segs[i]);
        } else {
          ok = tsegs[i] == segs[i];
        }
      }
      if (!ok) continue;
      const bool head_as_get = req.method == "HEAD" && std::string_view(table[r].method) == "GET";
      if (req.method == table[r].method || head_as_get) {
        // POST bodies must be JSON; /admin/reload takes no body, so any content type is fine there.
        if (std::string_view(table[r].method) == "POST" && table[r].handler != &Impl::ReloadRoute &&
            !IsJsonContentType(req.get_header_value("Content-Type"))) {
          Error(res, 415, "POST bodies must be JSON: send the header 'Content-Type: application/json'");
          return r;
        }
        // Reads compute (ranking, formatting) in first-come-first-served turns; writes wait on
        // disk, not CPU, so they do not hold a turn.
        const bool writes = std::string_view(table[r].method) == "POST" && table[r].handler != &Impl::AnonymousRecommendations;
        std::optional<FifoGate::Scope> turn;
        if (!writes) turn.emplace(*gate);
        (this->*table[r].handler)(req, res, params);
        return r;
      }
      if (!allow.empty()) allow += ", ";
      allow += table[r].method;
      path_route = r;
    }
    if (!allow.empty()) {
      res.set_header("Allow", allow);
      Error(res, 405, "method " + req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
      return path_route;
    }
    const std::string_view p = req.path;
    const bool api = p.starts_with("/v1/") || p == "/v1" || p.starts_with("/admin/");
    if (!api && (req.method == "GET" || req.method == "HEAD")) {
      ServeStatic(req, res);
      return static_route;
    }
    if (!api && req.method != "GET" && req.method != "HEAD") {
      res.set_header("Allow", "GET, HEAD");
      Error(res, 405, "method " + req.method + " is not allowed on " + req.path + " (static files: GET)");
      return unmatched_route;
    }
    Error(res, 404, "no such route: " + req.method + " " + req.path + " (see /openapi.json)");
    return unmatched_route;
  }

  void ServeStatic(const httplib::Request& req, httplib::Response& res) {
    auto file = ResolveStaticPath(web_root, req.path);
    if (!file) {
      Error(res, 404, "no such file");
      return;
    }
    std::error_code ec;
    // Paths without an extension that are not files are routes of the single-page app.
    if (!fs::is_regular_file(*file, ec) && file->extension().empty() && req.path != "/") file = web_root / "index.html";
    if (!fs::is_regular_file(*file, ec)) {
      if (req.path == "/" || file->filename() == "index.html") {
        res.status = 200;
        res.set_content(MissingWebRootPage(web_root), "text/html; charset=utf-8");
        return;
      }
      Error(res, 404, "no such file: " + req.path);
      return;
    }
    auto body = ReadFile(*file);
    if (!body.ok()) {
      Error(res, 404, "cannot read " + req.path);
      return;
    }
    res.status = 200;
    res.set_content(std::move(body).value(), std::string(ContentTypeFor(*file)));
  }

  // ---- handlers
  void Healthz(const httplib::Request&, httplib::Response& res, const Params&) { Reply(res, 200, {{"status", "ok"}}); }

  void Readyz(const httplib::Request&, httplib::Response& res, const Params&) {
    const auto snap = state->Current();
    if (!snap) {
      Error(res, 503, "model not loaded yet");
      return;
    }
    Reply(res, 200, {{"status", "ready"}, {"model_version", snap->version()}});
  }

  void MetricsRoute(const httplib::Request&, httplib::Response& res, const Params&) {
    const auto snap = state->Current();
    std::string extra;
    extra += "# HELP hybridrec_model_info The loaded model (value 1).\n# TYPE hybridrec_model_info gauge\n";
    extra += "hybridrec_model_info{version=\"" + snap->version() + "\"} 1\n";
    extra += "# HELP hybridrec_events_stored Events in the event store.\n# TYPE hybridrec_events_stored gauge\n";
    extra += "hybridrec_events_stored " + std::to_string(state->events_stored()) + "\n";
    extra += "# HELP hybridrec_items_added Items added through the API in the loaded catalogue.\n"
             "# TYPE hybridrec_items_added gauge\n";
    extra += "hybridrec_items_added " + std::to_string(snap->num_added()) + "\n";
    extra += "# HELP hybridrec_catalogue_items Items in the catalogue.\n# TYPE hybridrec_catalogue_items gauge\n";
    extra += "hybridrec_catalogue_items " + std::to_string(snap->num_items()) + "\n";
    extra += "# HELP hybridrec_live_users Users with events since training.\n# TYPE hybridrec_live_users gauge\n";
    extra += "hybridrec_live_users " + std::to_string(snap->users().num_users()) + "\n";
    extra += "# HELP hybridrec_model_reloads_total Successful model reloads.\n"
             "# TYPE hybridrec_model_reloads_total counter\n";
    extra += "hybridrec_model_reloads_total " + std::to_string(state->reloads()) + "\n";
    extra += "# HELP hybridrec_http_connections_cut_total Connections cut off for completing no request in time.\n"
             "# TYPE hybridrec_http_connections_cut_total counter\n";
    extra += "hybridrec_http_connections_cut_total " + std::to_string(reaper ? reaper->reaped() : 0) + "\n";
    res.status = 200;
    res.set_content(metrics->Render(extra), "text/plain; version=0.0.4; charset=utf-8");
  }

  void OpenApi(const httplib::Request&, httplib::Response& res, const Params&) {
    res.status = 200;
    res.set_content(OpenApiDocument(), "application/json; charset=utf-8");
  }

  void Model(const httplib::Request&, httplib::Response& res, const Params&) {
    const auto snap = state->Current();
    const TrainedModel& m = snap->model();
    json enc = nullptr;
    if (snap->encoder()) enc = {{"name", snap->encoder()->name()}, {"dim", snap->dim()}};
    json params = m.manifest.contains("params") ? m.manifest["params"] : json::object();
    Reply(res, 200,
          {{"model_version", snap->version()},
           {"created", m.manifest.value("created", "")},
           {"dataset_fingerprint", m.manifest.value("dataset_fingerprint", "")},
           {"num_users", m.num_users()},
           {"num_items", snap->num_items()},
           {"items_added", snap->num_added()},
           {"live_users", snap->users().num_users()},
           {"events_stored", state->events_stored()},
           {"encoder", enc},
           {"ranker", RankerOptionsToJson(m.ranker)},
           {"params", params},
           {"path", snap->model_dir()}});
  }

  void Report(const httplib::Request&, httplib::Response& res, const Params&) {
    std::shared_ptr<const std::string> r;
    std::string note;
    {
      std::lock_guard lock(report_mu);
      r = report;
      note = report_note;
    }
    if (!r) {
      Error(res, 404, note);
      return;
    }
    res.status = 200;
    res.set_content(*r, "application/json; charset=utf-8");
  }

  void EmbeddingMap(const httplib::Request&, httplib::Response& res, const Params&) {
    const auto snap = state->Current();
    if (!snap->has_content()) {
      Error(res, 409, "this model has no content layer (no item embeddings)");
      return;
    }
    const auto& xy = snap->EmbeddingMap();
    json items = json::array();
    for (uint32_t i = 0; i < snap->num_items() && 2 * i + 1 < xy.size(); ++i) {
      const Item& info = snap->ItemInfo(i);
      items.push_back({{"id", snap->ItemId(i)},
                       {"title", info.title},
                       {"genre", info.genres.empty() ? std::string("(none)") : info.genres.front()},
                       {"x", xy[2 * i]},
                       {"y", xy[2 * i + 1]}});
    }
    Reply(res, 200, {{"model_version", snap->version()}, {"items", std::move(items)}});
  }

  // History of a user: training rows then live events (item indices of `snap`).
  static std::vector<HistoryEntry> History(const Snapshot& snap, std::optional<uint32_t> u,
                                           const std::vector<UserEvent>& events) {
    std::vector<HistoryEntry> h;
    if (u) {
      const auto items = snap.model().history.RowIndices(*u);
      const auto vals = snap.model().history.RowValues(*u);
      h.reserve(items.size() + events.size());
      for (size_t j = 0; j < items.size(); ++j) h.emplace_back(items[j], vals[j]);
    }
    for (const auto& e : events) h.emplace_back(e.item, e.strength);
    return h;
  }

  // The user's items most recent first (UserQuery::recent): events since training by timestamp
  // (newest first), then the training items by their timestamps when the model keeps them.
  static std::vector<uint32_t> RecentItems(const Snapshot& snap, std::optional<uint32_t> u,
                                           const std::vector<UserEvent>& events, size_t limit) {
    std::vector<uint32_t> r;
    if (limit == 0) return r;  // the signal is off: no copy of the events on the hot path
    for (const auto& e : NewestFirst(events)) {
      if (r.size() == limit) return r;
      r.push_back(e.item);
    }
    if (u)
      for (uint32_t item : snap.model().RecentItems(*u)) {
        if (r.size() == limit) break;
        r.push_back(item);
      }
    return r;
  }

  // A user's events, newest first (ties keep arrival order).
  static std::vector<UserEvent> NewestFirst(std::vector<UserEvent> events) {
    std::stable_sort(events.begin(), events.end(),
                     [](const UserEvent& a, const UserEvent& b) { return a.timestamp > b.timestamp; });
    return events;
  }

  void User(const httplib::Request&, httplib::Response& res, const Params& p) {
    const std::string& id = p[0];
    if (const Status s = CheckText("user id", id, kMaxIdBytes); !s.ok()) return Error(res, s);
    const auto snap = state->Current();
    const auto u = snap->model().users.Find(id);
    const auto events = NewestFirst(snap->users().Get(id));
    json hist = json::array();
    for (const auto& e : events)
      hist.push_back({{"item", ItemRefJson(*snap, e.item)}, {"strength", e.strength}, {"timestamp", e.timestamp},
                      {"source", "event"}});
    if (u) {
      const TrainedModel& m = snap->model();
      const auto items = m.history.RowIndices(*u);
      const auto vals = m.history.RowValues(*u);
      const size_t base = m.history.indptr[*u];
      // Newest first, as the events, in the model's recency order (catalogue order without
      // timestamps); j is the entry's position in the user's row (items ascend there).
      std::vector<size_t> order;
      order.reserve(items.size());
      for (uint32_t item : m.RecentItems(*u))
        order.push_back(static_cast<size_t>(std::lower_bound(items.begin(), items.end(), item) - items.begin()));
      if (order.empty())
        for (size_t j = 0; j < items.size(); ++j) order.push_back(j);
      for (size_t j : order) {
        json ts = nullptr;
        if (!m.history_timestamps.empty()) ts = m.history_timestamps[base + j];
        hist.push_back({{"item", ItemRefJson(*snap, items[j])}, {"strength", vals[j]}, {"timestamp", std::move(ts)},
                        {"source", "train"}});
      }
    }
    Reply(res, 200,
          {{"user", id},
           {"known", u.has_value() || !events.empty()},
           {"in_training", u.has_value()},
           {"history", std::move(hist)},
           {"events_since_training", events.size()}});
  }

  void UserRecommendations(const httplib::Request& req, httplib::Response& res, const Params& p) {
    const std::string& id = p[0];
    if (const Status s = CheckText("user id", id, kMaxIdBytes); !s.ok()) return Error(res, s);
    auto k = ParseKParam(Param(req, "k"));
    if (!k.ok()) return Error(res, k.status());
    auto explain = ParseBoolParam("explain", Param(req, "explain"), false);
    if (!explain.ok()) return Error(res, explain.status());
    auto exclude = ParseBoolParam("exclude_seen", Param(req, "exclude_seen"), true);
    if (!exclude.ok()) return Error(res, exclude.status());
    const auto snap = state->Current();
    const auto u = snap->model().users.Find(id);
    const auto events = snap->users().Get(id);
    const auto history = History(*snap, u, events);
    const auto recent = RecentItems(*snap, u, events, snap->ranker().options().recent.items);
    UserQuery q;
    q.known_user = u;
    q.use_trained_factor = events.empty();  // events since training: fold the factor in again
    q.history = history;
    q.recent = recent;
    RankRequest request;
    request.k = static_cast<size_t>(*k);
    request.explain = *explain;
    request.exclude_seen = *exclude;
    const RankResponse r = snap->ranker().Recommend(q, request);
    JsonText out(512 + (*explain ? 1024 : 256) * r.items.size());
    out.BeginObject();
    AppendRankResponseMembers(out, *snap, r, history.size(), *explain);
    out.Key("user").String(id);
    out.Key("known").Bool(u.has_value() || !events.empty());
    out.Key("events_since_training").Number(static_cast<uint64_t>(events.size()));
    out.EndObject();
    ReplyText(res, 200, out.Take());
  }

  void AnonymousRecommendations(const httplib::Request& req, httplib::Response& res, const Params&) {
    auto body = ParseRecommendationsBody(req.body);
    if (!body.ok()) return Error(res, body.status());
    const auto snap = state->Current();
    std::vector<HistoryEntry> history;
    for (const auto& [id, strength] : body->items) {
      const auto item = snap->FindItem(id);
      if (!item) return Error(res, 404, "unknown item '" + id + "' in items");
      history.emplace_back(*item, strength);
    }
    // The items are listed oldest first: the last ones are the user's most recent.
    std::vector<uint32_t> recent;
    for (auto it = history.rbegin(); it != history.rend(); ++it) recent.push_back(it->first);
    UserQuery q;
    q.use_trained_factor = false;
    q.history = history;
    q.recent = recent;
    RankRequest request;
    request.k = static_cast<size_t>(body->k);
    request.explain = body->explain;
    request.exclude_seen = body->exclude_seen;
    const RankResponse r = snap->ranker().Recommend(q, request);
    JsonText out(512 + (body->explain ? 1024 : 256) * r.items.size());
    out.BeginObject();
    AppendRankResponseMembers(out, *snap, r, history.size(), body->explain);
    out.Key("known").Bool(false);
    out.EndObject();
    ReplyText(res, 200, out.Take());
  }

  void GetItem(const httplib::Request&, httplib::Response& res, const Params& p) {
    if (const Status s = CheckText("item id", p[0], kMaxIdBytes); !s.ok()) return Error(res, s);
    const auto snap = state->Current();
    const auto item = snap->FindItem(p[0]);
    if (!item) return Error(res, 404, "unknown item '" + p[0] + "'");
    Reply(res, 200, ItemJson(*snap, *item));
  }

  void Similar(const httplib::Request& req, httplib::Response& res, const Params& p) {
    if (const Status s = CheckText("item id", p[0], kMaxIdBytes); !s.ok()) return Error(res, s);
    auto k = ParseKParam(Param(req, "k"));
    if (!k.ok()) return Error(res, k.status());
    const std::string mode_name(Param(req, "mode").value_or("hybrid"));
    const auto mode = ParseSimilarMode(mode_name);
    if (!mode) return Error(res, 400, "field 'mode': must be content, collab or hybrid");
    const auto snap = state->Current();
    const auto item = snap->FindItem(p[0]);
    if (!item) return Error(res, 404, "unknown item '" + p[0] + "'");
    if (*mode != SimilarMode::kCollab && !snap->has_content())
      return Error(res, 409, "this model has no content layer: use mode=collab");
    const auto sims = snap->ranker().Similar(*item, static_cast<size_t>(*k), *mode);
    ReplyText(res, 200, SimilarText(*snap, *item, mode_name, sims));
  }

  void AddItem(const httplib::Request& req, httplib::Response& res, const Params&) {
    auto body = ParseNewItemBody(req.body);
    if (!body.ok()) return Error(res, body.status());
    auto added = state->AddItem(*body, NowSeconds());
    if (!added.ok()) return Error(res, added.status());
    if (!added->created) return Error(res, 409, "item '" + body->id + "' already exists");
    Reply(res, 201, ItemJson(*added->snapshot, added->item));
  }

  void Search(const httplib::Request& req, httplib::Response& res, const Params&) {
    const auto q = Param(req, "q");
    if (!q) return Error(res, 400, "field 'q': the query text is required");
    if (const Status s = CheckText("q", *q, kMaxTextBytes); !s.ok()) return Error(res, s);
    auto k = ParseKParam(Param(req, "k"));
    if (!k.ok()) return Error(res, k.status());
    const auto snap = state->Current();
    if (!snap->has_content()) return Error(res, 409, "this model has no content layer: search needs item embeddings");
    std::vector<float> v;
    const std::string text(*q);
    if (const Status s = snap->encoder()->Encode(std::span<const std::string>(&text, 1), v); !s.ok())
      return Error(res, 500, s.message());
    json items = json::array();
    bool any = false;
    for (const float x : v) any = any || x != 0.f;
    if (any) {
      std::vector<SearchHit> hits;
      const int kk = std::min<int>(*k, static_cast<int>(snap->num_items()));
      snap->index()->Search(v, kk, hits);
      for (const auto& h : hits)
        if (h.id >= 0) items.push_back({{"item", ItemRefJson(*snap, static_cast<uint32_t>(h.id))}, {"score", h.score}});
    }
    json out = {{"query", text}, {"encoder", snap->encoder()->name()}, {"items", std::move(items)}};
    if (!any) out["note"] = "none of the query's words is known to the " + snap->encoder()->name() + " encoder";
    Reply(res, 200, out);
  }

  void Events(const httplib::Request& req, httplib::Response& res, const Params&) {
    auto events = ParseEventsBody(req.body);
    if (!events.ok()) return Error(res, events.status());
    if (const Status s = state->RecordEvents(*events, NowSeconds()); !s.ok()) return Error(res, s);
    Reply(res, 200, {{"accepted", events->size()}, {"events_stored", state->events_stored()}});
  }

  void ReloadRoute(const httplib::Request&, httplib::Response& res, const Params&) {
    const Status s = DoReload();
    if (!s.ok()) return Error(res, 409, "reload refused, the previous model stays loaded: " + s.message());
    const auto snap = state->Current();
    const ReplayStats st = state->last_replay();
    Reply(res, 200, {{"status", "reloaded"},
                     {"model_version", snap->version()},
                     {"items_replayed", st.items_replayed},
                     {"events_replayed", st.events_replayed},
                     {"events_skipped", st.events_skipped}});
  }

  Status DoReload() {
    const Status s = state->Reload();
    if (!s.ok()) {
      Log("reload refused: " + s.message());
      return s;
    }
    LoadReport();
    const ReplayStats st = state->last_replay();
    Log("reloaded model " + state->Current()->version() + " (" + std::to_string(st.items_replayed) + " items, " +
        std::to_string(st.events_replayed) + " events replayed; " + std::to_string(st.events_skipped) +
        " events skipped: unknown item)");
    return s;
  }
};

const std::vector<RouteDef>& HttpServer::Impl::Table() {
  using I = HttpServer::Impl;
  static const std::vector<RouteDef> kRoutes = {
      {"GET", "/healthz", &I::Healthz},
      {"GET", "/readyz", &I::Readyz},
      {"GET", "/metrics", &I::MetricsRoute},
      {"GET", "/openapi.json", &I::OpenApi},
      {"GET", "/v1/model", &I::Model},
      {"GET", "/v1/report", &I::Report},
      {"GET", "/v1/embedding-map", &I::EmbeddingMap},
      {"GET", "/v1/users/{id}", &I::User},
      {"GET", "/v1/users/{id}/recommendations", &I::UserRecommendations},
      {"POST", "/v1/recommendations", &I::AnonymousRecommendations},
      {"GET", "/v1/items/{id}", &I::GetItem},
      {"GET", "/v1/items/{id}/similar", &I::Similar},
      {"POST", "/v1/items", &I::AddItem},
      {"GET", "/v1/search", &I::Search},
      {"POST", "/v1/events", &I::Events},
      {"POST", "/admin/reload", &I::ReloadRoute},
  };
  return kRoutes;
}

std::vector<RouteInfo> HttpServer::Routes() {
  std::vector<RouteInfo> out;
  for (const auto& r : Impl::Table()) out.push_back({r.method, r.path});
  return out;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), state_(impl_->state.get()) {}
HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const ServeOptions& options, std::ostream* log) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->log = log;
  HR_ASSIGN_OR_RETURN(auto store, OpenSqliteEventStore(options.db));
  HR_ASSIGN_OR_RETURN(impl->state, LiveState::Open(options.model_dir, std::move(store)));
  const ReplayStats st = impl->state->last_replay();
  impl->Log("model " + impl->state->Current()->version() + " from " + options.model_dir.string() + "; " +
            impl->state->store().description() + ": " + std::to_string(st.items_replayed) + " items and " +
            std::to_string(st.events_replayed) + " events replayed" +
            (st.events_skipped ? ", " + std::to_string(st.events_skipped) + " events skipped (unknown item)" : ""));
  impl->LoadReport();
  impl->web_root = DefaultWebRoot(options.web_root);

  std::vector<std::string> labels;
  for (const auto& r : Impl::Table()) labels.emplace_back(r.path);
  impl->static_route = labels.size();
  labels.emplace_back("static");
  impl->unmatched_route = labels.size();
  labels.emplace_back("unmatched");
  impl->metrics = std::make_unique<Metrics>(std::move(labels));

  Impl* self = impl.get();
  httplib::Server& http = impl->http;
  const size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads)
                                             : std::max<size_t>(128, 8 * std::max(1u, std::thread::hardware_concurrency()));
  impl->gate = std::make_unique<FifoGate>(
      options.compute_slots >= 0 ? static_cast<size_t>(options.compute_slots)
                                 : 2 * std::max<size_t>(1, std::thread::hardware_concurrency()));
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
    Impl::Error(res, res.status, msg);
    self->metrics->Observe(self->unmatched_route, req.method, res.status, 0.0);
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
    Impl::Error(res, 500, "internal error: " + what);
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
    Impl* self = impl_.get();
    impl_->reaper = std::make_unique<SlowClientReaper>(
        port_, std::chrono::seconds(impl_->options.request_timeout_s), [self](const std::string& m) { self->Log(m); });
    impl_->reaper->Start();
  }
  return Status::Ok();
}

Status HttpServer::Run() {
  if (!impl_->http.listen_after_bind()) return Status::IOError("the HTTP server stopped with an error");
  return Status::Ok();
}

void HttpServer::Stop() {
  impl_->http.stop();
  if (impl_->reaper) impl_->reaper->Stop();
}

Status HttpServer::Reload() { return impl_->DoReload(); }

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

}  // namespace

int RunServe(const ServeOptions& options) {
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

  auto server = HttpServer::Create(options, &std::cerr);
  if (!server.ok()) {
    std::cerr << "error: " << server.status().message() << "\n";
    return 1;
  }
  HttpServer& srv = **server;
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

}  // namespace hybridrec::serve
