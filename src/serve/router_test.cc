// The router on its own (matching, path parameters, 404/405/415, the static fallback), then the
// real API handlers (Api) called through it on a tiny trained model: no sockets anywhere.
#include "serve/router.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "content/content_model.h"
#include "core/file_util.h"
#include "model/test_util.h"
#include "serve/api.h"
#include "serve/user_query.h"

namespace hybridrec::serve {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

HttpRequest Request(std::string method, std::string path, std::string body = "",
                    std::string content_type = "application/json") {
  HttpRequest r;
  r.method = std::move(method);
  const auto q = path.find('?');
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(path).substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view kv = rest.substr(0, amp);
      const auto eq = kv.find('=');
      r.query.emplace(std::string(kv.substr(0, eq)),
                      eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1)));
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    }
    path.resize(q);
  }
  r.path = std::move(path);
  r.body = std::move(body);
  if (!r.body.empty()) r.content_type = std::move(content_type);
  return r;
}

// Echoes the route and its parameters.
RouteHandler Echo(std::string name) {
  return [name](const HttpRequest& req) {
    json params = json::object();
    for (const auto& [k, v] : req.path_params) params[k] = v;
    return JsonResponse(200, json{{"route", name}, {"params", params}, {"id", req.PathParam("id")}}.dump());
  };
}

json Body(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/healthz", Echo("health"));
    router_.Add("GET", "/v1/users/{id}", Echo("user"));
    router_.Add("GET", "/v1/users/{id}/recommendations", Echo("recs"));
    router_.Add("POST", "/v1/users/{id}/recommendations", Echo("recs-post"), {.json_body = true, .guard = {}});
    router_.Add("GET", "/v1/items/{item}/similar/{mode}", Echo("similar"));
    router_.Add("POST", "/admin/reload", Echo("reload"));
    router_.Add("GET", "/v1/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); });
  }
  Router router_;
};

TEST_F(RouterTest, MatchesTemplatesAndCapturesParameters) {
  auto r = router_.Handle(Request("GET", "/v1/users/42/recommendations"));
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.route, 2u);
  EXPECT_EQ(Body(r.response)["route"], "recs");
  EXPECT_EQ(Body(r.response)["id"], "42");
  r = router_.Handle(Request("GET", "/v1/items/m%203/similar/content"));
  EXPECT_EQ(Body(r.response)["params"], (json{{"item", "m%203"}, {"mode", "content"}}));
  EXPECT_EQ(Body(r.response)["id"], "");  // no such placeholder
  EXPECT_EQ(Body(router_.Handle(Request("GET", "/v1/users/u1")).response)["route"], "user");
  // HEAD is served as GET.
  EXPECT_EQ(Body(router_.Handle(Request("HEAD", "/healthz")).response)["route"], "health");
  EXPECT_EQ(router_.routes().size(), 7u);
  EXPECT_EQ(router_.routes()[1].path, "/v1/users/{id}");
}

TEST_F(RouterTest, UnknownPathsAre404AndOtherMethods405WithAllow) {
  for (const char* path : {"/v1/users", "/v1/users/", "/v1/users//recommendations", "/v1/users/1/x", "/nope"}) {
    const auto r = router_.Handle(Request("GET", path));
    EXPECT_EQ(r.response.status, 404) << path;
    EXPECT_EQ(r.route, router_.unmatched_index()) << path;
    EXPECT_EQ(r.response.content_type, kJsonContentType);
    EXPECT_EQ(Body(r.response)["error"]["code"], "not_found") << path;
  }
  auto r = router_.Handle(Request("DELETE", "/v1/users/7/recommendations"));
  EXPECT_EQ(r.response.status, 405);
  EXPECT_EQ(r.response.Header("allow"), "GET, POST");
  EXPECT_EQ(r.route, 3u);  // counted for the path's route
  EXPECT_EQ(Body(r.response)["error"]["code"], "method_not_allowed");
  r = router_.Handle(Request("GET", "/admin/reload"));
  EXPECT_EQ(r.response.status, 405);
  EXPECT_EQ(r.response.Header("Allow"), "POST");
}

TEST_F(RouterTest, JsonBodiesAndHandlerExceptions) {
  auto r = router_.Handle(Request("POST", "/v1/users/7/recommendations", "k=1", "application/x-www-form-urlencoded"));
  EXPECT_EQ(r.response.status, 415);
  EXPECT_EQ(Body(r.response)["error"]["code"], "unsupported_media_type");
  r = router_.Handle(Request("POST", "/v1/users/7/recommendations", "{}", "Application/JSON; charset=utf-8"));
  EXPECT_EQ(r.response.status, 200);
  // A route without a JSON body takes any content type.
  EXPECT_EQ(router_.Handle(Request("POST", "/admin/reload", "x", "text/plain")).response.status, 200);
  r = router_.Handle(Request("GET", "/v1/boom"));
  EXPECT_EQ(r.response.status, 500);
  EXPECT_EQ(Body(r.response)["error"]["code"], "internal");
  EXPECT_NE(Body(r.response)["error"]["message"].get<std::string>().find("kaput"), std::string::npos);
  EXPECT_EQ(r.route, 6u);
}

TEST_F(RouterTest, FallbackServesUnreservedGetsOnly) {
  router_.SetFallback({"/v1", "/admin/"}, [](const HttpRequest& req) {
    HttpResponse res;
    res.content_type = "text/plain";
    res.body = "static " + req.path;
    return res;
  });
  auto r = router_.Handle(Request("GET", "/assets/app.js"));
  EXPECT_EQ(r.response.body, "static /assets/app.js");
  EXPECT_EQ(r.route, router_.fallback_index());
  EXPECT_EQ(router_.Handle(Request("HEAD", "/")).response.body, "static /");
  for (const char* reserved : {"/v1", "/v1/nope", "/admin/", "/admin/x"}) {
    EXPECT_EQ(router_.Handle(Request("GET", reserved)).response.status, 404) << reserved;
  }
  for (const char* unreserved : {"/v1x", "/admin"})
    EXPECT_EQ(router_.Handle(Request("GET", unreserved)).response.body, std::string("static ") + unreserved)
        << unreserved;
  r = router_.Handle(Request("PUT", "/assets/app.js", "{}"));
  EXPECT_EQ(r.response.status, 405);
  EXPECT_EQ(r.response.Header("Allow"), "GET, HEAD");
  EXPECT_EQ(r.route, router_.unmatched_index());
}

TEST(RouterTemplateTest, RefusesBadTemplates) {
  Router router;
  EXPECT_THROW(router.Add("GET", "healthz", Echo("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/v1/{}", Echo("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/v1/{id", Echo("x")), std::invalid_argument);
}

TEST(HttpStatusTest, StatusCodesAndErrorBodies) {
  EXPECT_EQ(HttpStatusOf(Status::InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusOf(Status::NotFound("x")), 404);
  EXPECT_EQ(HttpStatusOf(Status::Unsupported("x")), 409);
  EXPECT_EQ(HttpStatusOf(Status::Corruption("x")), 409);
  EXPECT_EQ(HttpStatusOf(Status::IOError("x")), 500);
  const HttpResponse r = ErrorResponse(Status::NotFound("unknown item 'z'"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r), (json{{"error", {{"code", "not_found"}, {"message", "unknown item 'z'"}}}}));
  EXPECT_FALSE(IsJsonContentType("text/json"));
  EXPECT_TRUE(IsJsonContentType("application/json ; charset=utf-8"));
}

// ---- the API's handlers on a tiny model (model/test_util.h): items m0..m7, users u0..u5.

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() / ("hr_router_test_" + std::to_string(::getpid())));
    fs::remove_all(*root_);
    fs::create_directories(*root_);
    model_testing::TrainTinyModel(*root_ / "model");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  void SetUp() override {
    auto store = store::OpenSqliteEventStore(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto state = LiveState::Open(*root_ / "model", std::move(store).value());
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(state).value();
    ApiOptions o;
    o.web_root = *root_ / "no-web-page";
    o.compute_slots = 1;
    o.connections_cut = [] { return uint64_t{3}; };
    api_ = std::make_unique<Api>(*state_, std::move(o), nullptr);
  }
  HttpResponse Call(std::string method, std::string path, std::string body = "") {
    return api_->Handle(Request(std::move(method), std::move(path), std::move(body)));
  }
  json Get(const std::string& path, int status = 200) {
    const HttpResponse r = Call("GET", path);
    EXPECT_EQ(r.status, status) << path << ": " << r.body;
    EXPECT_EQ(r.content_type, kJsonContentType) << path;
    return Body(r);
  }

  static fs::path* root_;
  std::unique_ptr<LiveState> state_;
  std::unique_ptr<Api> api_;
};
fs::path* ApiTest::root_ = nullptr;

TEST_F(ApiTest, TheRouteTableIsTheApis) {
  EXPECT_EQ(Api::Routes().size(), api_->router().routes().size());
  EXPECT_GE(Api::Routes().size(), 16u);
  EXPECT_EQ(Get("/healthz"), (json{{"status", "ok"}}));
  EXPECT_EQ(Get("/readyz")["status"], "ready");
  EXPECT_EQ(json::parse(Call("GET", "/openapi.json").body)["openapi"].get<std::string>().substr(0, 2), "3.");
  const HttpResponse wrong = Call("DELETE", "/v1/items/m1");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.Header("Allow"), "GET");
  EXPECT_EQ(Get("/v1/nothing", 404)["error"]["code"], "not_found");
  // Outside /v1: the web page, which is not built here.
  const HttpResponse page = Call("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("make web"), std::string::npos);
  EXPECT_EQ(Get("/v1/report", 404)["error"]["message"].get<std::string>().rfind("no evaluation report", 0), 0u);
}

TEST_F(ApiTest, UserHistoryIsNewestFirstEventsBeforeTraining) {
  // u0 trained on m0, m2, m4, m6 at 1000 + i.
  json u = Get("/v1/users/u0");
  EXPECT_EQ(u["known"], true);
  EXPECT_EQ(u["in_training"], true);
  EXPECT_EQ(u["events_since_training"], 0);
  ASSERT_EQ(u["history"].size(), 4u);
  EXPECT_EQ(u["history"][0], (json{{"item", {{"id", "m6"}, {"title", "Casablanca"}, {"genres", {"Drama"}}}},
                                   {"strength", 3.0},
                                   {"timestamp", 1006},
                                   {"source", "train"}}));
  EXPECT_EQ(u["history"][3]["item"]["id"], "m0");

  const HttpResponse posted = Call("POST", "/v1/events",
                                   R"({"events": [{"user": "u0", "item": "m1", "timestamp": 5000},
                                                  {"user": "u0", "item": "m7", "strength": 2, "timestamp": 6000}]})");
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(Body(posted), (json{{"accepted", 2}, {"events_stored", 2}}));
  u = Get("/v1/users/u0");
  EXPECT_EQ(u["events_since_training"], 2);
  ASSERT_EQ(u["history"].size(), 6u);
  EXPECT_EQ(u["history"][0]["item"]["id"], "m7");
  EXPECT_EQ(u["history"][0]["source"], "event");
  EXPECT_EQ(u["history"][0]["timestamp"], 6000);
  EXPECT_EQ(u["history"][1]["item"]["id"], "m1");
  EXPECT_EQ(u["history"][2]["item"]["id"], "m6");
  EXPECT_EQ(u["history"][2]["source"], "train");

  const json nobody = Get("/v1/users/nobody");
  EXPECT_EQ(nobody["known"], false);
  EXPECT_TRUE(nobody["history"].empty());
}

TEST_F(ApiTest, RecommendationsAreTheRankersAnswerForTheSharedQuery) {
  const json r = Get("/v1/users/u0/recommendations?k=3");
  EXPECT_EQ(r["user"], "u0");
  EXPECT_EQ(r["known"], true);
  EXPECT_EQ(r["history_size"], 4);
  const auto snap = state_->Current();
  const RankQuery q = QueryFor(*snap, FindLiveUser(*snap, "u0"), snap->ranker());
  const RankResponse want = snap->ranker().Recommend(q.view(), 3, false);
  ASSERT_EQ(r["items"].size(), want.items.size());
  ASSERT_FALSE(want.items.empty());
  for (size_t i = 0; i < want.items.size(); ++i) {
    EXPECT_EQ(r["items"][i]["item"]["id"], snap->ItemId(want.items[i].item));
    for (const char* seen : {"m0", "m2", "m4", "m6"}) EXPECT_NE(r["items"][i]["item"]["id"], seen);
  }
  EXPECT_EQ(Get("/v1/users/u0/recommendations?k=0", 400)["error"]["code"], "bad_request");
  EXPECT_EQ(Get("/v1/users/u0/recommendations?explain=yes", 400)["error"]["code"], "bad_request");
  const json cold = Get("/v1/users/stranger/recommendations?k=2");
  EXPECT_EQ(cold["path"], "popularity");
  EXPECT_EQ(cold["known"], false);
  EXPECT_EQ(cold["items"].size(), 2u);

  HttpResponse anon = Call("POST", "/v1/recommendations", R"({"items": ["m3", {"id": "m4", "strength": 3}], "k": 2})");
  ASSERT_EQ(anon.status, 200) << anon.body;
  EXPECT_EQ(Body(anon)["known"], false);
  EXPECT_EQ(Body(anon)["history_size"], 2);
  anon = Call("POST", "/v1/recommendations", R"({"items": ["m3", "zzz"]})");
  EXPECT_EQ(anon.status, 404);
  EXPECT_EQ(Body(anon)["error"]["message"], "unknown item 'zzz' in items");
  HttpRequest form = Request("POST", "/v1/recommendations", R"({"items": ["m3"]})", "text/plain");
  EXPECT_EQ(api_->Handle(std::move(form)).status, 415);
}

TEST_F(ApiTest, SearchUsesTheContentLayersTextSearch) {
  const json r = Get("/v1/search?q=die&k=2");
  EXPECT_EQ(r["query"], "die");
  EXPECT_EQ(r["encoder"], state_->Current()->encoder()->name());
  ASSERT_EQ(r["items"].size(), 2u);
  EXPECT_FALSE(r.contains("note"));
  const auto hits = SearchByText(*state_->Current()->encoder(), *state_->Current()->index(), "die", 2);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(r["items"][0]["item"]["id"], state_->Current()->ItemId((*hits)[0].item));
  EXPECT_EQ(static_cast<float>(r["items"][0]["score"].get<double>()), (*hits)[0].score);
  // k above the catalogue: every item once.
  EXPECT_EQ(Get("/v1/search?q=die&k=1000")["items"].size(), 8u);
  const json none = Get("/v1/search?q=xyzzy");
  EXPECT_TRUE(none["items"].empty());
  EXPECT_NE(none["note"].get<std::string>().find("none of the query's words"), std::string::npos);
  EXPECT_EQ(Get("/v1/search", 400)["error"]["message"], "field 'q': the query text is required");
}

TEST_F(ApiTest, ItemsSimilarAndAddedItems) {
  EXPECT_EQ(Get("/v1/items/m3")["title"], "Die Hard");
  EXPECT_EQ(Get("/v1/items/m9", 404)["error"]["message"], "unknown item 'm9'");
  const json sim = Get("/v1/items/m3/similar?k=2&mode=content");
  EXPECT_EQ(sim["mode"], "content");
  EXPECT_EQ(sim["items"].size(), 2u);
  EXPECT_EQ(Get("/v1/items/m3/similar?mode=bogus", 400)["error"]["code"], "bad_request");
  HttpResponse added = Call("POST", "/v1/items", R"({"id": "n1", "title": "Die Hard 3", "genres": ["Action"]})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(Body(added)["source"], "added");
  added = Call("POST", "/v1/items", R"({"id": "n1", "title": "Again"})");
  EXPECT_EQ(added.status, 409);
  EXPECT_EQ(Get("/v1/items/n1")["title"], "Die Hard 3");
}

// The rank of item `id` in a served recommendation list, 0 when absent.
uint32_t RankOf(const json& recs, std::string_view id) {
  for (const auto& it : recs["items"])
    if (it["item"]["id"] == id) return it["rank"].get<uint32_t>();
  return 0;
}

TEST_F(ApiTest, FreshItemsCountTheListsActuallyServed) {
  const int64_t before =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  json fresh = Get("/v1/items/fresh");
  EXPECT_EQ(fresh["items_added"], 0);
  EXPECT_TRUE(fresh["items"].empty());
  EXPECT_EQ(fresh["lists_served"], 0);
  EXPECT_GE(fresh["counting_since"].get<int64_t>(), before - 1);

  ASSERT_EQ(Call("POST", "/v1/items", R"({"id": "n1", "title": "Die Hard 3", "genres": ["Action"]})").status, 201);
  ASSERT_EQ(Call("POST", "/v1/items", R"({"id": "n2", "title": "Casablanca Again", "genres": ["Drama"]})").status, 201);
  // The whole catalogue (k above its size, seen items kept) so both added items are in every list.
  std::vector<std::pair<json, std::optional<std::string>>> served;  // list, known user
  served.emplace_back(Get("/v1/users/u0/recommendations?k=1000&exclude_seen=false"), "u0");
  served.emplace_back(Get("/v1/users/u1/recommendations?k=1000&exclude_seen=false"), "u1");
  served.emplace_back(Get("/v1/users/u0/recommendations?k=3&exclude_seen=false"), "u0");
  served.emplace_back(Get("/v1/users/stranger/recommendations?k=1000"), std::nullopt);  // unknown id: not a user
  const HttpResponse anon =
      Call("POST", "/v1/recommendations", R"({"items": ["m3"], "k": 1000, "exclude_seen": false})");
  ASSERT_EQ(anon.status, 200) << anon.body;
  served.emplace_back(Body(anon), std::nullopt);
  // Neither answers nor 4xx nor HEAD requests count.
  EXPECT_EQ(api_->Handle(Request("HEAD", "/v1/users/u2/recommendations?k=1000")).status, 200);
  Get("/v1/users/u2/recommendations?k=0", 400);

  fresh = Get("/v1/items/fresh?k=20");
  EXPECT_EQ(fresh["items_added"], 2);
  EXPECT_EQ(fresh["lists_served"], served.size());
  EXPECT_EQ(fresh["max_users_per_item"], 1024);
  ASSERT_EQ(fresh["items"].size(), 2u);
  EXPECT_EQ(fresh["items"][0]["item"], (json{{"id", "n2"}, {"title", "Casablanca Again"}, {"genres", {"Drama"}}}));
  EXPECT_EQ(fresh["items"][1]["item"]["id"], "n1");  // newest first
  for (const json& f : fresh["items"]) {
    const std::string id = f["item"]["id"];
    uint64_t lists = 0;
    uint32_t best = 0;
    std::set<std::string> users;
    for (const auto& [recs, user] : served) {
      const uint32_t rank = RankOf(recs, id);
      if (rank == 0) continue;
      ++lists;
      if (best == 0 || rank < best) best = rank;
      if (user) users.insert(*user);
    }
    EXPECT_GE(lists, 3u) << id;  // the whole-catalogue lists hold it
    EXPECT_EQ(f["lists"], lists) << id;
    EXPECT_EQ(f["users"], users.size()) << id;
    EXPECT_GE(users.size(), 1u) << id;
    EXPECT_EQ(f["users_capped"], false);
    EXPECT_EQ(f["best_rank"], best) << id;
    EXPECT_GE(f["added_at"].get<int64_t>(), before - 1);
    EXPECT_EQ(api_->freshness().Get(id).lists, lists);
  }

  EXPECT_EQ(Get("/v1/items/fresh?k=1")["items"].size(), 1u);
  for (const char* bad : {"k=0", "k=1001", "k=x", "k=", "k=-3"})
    EXPECT_NE(Get(std::string("/v1/items/fresh?") + bad, 400)["error"]["message"].get<std::string>().find("'k'"),
              std::string::npos)
        << bad;
  // An item never served has zero counts and no rank.
  ASSERT_EQ(Call("POST", "/v1/items", R"({"id": "n3", "title": "Unseen"})").status, 201);
  const json n3 = Get("/v1/items/fresh?k=1")["items"][0];
  EXPECT_EQ(n3["item"]["id"], "n3");
  EXPECT_EQ(n3["lists"], 0);
  EXPECT_EQ(n3["users"], 0);
  EXPECT_TRUE(n3["best_rank"].is_null());
  // The literal route does not hide the items' own route; the id "fresh" is reserved.
  EXPECT_EQ(Get("/v1/items/n1")["title"], "Die Hard 3");
  const HttpResponse reserved = Call("POST", "/v1/items", R"({"id": "fresh", "title": "Fresh"})");
  EXPECT_EQ(reserved.status, 400);
  EXPECT_NE(Body(reserved)["error"]["message"].get<std::string>().find("'id'"), std::string::npos);
  EXPECT_EQ(Call("POST", "/v1/items/fresh").status, 405);
}

TEST_F(ApiTest, MetricsCountRequestsThroughTheRouter) {
  Get("/healthz");
  Get("/healthz");
  Call("PUT", "/healthz");
  Get("/v1/nothing", 404);
  api_->CountUnrouted("POST", 413);
  const HttpResponse m = Call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line : {"hybridrec_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2\n",
                           "hybridrec_http_requests_total{route=\"/healthz\",method=\"PUT\",status=\"405\"} 1\n",
                           "hybridrec_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
                           "hybridrec_http_requests_total{route=\"unmatched\",method=\"POST\",status=\"413\"} 1\n",
                           "hybridrec_catalogue_items 8\n", "hybridrec_http_connections_cut_total 3\n"})
    EXPECT_NE(m.body.find(line), std::string::npos) << line << m.body;
  EXPECT_NE(m.body.find("hybridrec_model_info{version=\"" + state_->Current()->version() + "\"} 1\n"),
            std::string::npos);
}

TEST_F(ApiTest, ModelAndReload) {
  const json m = Get("/v1/model");
  EXPECT_EQ(m["num_items"], 8);
  EXPECT_EQ(m["num_users"], 6);
  EXPECT_EQ(m["model_version"], state_->Current()->version());
  // Without tokens the admin endpoints are refused (the reload itself is tested with an admin
  // token below, and through SIGHUP end to end).
  const HttpResponse r = Call("POST", "/admin/reload");
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("--auth"), std::string::npos) << r.body;
  EXPECT_EQ(state_->reloads(), 0);
  ASSERT_TRUE(api_->Reload().ok());
  EXPECT_EQ(state_->reloads(), 1);
  const json map = Get("/v1/embedding-map");
  EXPECT_EQ(map["items"].size(), 8u);
}

TEST_F(RouterTest, AGuardAnswersBeforeTheContentTypeCheck) {
  Router r;
  r.Add("POST", "/v1/x", Echo("x"),
        {.json_body = true, .guard = [](const HttpRequest& req) -> std::optional<HttpResponse> {
           if (req.authorization == "ok") return std::nullopt;
           return ErrorResponse(401, "no");
         }});
  HttpRequest req = Request("POST", "/v1/x", "k=1", "text/plain");
  EXPECT_EQ(r.Handle(req).response.status, 401);
  req.authorization = "ok";
  EXPECT_EQ(r.Handle(req).response.status, 415);
  EXPECT_EQ(Body(r.Handle(Request("POST", "/v1/x", "{}")).response)["error"]["code"], "unauthorized");
}

// Without tokens, a server that listens beyond loopback refuses writes; reads stay open.
TEST_F(ApiTest, WritesNeedTokensBeyondLoopback) {
  ApiOptions o;
  o.web_root = *root_ / "no-web-page";
  o.open_writes = false;
  Api open_reads(*state_, std::move(o), nullptr);
  HttpRequest post;
  post.method = "POST";
  post.path = "/v1/events";
  post.content_type = "application/json";
  post.body = R"({"user": "u0", "item": "m1"})";
  const HttpResponse w = open_reads.Handle(post);
  EXPECT_EQ(w.status, 403) << w.body;
  EXPECT_NE(w.body.find("--auth"), std::string::npos) << w.body;
  HttpRequest get;
  get.method = "GET";
  get.path = "/v1/users/u0/recommendations";
  EXPECT_EQ(open_reads.Handle(get).status, 200);
}

// ---- access control (auth.h) through the API's route table: tokens r (read), w (write),
// a (admin).

class ApiAuthTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    tokens_file_ = *root_ / ("tokens-" + std::to_string(::getpid()) + ".txt");
    WriteTokens("");
    ApiOptions o;
    o.web_root = *root_ / "no-web-page";
    o.compute_slots = 1;
    auto tokens = LoadAccessTokens(tokens_file_);
    ASSERT_TRUE(tokens.ok()) << tokens.status().message();
    o.access = std::make_shared<const AccessTokens>(std::move(tokens).value());
    api_ = std::make_unique<Api>(*state_, std::move(o), nullptr);
  }
  void TearDown() override { fs::remove(tokens_file_); }
  void WriteTokens(const std::string& extra) {
    std::ofstream(tokens_file_) << "# test tokens\nread " << Sha256Hex("r") << " reader\nwrite " << Sha256Hex("w")
                                << "\nadmin " << Sha256Hex("a") << " ops\n"
                                << extra;
  }
  HttpResponse CallAs(const std::string& authorization, std::string method, std::string path, std::string body = "") {
    HttpRequest req = Request(std::move(method), std::move(path), std::move(body));
    req.authorization = authorization;
    return api_->Handle(std::move(req));
  }
  fs::path tokens_file_;
  int next_item_ = 0;

  // A protected endpoint and a body it accepts.
  struct Endpoint {
    std::string path;
    Role role;
    int ok_status;
  };
  std::string BodyFor(const std::string& path) {
    if (path == "/v1/events") return R"({"user": "u9", "item": "m1"})";
    if (path == "/v1/items") return R"({"id": "added-)" + std::to_string(next_item_++) + R"(", "title": "A new film"})";
    return "";
  }
};

TEST_F(ApiAuthTest, ProtectedEndpointsAnswer401403Or200ByRole) {
  const std::vector<Endpoint> endpoints = {
      {"/v1/events", Role::kWrite, 200}, {"/v1/items", Role::kWrite, 201}, {"/admin/reload", Role::kAdmin, 200}};
  const std::pair<std::string, Role> tokens[] = {{"r", Role::kRead}, {"w", Role::kWrite}, {"a", Role::kAdmin}};
  for (const Endpoint& e : endpoints) {
    for (const std::string h : {"", "Bearer unknown-token", "Basic YTph", "Bearer"}) {
      const HttpResponse r = CallAs(h, "POST", e.path, BodyFor(e.path));
      EXPECT_EQ(r.status, 401) << e.path << " '" << h << "': " << r.body;
      EXPECT_EQ(r.Header("WWW-Authenticate").substr(0, 7), "Bearer ") << e.path;
      EXPECT_EQ(Body(r)["error"]["code"], "unauthorized");
    }
    for (const auto& [tok, role] : tokens) {
      const HttpResponse r = CallAs("Bearer " + tok, "POST", e.path, BodyFor(e.path));
      if (role < e.role) {
        EXPECT_EQ(r.status, 403) << e.path << " as " << tok << ": " << r.body;
        EXPECT_EQ(Body(r)["error"]["code"], "forbidden");
        EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find(std::string(RoleName(e.role))), std::string::npos)
            << r.body;
      } else {
        EXPECT_EQ(r.status, e.ok_status) << e.path << " as " << tok << ": " << r.body;
      }
    }
  }
  // Refused before the content-type check: no hint about what the endpoint takes.
  EXPECT_EQ(CallAs("", "POST", "/v1/events", "x=1").status, 401);
  // 401 and 403 counted on their own and by route.
  const std::string m = CallAs("", "GET", "/metrics").body;
  for (const char* line : {"hybridrec_http_requests_rejected_total{reason=\"unauthenticated\"} 13\n",
                           "hybridrec_http_requests_rejected_total{reason=\"forbidden\"} 4\n",
                           "hybridrec_http_requests_total{route=\"/admin/reload\",method=\"POST\",status=\"403\"} 2\n",
                           "hybridrec_http_requests_total{route=\"/v1/events\",method=\"POST\",status=\"401\"} 5\n"})
    EXPECT_NE(m.find(line), std::string::npos) << line << m;
}

TEST_F(ApiAuthTest, ReadsHealthAndTheWebPageStayOpen) {
  for (const char* path :
       {"/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/model", "/v1/users/u0", "/v1/users/u0/recommendations",
        "/v1/items/m1", "/v1/items/m1/similar", "/v1/items/fresh", "/v1/search?q=space", "/v1/embedding-map", "/"})
    EXPECT_EQ(CallAs("", "GET", path).status, 200) << path;
  EXPECT_EQ(CallAs("", "POST", "/v1/recommendations", R"({"items": [{"id": "m1"}]})").status, 200);
  // A bad header on an open endpoint does not matter.
  EXPECT_EQ(CallAs("Bearer nope", "GET", "/v1/model").status, 200);
  // Unknown routes and methods answer as without access control.
  EXPECT_EQ(CallAs("", "POST", "/admin/nothing").status, 404);
  EXPECT_EQ(CallAs("", "GET", "/admin/reload").status, 405);
}

TEST_F(ApiAuthTest, HeaderEdgeCases) {
  const auto post = [this](const std::string& h) {
    return CallAs(h, "POST", "/v1/events", BodyFor("/v1/events")).status;
  };
  EXPECT_EQ(post("bearer w"), 200);
  EXPECT_EQ(post("BEARER w"), 200);
  EXPECT_EQ(post("  Bearer    w  "), 200);
  EXPECT_EQ(post("Bearer\tw"), 200);
  EXPECT_EQ(post("Bearer w w"), 401);
  EXPECT_EQ(post("Bearer  "), 401);
  EXPECT_EQ(post("Basic dzp3"), 401);
  EXPECT_EQ(post("w"), 401);
  EXPECT_EQ(post("Bearer W"), 401);  // tokens are case-sensitive
  EXPECT_EQ(post("Bearer " + std::string(100000, 'w')), 401);
  EXPECT_EQ(post(std::string(100000, ' ')), 401);
  const HttpResponse bad = CallAs("Bearer unknown", "POST", "/v1/events", BodyFor("/v1/events"));
  EXPECT_NE(bad.Header("WWW-Authenticate").find("invalid_token"), std::string::npos);
  EXPECT_EQ(CallAs("", "POST", "/v1/events", BodyFor("/v1/events")).Header("WWW-Authenticate"),
            "Bearer realm=\"hybridrec\"");
}

TEST_F(ApiAuthTest, ReloadReadsTheTokensFileAgainAndRefusesABadOne) {
  WriteTokens("require-read\n");
  ASSERT_EQ(CallAs("Bearer a", "POST", "/admin/reload").status, 200);
  EXPECT_EQ(CallAs("", "GET", "/v1/model").status, 401);
  EXPECT_EQ(CallAs("", "POST", "/v1/recommendations", R"({"items": [{"id": "m1"}]})").status, 401);
  EXPECT_EQ(CallAs("Bearer r", "GET", "/v1/model").status, 200);
  EXPECT_EQ(CallAs("Bearer w", "GET", "/metrics").status, 200);
  for (const char* open : {"/healthz", "/readyz", "/"}) EXPECT_EQ(CallAs("", "GET", open).status, 200) << open;

  // A damaged file is refused (409, naming file and line); the tokens before it stay.
  std::ofstream(tokens_file_, std::ios::app) << "writer " << Sha256Hex("x") << "\n";
  const HttpResponse refused = CallAs("Bearer a", "POST", "/admin/reload");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(Body(refused)["error"]["message"].get<std::string>().find(tokens_file_.string() + ":6: field 1 (role)"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(CallAs("", "GET", "/v1/model").status, 401);
  EXPECT_EQ(CallAs("Bearer r", "GET", "/v1/model").status, 200);
  EXPECT_EQ(state_->reloads(), 1);
  // Api::Reload (SIGHUP) reads it too.
  WriteTokens("");
  ASSERT_TRUE(api_->Reload().ok());
  EXPECT_EQ(CallAs("", "GET", "/v1/model").status, 200);
}

}  // namespace
}  // namespace hybridrec::serve
