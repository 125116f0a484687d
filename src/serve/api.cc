#include "serve/api.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>

#include "content/content_model.h"
#include "core/file_util.h"
#include "model/model_dir.h"
#include "serve/json_text.h"
#include "serve/request_rules.h"
#include "serve/requests.h"
#include "serve/responses.h"
#include "serve/static_files.h"
#include "serve/user_query.h"

namespace hybridrec::serve {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse Reply(int status, const json& body) { return JsonResponse(status, Dump(body)); }

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// 32 hex digits, random per response.
std::string NewRequestId() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
           std::hash<std::thread::id>{}(std::this_thread::get_id());
  }());
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

// A recommendations body ("{...}", built without its request id) with "request_id" as its first
// member, so that a body kept in the cache still gives every response its own id.
std::string WithRequestId(const std::string& request_id, std::string_view body) {
  std::string out = "{\"request_id\":\"" + request_id + "\"";
  if (body.size() > 2) out += ',';  // "{}" has no members to follow
  out.append(body.substr(1));
  return out;
}

// The arm's rules with the request's: the arm's filters join the request's, and the arm's
// re-ranking and boost settings (when it sets them) replace the request's.
RulesParams MergeArmRules(RulesParams request, const RulesParams& arm) {
  request.include.insert(request.include.end(), arm.include.begin(), arm.include.end());
  request.exclude.insert(request.exclude.end(), arm.exclude.begin(), arm.exclude.end());
  request.exclude_items.insert(request.exclude_items.end(), arm.exclude_items.begin(), arm.exclude_items.end());
  if (arm.added_since) request.added_since = arm.added_since;
  if (arm.new_boost > 0.f) {
    request.new_boost = arm.new_boost;
    request.new_half_life_days = arm.new_half_life_days;
  }
  if (arm.diversity > 0.f) request.diversity = arm.diversity;
  if (arm.calibration > 0.f) request.calibration = arm.calibration;
  return request;
}

size_t ComputeSlots(int option) {
  if (option >= 0) return static_cast<size_t>(option);
  return 2 * std::max<size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

const std::vector<Api::RouteDef>& Api::Table() {
  constexpr Role kOpen = Role::kNone, kRead = Role::kRead, kWrite = Role::kWrite, kAdmin = Role::kAdmin;
  static const std::vector<RouteDef> kRoutes = {
      {"GET", "/healthz", &Api::Healthz, false, true, kOpen},
      {"GET", "/readyz", &Api::Readyz, false, true, kOpen},
      {"GET", "/metrics", &Api::MetricsText, false, true, kRead},
      {"GET", "/openapi.json", &Api::OpenApi, false, true, kRead},
      {"GET", "/v1/model", &Api::Model, false, true, kRead},
      {"GET", "/v1/report", &Api::Report, false, true, kRead},
      {"GET", "/v1/embedding-map", &Api::EmbeddingMap, false, true, kRead},
      {"GET", "/v1/users/{id}", &Api::User, false, true, kRead},
      // Takes its compute turn itself, after the cache lookup (response_cache.h).
      {"GET", "/v1/users/{id}/recommendations", &Api::UserRecommendations, false, false, kRead},
      {"POST", "/v1/recommendations", &Api::AnonymousRecommendations, true, true, kRead},
      // Before /v1/items/{id}: the literal segment wins (POST /v1/items refuses the id "fresh").
      {"GET", "/v1/items/fresh", &Api::FreshItems, false, true, kRead},
      {"GET", "/v1/items/{id}", &Api::GetItem, false, true, kRead},
      {"GET", "/v1/items/{id}/similar", &Api::Similar, false, true, kRead},
      {"POST", "/v1/items", &Api::AddItem, true, false, kWrite},
      {"GET", "/v1/search", &Api::Search, false, true, kRead},
      {"POST", "/v1/events", &Api::Events, true, false, kWrite},
      // Takes no body, so any content type is fine.
      {"POST", "/admin/reload", &Api::ReloadRoute, false, false, kAdmin},
      {"GET", "/v1/experiments", &Api::ExperimentsList, false, true, kRead},
      {"GET", "/v1/experiments/{name}", &Api::ExperimentReportRoute, false, true, kRead},
  };
  return kRoutes;
}

std::vector<RouteInfo> Api::Routes() {
  std::vector<RouteInfo> out;
  for (const auto& r : Table()) out.push_back({r.method, r.path});
  return out;
}

Api::Api(LiveState& state, ApiOptions options, std::ostream* log)
    : state_(state),
      options_(std::move(options)),
      log_(log),
      gate_(ComputeSlots(options_.compute_slots)),
      freshness_(options_.freshness),
      access_(options_.access),
      counting_since_(NowSeconds()) {
  for (const RouteDef& r : Table()) {
    const Handler h = r.handler;
    RouteHandler call;
    if (r.computes) {
      call = [this, h](const HttpRequest& req) {
        FifoGate::Scope turn(gate_);
        return (this->*h)(req);
      };
    } else {
      call = [this, h](const HttpRequest& req) { return (this->*h)(req); };
    }
    Router::RouteOptions ro;
    ro.json_body = r.json_body;
    // Without access control at start a reload cannot turn it on; what is then safe to leave
    // open: reads always, writes only on loopback, the admin endpoints never.
    if (access_ && r.role != Role::kNone) {
      const Role role = r.role;
      ro.guard = [this, role](const HttpRequest& req) {
        return AuthorizeAndLimit(*access(), role, req.authorization, limiter_);
      };
    } else if (!access_ && r.role == Role::kAdmin) {
      ro.guard = [](const HttpRequest&) -> std::optional<HttpResponse> {
        return ErrorResponse(403,
                             "the admin endpoints need an admin token: start serve with --auth FILE "
                             "(`hybridrec token --role admin` prints one); SIGHUP reloads without one");
      };
    } else if (!access_ && r.role == Role::kWrite && !options_.open_writes) {
      ro.guard = [](const HttpRequest&) -> std::optional<HttpResponse> {
        return ErrorResponse(403,
                             "this server listens beyond loopback without --auth: writes need a token "
                             "(start serve with --auth FILE; `hybridrec token --role write` prints one)");
      };
    }
    router_.Add(r.method, r.path, std::move(call), std::move(ro));
  }
  const fs::path web_root = options_.web_root;
  router_.SetFallback({"/v1", "/admin/"},
                      [web_root](const HttpRequest& req) { return ServeStaticFile(web_root, req.path); });
  std::vector<std::string> labels;
  for (const auto& r : router_.routes()) labels.push_back(r.path);
  labels.emplace_back("static");     // router_.fallback_index()
  labels.emplace_back("unmatched");  // router_.unmatched_index()
  metrics_ = std::make_unique<Metrics>(std::move(labels));
  LoadReport();
}

HttpResponse Api::Handle(HttpRequest request) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string method = request.method;
  Router::Result r = router_.Handle(std::move(request));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics_->Observe(r.route, method, r.response.status, secs);
  return std::move(r.response);
}

void Api::CountUnrouted(std::string_view method, int status) {
  metrics_->Observe(router_.unmatched_index(), method, status, 0.0);
}

void Api::Log(const std::string& line) {
  if (log_ == nullptr) return;
  std::lock_guard lock(log_mu_);
  *log_ << "hybridrec serve: " << line << std::endl;
}

void Api::LoadReport() {
  std::shared_ptr<const std::string> r;
  std::string note;
  if (options_.report_dir.empty()) {
    note =
        "no evaluation report: start the server with --report DIR (a directory written by `hybridrec evaluate "
        "--report`)";
  } else {
    const fs::path file = options_.report_dir / "report.json";
    auto text = ReadFile(file);
    if (!text.ok()) {
      note = "no evaluation report: " + text.status().message();
    } else {
      const json j = json::parse(*text, nullptr, false);
      if (j.is_discarded())
        note = file.string() + ": not valid JSON";
      else
        r = std::make_shared<const std::string>(Dump(j));
    }
  }
  if (!note.empty() && !options_.report_dir.empty()) Log(note);
  std::lock_guard lock(report_mu_);
  report_ = std::move(r);
  report_note_ = std::move(note);
}

std::shared_ptr<const AccessTokens> Api::access() const {
  std::lock_guard lock(access_mu_);
  return access_;
}

void Api::ReloadIfNewModel() {
  const std::filesystem::path dir = state_.Current()->model_dir();
  auto text = ReadFile(dir / std::string(kManifestName));
  if (!text.ok()) {
    Log("model watch: " + text.status().message());
    return;
  }
  const auto manifest = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded()) {
    Log("model watch: " + (dir / std::string(kManifestName)).string() + " is not valid JSON; the current model stays");
    return;
  }
  // The version as the snapshot computes it (12 hex digits of the manifest's sha256).
  const std::string version = Sha256Hex(manifest.dump()).substr(0, 12);
  if (version == state_.Current()->version()) return;
  Log("model watch: " + dir.string() + " holds model " + version + "; reloading");
  (void)Reload();
}

Status Api::Reload() {
  std::shared_ptr<const AccessTokens> tokens = access();
  if (tokens) {
    auto fresh = ReloadAccessTokens(*tokens);
    if (!fresh.ok()) {
      // Corruption: answered 409 like a refused model; the current tokens and model stay.
      const Status s = Status::Corruption(fresh.status().message() + " (the previous tokens stay)");
      Log("reload refused: " + s.message());
      return s;
    }
    if (options_.public_read) fresh->require_read = false;
    tokens = std::make_shared<const AccessTokens>(std::move(fresh).value());
  }
  if (options_.experiments && !options_.experiments->file().empty()) {
    // Checked before the model: a refused experiment file changes nothing.
    auto e = LoadExperiment(options_.experiments->file());
    if (!e.ok()) {
      const Status r = Status::Corruption(e.status().message() + " (the current experiment stays)");
      Log("reload refused: " + r.message());
      return r;
    }
  }
  const Status s = state_.Reload();
  if (!s.ok()) {
    Log("reload refused: " + s.message());
    return s;
  }
  if (options_.experiments) {
    if (const Status r = options_.experiments->Reload(); !r.ok()) Log("experiment reload: " + r.message());
  }
  if (tokens) {
    Log("tokens file " + tokens->source + ": " + std::to_string(tokens->entries.size()) + " tokens" +
        (tokens->require_read ? ", reads need a token" : ""));
    std::lock_guard lock(access_mu_);
    access_ = std::move(tokens);
  }
  LoadReport();
  const ReplayStats st = state_.last_replay();
  Log("reloaded model " + state_.Current()->version() + ": " + st.Describe());
  return s;
}

void Api::RecordServed(const HttpRequest& req, const Snapshot& snap, const RankResponse& r,
                       std::optional<std::string_view> user) {
  if (req.method == "HEAD") return;
  std::vector<ShownItem> shown;
  for (size_t i = 0; i < r.items.size(); ++i) {
    const uint32_t item = r.items[i].item;
    if (snap.IsAdded(item)) shown.push_back({snap.ItemId(item), static_cast<uint32_t>(i + 1)});
  }
  freshness_.RecordList(shown, user);
}

// ---- handlers

HttpResponse Api::Healthz(const HttpRequest&) { return Reply(200, {{"status", "ok"}}); }

HttpResponse Api::Readyz(const HttpRequest&) {
  const auto snap = state_.Current();
  if (!snap) return ErrorResponse(503, "model not loaded yet");
  return Reply(200, {{"status", "ready"}, {"model_version", snap->version()}});
}

HttpResponse Api::MetricsText(const HttpRequest&) {
  const auto snap = state_.Current();
  ServiceGauges g;
  g.model_version = snap->version();
  g.events_stored = state_.events_stored();
  g.items_added = snap->num_added();
  g.catalogue_items = snap->num_items();
  g.live_users = snap->users().num_users();
  g.model_reloads = state_.reloads();
  g.connections_cut = options_.connections_cut ? options_.connections_cut() : 0;
  HttpResponse res;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = metrics_->Render(g);
  if (options_.cache) res.body += options_.cache->RenderMetrics();
  if (options_.experiments) res.body += options_.experiments->MetricsText();
  return res;
}

HttpResponse Api::OpenApi(const HttpRequest&) { return JsonResponse(200, OpenApiDocument()); }

HttpResponse Api::Model(const HttpRequest&) {
  const auto snap = state_.Current();
  const TrainedModel& m = snap->model();
  json enc = nullptr;
  if (snap->encoder()) enc = {{"name", snap->encoder()->name()}, {"dim", snap->dim()}};
  json params = m.manifest.contains("params") ? m.manifest["params"] : json::object();
  return Reply(200, {{"model_version", snap->version()},
                     {"created", m.manifest.value("created", "")},
                     {"dataset_fingerprint", m.manifest.value("dataset_fingerprint", "")},
                     {"num_users", m.num_users()},
                     {"num_items", snap->num_items()},
                     {"items_added", snap->num_added()},
                     {"live_users", snap->users().num_users()},
                     {"events_stored", state_.events_stored()},
                     {"encoder", enc},
                     {"ranker", RankerOptionsToJson(m.ranker)},
                     {"params", params},
                     {"path", snap->model_dir()}});
}

HttpResponse Api::Report(const HttpRequest&) {
  std::shared_ptr<const std::string> r;
  std::string note;
  {
    std::lock_guard lock(report_mu_);
    r = report_;
    note = report_note_;
  }
  if (!r) return ErrorResponse(404, note);
  return JsonResponse(200, *r);
}

HttpResponse Api::EmbeddingMap(const HttpRequest&) {
  const auto snap = state_.Current();
  if (!snap->has_content()) return ErrorResponse(409, "this model has no content layer (no item embeddings)");
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
  return Reply(200, {{"model_version", snap->version()}, {"items", std::move(items)}});
}

HttpResponse Api::User(const HttpRequest& req) {
  const std::string& id = req.PathParam("id");
  if (const Status s = CheckText("user id", id, kMaxIdBytes); !s.ok()) return ErrorResponse(s);
  const auto snap = state_.Current();
  const LiveUser user = FindLiveUser(*snap, id);
  json hist = json::array();
  for (const HistoryLine& h : UserHistory(*snap, user)) {
    const json ts = h.timestamp ? json(*h.timestamp) : json(nullptr);
    hist.push_back({{"item", ItemRefJson(*snap, h.item)},
                    {"strength", h.strength},
                    {"timestamp", ts},
                    {"source", h.from_training ? "train" : "event"}});
  }
  return Reply(200, {{"user", id},
                     {"known", user.known()},
                     {"in_training", user.row.has_value()},
                     {"history", std::move(hist)},
                     {"events_since_training", user.events.size()}});
}

HttpResponse Api::UserRecommendations(const HttpRequest& req) {
  // The compute turn (fifo_gate.h): with the cache, taken only after a miss, so a hit needs
  // none and no turn is held while waiting on Redis.
  std::optional<FifoGate::Scope> turn;
  if (!options_.cache) turn.emplace(gate_);
  const std::string& id = req.PathParam("id");
  if (const Status s = CheckText("user id", id, kMaxIdBytes); !s.ok()) return ErrorResponse(s);
  auto k = ParseKParam(req.Query("k"));
  if (!k.ok()) return ErrorResponse(k.status());
  auto explain = ParseBoolParam("explain", req.Query("explain"), false);
  if (!explain.ok()) return ErrorResponse(explain.status());
  auto exclude = ParseBoolParam("exclude_seen", req.Query("exclude_seen"), true);
  if (!exclude.ok()) return ErrorResponse(exclude.status());
  auto rules = ParseRulesQuery(req.query);
  if (!rules.ok()) return ErrorResponse(rules.status());
  const auto snap = state_.Current();
  // The user's arm of the running experiment: its rules join the request's, its ranker options
  // replace the model's.
  std::shared_ptr<const Experiment> experiment;
  size_t arm = 0;
  std::shared_ptr<const HybridRanker> arm_ranker;
  if (options_.experiments) experiment = options_.experiments->current();
  if (experiment) {
    arm = experiment->Assign(id);
    *rules = MergeArmRules(std::move(*rules), experiment->arms[arm].rules);
    arm_ranker = options_.experiments->RankerFor(snap, experiment, arm);
  }
  RankRequest request;
  request.k = static_cast<size_t>(*k);
  request.explain = *explain;
  request.exclude_seen = *exclude;
  ItemBitmap eligible;
  if (const Status s = ApplyRules(*snap, *rules, NowSeconds(), eligible, request); !s.ok()) return ErrorResponse(s);
  const LiveUser user = FindLiveUser(*snap, id);
  // The Redis cache (response_cache.h); not for new_boost, whose scores age with the clock, nor
  // while an experiment runs (every list served then is assigned, logged and counted).
  std::string cache_key;
  const char* cache_result = nullptr;
  if (options_.cache && rules->new_boost <= 0.f && !experiment) {
    EventFingerprint fp;
    for (const UserEvent& e : user.events) fp.Add(snap->ItemId(e.item), e.strength, e.timestamp);
    cache_key = RecommendationCacheKey(snap->version(), snap->num_items(), id, fp, req.query);
    ResponseCache::Lookup hit = options_.cache->Get(cache_key);
    if (hit.outcome == ResponseCache::Outcome::kHit) {
      // The cached body has no request id: each response gets its own.
      HttpResponse res = JsonResponse(200, WithRequestId(NewRequestId(), hit.value));
      res.headers.emplace_back("X-Cache", "hit");
      return res;
    }
    cache_result = hit.outcome == ResponseCache::Outcome::kMiss ? "miss" : "bypass";
  }
  if (!turn) turn.emplace(gate_);
  const HybridRanker& ranker = arm_ranker ? *arm_ranker : snap->ranker();
  const RankQuery q = QueryFor(*snap, user, ranker);
  const RankResponse r = ranker.Recommend(q.view(), request);
  RecordServed(req, *snap, r, user.known() ? std::optional<std::string_view>(id) : std::nullopt);
  const std::string request_id = NewRequestId();
  if (experiment && req.method != "HEAD") {
    store::StoredExposure x;
    x.request_id = request_id;
    x.user = id;
    x.experiment = experiment->name;
    x.arm = experiment->arms[arm].name;
    x.timestamp = options_.experiments->Now();
    x.items.reserve(r.items.size());
    for (const auto& it : r.items) x.items.push_back(snap->ItemId(it.item));
    if (const Status s = options_.experiments->Record(std::move(x)); !s.ok())
      return ErrorResponse(503, "cannot log the exposure of this list (nothing was served): " + s.message());
  }
  JsonText out(512 + (*explain ? 1024 : 256) * r.items.size());
  out.BeginObject();
  AppendRankResponseMembers(out, *snap, r, q.history.size(), *explain);
  AppendRulesMembers(out, *rules, r, request.k);
  out.Key("experiment");
  if (experiment) {
    out.BeginObject();
    out.Key("name").String(experiment->name);
    out.Key("arm").String(experiment->arms[arm].name);
    out.EndObject();
  } else {
    out.Null();
  }
  out.Key("user").String(id);
  out.Key("known").Bool(user.known());
  out.Key("events_since_training").Number(static_cast<uint64_t>(user.events.size()));
  out.EndObject();
  std::string body = out.Take();
  turn.reset();
  if (cache_result != nullptr && *cache_result == 'm') options_.cache->Put(cache_key, body);
  HttpResponse res = JsonResponse(200, WithRequestId(request_id, body));
  if (cache_result != nullptr) res.headers.emplace_back("X-Cache", cache_result);
  return res;
}

HttpResponse Api::AnonymousRecommendations(const HttpRequest& req) {
  auto body = ParseRecommendationsBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  const auto snap = state_.Current();
  auto q = QueryForItemIds(*snap, body->items);
  if (!q.ok()) return ErrorResponse(q.status());
  RankRequest request;
  request.k = static_cast<size_t>(body->k);
  request.explain = body->explain;
  request.exclude_seen = body->exclude_seen;
  ItemBitmap eligible;
  if (const Status s = ApplyRules(*snap, body->rules, NowSeconds(), eligible, request); !s.ok())
    return ErrorResponse(s);
  const RankResponse r = snap->ranker().Recommend(q->view(), request);
  RecordServed(req, *snap, r, std::nullopt);
  JsonText out(512 + (body->explain ? 1024 : 256) * r.items.size());
  out.BeginObject();
  AppendRankResponseMembers(out, *snap, r, q->history.size(), body->explain);
  AppendRulesMembers(out, body->rules, r, request.k);
  // Anonymous lists have no user to assign: never in an experiment.
  out.Key("request_id").String(NewRequestId());
  out.Key("experiment").Null();
  out.Key("known").Bool(false);
  out.EndObject();
  return JsonResponse(200, out.Take());
}

HttpResponse Api::FreshItems(const HttpRequest& req) {
  auto k = ParseKParam(req.Query("k"), 20);
  if (!k.ok()) return ErrorResponse(k.status());
  const auto snap = state_.Current();
  json items = json::array();
  // Added items are indexed in the order they were added: newest last.
  for (uint32_t i = snap->num_items(); i > snap->num_trained_items() && items.size() < static_cast<size_t>(*k); --i) {
    const uint32_t item = i - 1;
    const FreshnessCounts c = freshness_.Get(snap->ItemId(item));
    items.push_back({{"item", ItemRefJson(*snap, item)},
                     {"added_at", snap->AddedAt(item)},
                     {"lists", c.lists},
                     {"users", c.users},
                     {"users_capped", c.users_capped},
                     {"best_rank", c.best_rank > 0 ? json(c.best_rank) : json(nullptr)}});
  }
  return Reply(200, {{"model_version", snap->version()},
                     {"items_added", snap->num_added()},
                     {"counting_since", counting_since_},
                     {"lists_served", freshness_.lists_recorded()},
                     {"max_users_per_item", freshness_.options().max_users_per_item},
                     {"items", std::move(items)}});
}

HttpResponse Api::GetItem(const HttpRequest& req) {
  const std::string& id = req.PathParam("id");
  if (const Status s = CheckText("item id", id, kMaxIdBytes); !s.ok()) return ErrorResponse(s);
  const auto snap = state_.Current();
  const auto item = snap->FindItem(id);
  if (!item) return ErrorResponse(404, "unknown item '" + id + "'");
  return Reply(200, ItemJson(*snap, *item));
}

HttpResponse Api::Similar(const HttpRequest& req) {
  const std::string& id = req.PathParam("id");
  if (const Status s = CheckText("item id", id, kMaxIdBytes); !s.ok()) return ErrorResponse(s);
  auto k = ParseKParam(req.Query("k"));
  if (!k.ok()) return ErrorResponse(k.status());
  const std::string mode_name(req.Query("mode").value_or("hybrid"));
  const auto mode = ParseSimilarMode(mode_name);
  if (!mode) return ErrorResponse(400, "field 'mode': must be content, collab or hybrid");
  const auto snap = state_.Current();
  const auto item = snap->FindItem(id);
  if (!item) return ErrorResponse(404, "unknown item '" + id + "'");
  if (*mode != SimilarMode::kCollab && !snap->has_content())
    return ErrorResponse(409, "this model has no content layer: use mode=collab");
  const auto sims = snap->ranker().Similar(*item, static_cast<size_t>(*k), *mode);
  return JsonResponse(200, SimilarText(*snap, *item, mode_name, sims));
}

HttpResponse Api::AddItem(const HttpRequest& req) {
  auto body = ParseNewItemBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  if (body->id == "fresh")
    return ErrorResponse(400, "field 'id': 'fresh' is reserved (GET /v1/items/fresh lists the newest added items)");
  auto added = state_.AddItem(*body, NowSeconds());
  if (!added.ok()) return ErrorResponse(added.status());
  if (!added->created) return ErrorResponse(409, "item '" + body->id + "' already exists");
  return Reply(201, ItemJson(*added->snapshot, added->item));
}

HttpResponse Api::Search(const HttpRequest& req) {
  const auto q = req.Query("q");
  if (!q) return ErrorResponse(400, "field 'q': the query text is required");
  if (const Status s = CheckText("q", *q, kMaxTextBytes); !s.ok()) return ErrorResponse(s);
  auto k = ParseKParam(req.Query("k"));
  if (!k.ok()) return ErrorResponse(k.status());
  const auto snap = state_.Current();
  if (!snap->has_content()) return ErrorResponse(409, "this model has no content layer: search needs item embeddings");
  auto hits = SearchByText(*snap->encoder(), *snap->index(), *q, *k);
  if (!hits.ok()) return ErrorResponse(500, hits.status().message());
  json items = json::array();
  for (const ContentHit& h : *hits) items.push_back({{"item", ItemRefJson(*snap, h.item)}, {"score", h.score}});
  json out = {{"query", std::string(*q)}, {"encoder", snap->encoder()->name()}, {"items", std::move(items)}};
  // Empty only when the text encodes to a zero vector.
  if (hits->empty()) out["note"] = "none of the query's words is known to the " + snap->encoder()->name() + " encoder";
  return Reply(200, out);
}

HttpResponse Api::Events(const HttpRequest& req) {
  auto events = ParseEventsBody(req.body);
  if (!events.ok()) return ErrorResponse(events.status());
  if (const Status s = state_.RecordEvents(*events, NowSeconds()); !s.ok()) return ErrorResponse(s);
  return Reply(200, {{"accepted", events->size()}, {"events_stored", state_.events_stored()}});
}

HttpResponse Api::ReloadRoute(const HttpRequest&) {
  const Status s = Reload();
  if (!s.ok()) return ErrorResponse(409, "reload refused, the previous model stays loaded: " + s.message());
  const auto snap = state_.Current();
  const ReplayStats st = state_.last_replay();
  return Reply(200, {{"status", "reloaded"},
                     {"model_version", snap->version()},
                     {"items_replayed", st.items_replayed},
                     {"events_replayed", st.events_replayed},
                     {"events_skipped", st.events_skipped},
                     {"events_in_model_through", st.events_in_model_through}});
}

HttpResponse Api::ExperimentsList(const HttpRequest&) {
  json list = json::array();
  if (options_.experiments)
    if (const auto e = options_.experiments->current()) {
      json arms = json::array();
      for (const auto& a : e->arms)
        arms.push_back({{"name", a.name}, {"share", a.share}, {"ranker", a.ranker}});
      list.push_back({{"name", e->name},
                      {"salt", e->salt},
                      {"ctr_k", e->ctr_k},
                      {"file", options_.experiments->file().string()},
                      {"arms", std::move(arms)}});
    }
  return Reply(200, {{"experiments", std::move(list)}});
}

HttpResponse Api::ExperimentReportRoute(const HttpRequest& req) {
  const std::string& name = req.PathParam("name");
  if (const Status s = CheckText("experiment name", name, kMaxExperimentNameBytes); !s.ok()) return ErrorResponse(s);
  if (!options_.experiments) return ErrorResponse(404, "no experiment is running (start serve with --experiments FILE)");
  auto fresh = ParseBoolParam("fresh", req.Query("fresh"), false);
  if (!fresh.ok()) return ErrorResponse(fresh.status());
  auto r = options_.experiments->Report(name, *fresh);
  if (!r.ok()) return ErrorResponse(r.status());
  return Reply(200, *r);
}

}  // namespace hybridrec::serve
