// `hybridrec serve` as a client sees it: every route of docs/api.md, the error shapes and status
// codes, events reflected in the next recommendations, items added at run time, static files.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "serve_test_util.h"

namespace {
using namespace serve_test;
using nlohmann::json;

class ServeApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(TempDir("api"));
    std::string log;
    ASSERT_TRUE(TrainSmallModel(*dir_ / "model", 0, &log)) << log;
    fs::create_directories(*dir_ / "web" / "assets");
    std::ofstream(*dir_ / "web" / "index.html") << "<html>hybridrec page</html>";
    std::ofstream(*dir_ / "web" / "assets" / "app.js") << "console.log(1);";
    std::ofstream(*dir_ / "secret.txt") << "secret";
    fs::create_directories(*dir_ / "report");
    std::ofstream(*dir_ / "report" / "report.json") << R"({"evaluation": {"models": {}}, "charts": {}})";
    server_ = new ServerProcess();
    ASSERT_TRUE(server_->Start({"--model", (*dir_ / "model").string(), "--db", (*dir_ / "events.sqlite").string(),
                                "--web-root", (*dir_ / "web").string(), "--report", (*dir_ / "report").string(),
                                "--threads", "8"}))
        << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  static void ExpectError(const httplib::Result& r, int status, const std::string& code) {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, status) << r->body;
    const json j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_EQ(j["error"]["code"], code) << r->body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  }
  static fs::path* dir_;
  static ServerProcess* server_;
};
fs::path* ServeApiTest::dir_ = nullptr;
ServerProcess* ServeApiTest::server_ = nullptr;

TEST_F(ServeApiTest, PrintsOneListeningLine) {
  ASSERT_EQ(server_->stdout_lines().size(), 1u);
  EXPECT_EQ(server_->stdout_lines()[0], "hybridrec serve: listening on http://127.0.0.1:" +
                                            std::to_string(server_->port()) + "/");
}

TEST_F(ServeApiTest, HealthReadyModelMetricsOpenApi) {
  auto c = server_->Client();
  EXPECT_EQ(Json(c.Get("/healthz"))["status"], "ok");
  const json ready = Json(c.Get("/readyz"));
  EXPECT_EQ(ready["status"], "ready");
  const json model = Json(c.Get("/v1/model"));
  EXPECT_EQ(model["model_version"], ready["model_version"]);
  EXPECT_EQ(model["num_items"], 6);
  EXPECT_EQ(model["num_users"], 5);
  EXPECT_EQ(model["encoder"]["name"], "lsa");
  const json openapi = Json(c.Get("/openapi.json"));
  EXPECT_EQ(openapi["openapi"], "3.0.3");
  const json report = Json(c.Get("/v1/report"));
  EXPECT_TRUE(report.contains("evaluation"));
  const json map = Json(c.Get("/v1/embedding-map"));
  ASSERT_EQ(map["items"].size(), 6u);
  EXPECT_TRUE(map["items"][0]["x"].is_number());
  EXPECT_EQ(map["items"][0]["genre"], "Animation");
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("hybridrec_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"),
            std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("hybridrec_http_request_duration_seconds_bucket{route=\"/v1/model\""), std::string::npos);
  EXPECT_NE(m->body.find("hybridrec_model_info{version=\"" + ready["model_version"].get<std::string>() + "\"} 1"),
            std::string::npos);
  EXPECT_NE(m->body.find("hybridrec_events_stored "), std::string::npos);
}

TEST_F(ServeApiTest, KnownUnknownAndAnonymousRecommendations) {
  auto c = server_->Client();
  const json r = Json(c.Get("/v1/users/1/recommendations?k=2&explain=true"));
  EXPECT_EQ(r["user"], "1");
  EXPECT_EQ(r["known"], true);
  EXPECT_EQ(r["history_size"], 3);
  EXPECT_TRUE(r["path"] == "hybrid" || r["path"] == "collab" || r["path"] == "content") << r.dump();
  EXPECT_TRUE(r["weight"].is_number());
  ASSERT_EQ(r["items"].size(), 2u);
  for (const auto& it : r["items"]) {
    EXPECT_NE(it["item"]["id"], "1");  // seen items excluded
    EXPECT_TRUE(it.contains("explanation"));
    EXPECT_TRUE(it["item"]["title"].is_string());
  }
  const json all = Json(c.Get("/v1/users/1/recommendations?k=10&exclude_seen=false"));
  EXPECT_EQ(all["items"].size(), 6u);
  const json cold = Json(c.Get("/v1/users/nobody/recommendations?k=3"));
  EXPECT_EQ(cold["known"], false);
  EXPECT_EQ(cold["path"], "popularity");
  EXPECT_EQ(cold["items"].size(), 3u);
  const json anon = Json(PostJson(c, "/v1/recommendations", R"({"items": [{"id": "2", "strength": 5}, {"id": "6"}], "k": 3})"));
  EXPECT_FALSE(anon.contains("user"));
  EXPECT_EQ(anon["history_size"], 2);
  ASSERT_EQ(anon["items"].size(), 3u);
  for (const auto& it : anon["items"]) EXPECT_TRUE(it["item"]["id"] != "2" && it["item"]["id"] != "6");
}

TEST_F(ServeApiTest, EventsChangeHistoryAndRecommendations) {
  auto c = server_->Client();
  const json before = Json(c.Get("/v1/users/4/recommendations?k=10"));
  const int64_t stored_before = Json(c.Get("/v1/model"))["events_stored"];
  auto r = PostJson(c, "/v1/events", R"({"events": [{"user": "4", "item": "1", "strength": 5, "timestamp": 1700000000},
                                                    {"user": "fresh-user", "item": "3"}]})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json(r)["accepted"], 2);
  EXPECT_EQ(Json(r)["events_stored"], stored_before + 2);
  const json h = Json(c.Get("/v1/users/4"));
  EXPECT_EQ(h["known"], true);
  EXPECT_EQ(h["events_since_training"], 1);
  ASSERT_EQ(h["history"].size(), 4u);
  EXPECT_EQ(h["history"][0]["source"], "event");
  EXPECT_EQ(h["history"][0]["item"]["id"], "1");
  EXPECT_EQ(h["history"][0]["timestamp"], 1700000000);
  EXPECT_EQ(h["history"][1]["source"], "train");
  // Training entries carry their timestamps (ML-100K has them), newest first.
  ASSERT_TRUE(h["history"][1]["timestamp"].is_number()) << h.dump();
  for (size_t j = 2; j < h["history"].size(); ++j)
    EXPECT_GE(h["history"][j - 1]["timestamp"].get<int64_t>(), h["history"][j]["timestamp"].get<int64_t>());
  const json after = Json(c.Get("/v1/users/4/recommendations?k=10"));
  EXPECT_EQ(after["history_size"], before["history_size"].get<int>() + 1);
  EXPECT_EQ(after["events_since_training"], 1);
  for (const auto& it : after["items"]) EXPECT_NE(it["item"]["id"], "1");  // now seen
  const json fresh = Json(c.Get("/v1/users/fresh-user/recommendations?k=3"));
  EXPECT_EQ(fresh["known"], true);
  EXPECT_NE(fresh["path"], "popularity");
  EXPECT_EQ(Json(c.Get("/v1/users/fresh-user"))["in_training"], false);
  // A batch with one unknown item stores nothing.
  ExpectError(PostJson(c, "/v1/events", R"({"events": [{"user": "4", "item": "2"}, {"user": "4", "item": "nope"}]})"),
              404, "not_found");
  EXPECT_EQ(Json(c.Get("/v1/users/4"))["events_since_training"], 1);
  EXPECT_EQ(Json(c.Get("/v1/model"))["events_stored"], stored_before + 2);
}

TEST_F(ServeApiTest, AddedItemIsSearchableAndRecommendable) {
  auto c = server_->Client();
  const std::string body = R"J({"id": "new-robot", "title": "Toy Story (1995)", "genres": ["Animation", "Comedy"], "tags": ["pixar"]})J";
  auto r = PostJson(c, "/v1/items", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Json(r)["source"], "added");
  EXPECT_EQ(Json(r)["has_factor"], true);  // estimated from its content neighbours
  EXPECT_EQ(Json(r)["factor"], "estimated");
  ExpectError(PostJson(c, "/v1/items", body), 409, "conflict");
  const json item = Json(c.Get("/v1/items/new-robot"));
  EXPECT_EQ(item["title"], "Toy Story (1995)");
  const json sim = Json(c.Get("/v1/items/new-robot/similar?k=1&mode=content"));
  ASSERT_EQ(sim["items"].size(), 1u);
  EXPECT_EQ(sim["items"][0]["item"]["id"], "1");  // same title: the closest text
  // The fixture's LSA vocabulary is tiny (words in at least two items): search a genre word.
  const json search = Json(c.Get("/v1/search?q=comedy&k=7"));
  std::set<std::string> ids;
  for (const auto& h : search["items"]) ids.insert(h["item"]["id"].get<std::string>());
  EXPECT_TRUE(ids.count("new-robot")) << search.dump();
  // A history of only the new (cold) item: reachable through content alone.
  const json anon = Json(PostJson(c, "/v1/recommendations", R"({"items": [{"id": "new-robot"}], "k": 2})"));
  EXPECT_EQ(anon["path"], "content") << anon.dump();
  // Others can now be recommended the new item (content path, exclude_seen=false shows all).
  const json all = Json(PostJson(c, "/v1/recommendations", R"({"items": ["1"], "k": 7, "exclude_seen": false})"));
  bool found = false;
  for (const auto& it : all["items"]) found = found || it["item"]["id"] == "new-robot";
  EXPECT_TRUE(found) << all.dump();
  // Events on the new item are accepted.
  auto e = PostJson(c, "/v1/events", R"({"user": "5", "item": "new-robot"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 200) << e->body;
}

TEST_F(ServeApiTest, ErrorShapesAndCodes) {
  auto c = server_->Client();
  ExpectError(PostJson(c, "/v1/events", "{\"user\": "), 400, "bad_request");
  ExpectError(PostJson(c, "/v1/events", R"({"user": 1.5, "item": "1"})"), 400, "bad_request");
  ExpectError(PostJson(c, "/v1/recommendations", R"({"items": []})"), 400, "bad_request");
  ExpectError(PostJson(c, "/v1/recommendations", R"({"items": ["1"], "k": 1001})"), 400, "bad_request");
  ExpectError(PostJson(c, "/v1/recommendations", R"({"items": ["zzz"]})"), 404, "not_found");
  ExpectError(c.Get("/v1/users/1/recommendations?k=0"), 400, "bad_request");
  ExpectError(c.Get("/v1/users/1/recommendations?k=abc"), 400, "bad_request");
  ExpectError(c.Get("/v1/users/1/recommendations?explain=maybe"), 400, "bad_request");
  ExpectError(c.Get("/v1/items/zzz"), 404, "not_found");
  ExpectError(c.Get("/v1/items/zzz/similar"), 404, "not_found");
  ExpectError(c.Get("/v1/items/1/similar?mode=psychic"), 400, "bad_request");
  ExpectError(c.Get("/v1/search"), 400, "bad_request");
  ExpectError(c.Get("/v1/nothing-here"), 404, "not_found");
  auto del = c.Delete("/v1/items/1");
  ExpectError(del, 405, "method_not_allowed");
  EXPECT_EQ(del->get_header_value("Allow"), "GET");
  ExpectError(c.Post("/v1/events", R"({"user": "u", "item": "1"})", "text/plain"), 415, "unsupported_media_type");
  ExpectError(PostJson(c, "/v1/events", std::string(2 << 20, ' ')), 413, "payload_too_large");
  // Still serving.
  EXPECT_EQ(Json(c.Get("/healthz"))["status"], "ok");
}

TEST_F(ServeApiTest, StaticFilesStayInsideTheWebRoot) {
  auto c = server_->Client();
  auto index = c.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<html>hybridrec page</html>");
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  auto js = c.Get("/assets/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  for (const char* bad : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"}) {
    auto r = c.Get(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_NE(r->body, "secret") << bad;
    EXPECT_TRUE(r->status == 404 || r->status == 400) << bad << " " << r->status;
  }
  auto missing = c.Get("/nope.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// A model trained with the recent-items and co-occurrence signals: responses say they were used
// and from how many items (the co-occurrence table is rebuilt from the history at load).
TEST(ServeRecentItemsTest, ResponsesSayTheRecentSignalWasUsed) {
  const fs::path dir = TempDir("recent");
  std::string log;
  ASSERT_EQ(RunCli("train --quiet --encoder lsa --factors 4 --iterations 3 --recent-items 3 --recent-weight 0.5 "
                   "--cooccurrence-weight 1.5 --cooccurrence-neighbours 20 "
                   "--data " + Fixture("ml-100k-mini") + " --out " + (dir / "model").string(), &log),
            0)
      << log;
  ServerProcess s;
  ASSERT_TRUE(s.Start({"--model", (dir / "model").string(), "--db", ":memory:"})) << s.log();
  auto c = s.Client();
  const json r = Json(c.Get("/v1/users/1/recommendations?k=5"));
  EXPECT_EQ(r["recent_weight"], 0.5);
  EXPECT_EQ(r["recent_items"], 3);
  ASSERT_FALSE(r["items"].empty());
  EXPECT_TRUE(r["items"][0]["z_recent"].is_number());
  EXPECT_EQ(r["cooccurrence_weight"], 1.5);
  // User 1's unseen items never co-occur with its history in this fixture: all z = 0 there.
  EXPECT_TRUE(r["items"][0]["z_cooccurrence"].is_number());
  const json anon = Json(PostJson(c, "/v1/recommendations", R"({"items": ["1", "2"], "k": 3})"));
  EXPECT_EQ(anon["recent_items"], 2);
  // Item 1 was taken with 5 by three users and with 3 by two: 5 scores higher on co-occurrence.
  EXPECT_EQ(anon["cooccurrence_weight"], 1.5);
  double z5 = 0, z3 = 0;
  for (const auto& it : anon["items"]) {
    if (it["item"]["id"] == "5") z5 = it["z_cooccurrence"].get<double>();
    if (it["item"]["id"] == "3") z3 = it["z_cooccurrence"].get<double>();
  }
  EXPECT_GT(z5, z3);
  EXPECT_GT(z5, 0.0);
  const json cold = Json(c.Get("/v1/users/nobody/recommendations?k=3"));
  EXPECT_EQ(cold["path"], "popularity");
  EXPECT_EQ(cold["recent_weight"], 0);
  EXPECT_EQ(cold["cooccurrence_weight"], 0);
  s.Kill(SIGTERM);
  fs::remove_all(dir);
}

TEST(ServeNoWebRootTest, SaysHowToBuildThePage) {
  const fs::path dir = TempDir("noweb");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  ServerProcess s;
  ASSERT_TRUE(s.Start({"--model", (dir / "model").string(), "--db", ":memory:", "--web-root", (dir / "none").string()}))
      << s.log();
  auto c = s.Client();
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("make web"), std::string::npos);
  s.Kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace

// A new item must reach established users. On the model `train` writes with its defaults for
// MovieLens 100K, an item added through the API as the content twin of Star Wars (item 50: same
// title words, genres and tags, a new id) reaches the top 20 of most users who hold the original,
// and the responses say which rule brought it in.
TEST(ServeColdItemTest, ContentTwinReachesMostHoldersOfTheOriginal) {
  const char* mirror = std::getenv("HYBRIDREC_DATA_MIRROR");
  const fs::path data = (mirror && *mirror ? fs::path(mirror) : fs::path(HYBRIDREC_SOURCE_DIR) / ".." / "shared" / "data") /
                        "ml-100k";
  if (!fs::exists(data / "u.data")) GTEST_SKIP() << "no ML-100K at " << data;
  const fs::path dir = TempDir("twin");
  std::string log;
  ASSERT_EQ(RunCli("train --quiet --data " + data.string() + " --out " + (dir / "model").string(), &log), 0) << log;
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--model", (dir / "model").string(), "--db", (dir / "events.sqlite").string()}))
      << server.log();
  auto c = server.Client();
  const json original = Json(c.Get("/v1/items/50"));
  ASSERT_EQ(original["factor"], "trained") << original.dump();
  json twin = {{"id", "twin-of-50"},
               {"title", original["title"]},
               {"genres", original["genres"]},
               {"tags", original["tags"]}};
  auto added = PostJson(c, "/v1/items", twin.dump());
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  EXPECT_EQ(Json(added)["factor"], "estimated");
  // The users who hold item 50 in the training data.
  std::set<std::string> holders;
  std::ifstream in(data / "u.data");
  std::string user, item, rest;
  while (in >> user >> item && std::getline(in, rest))
    if (item == "50") holders.insert(user);
  ASSERT_GT(holders.size(), 100u);
  size_t reached = 0;
  for (const std::string& u : holders) {
    const json r = Json(c.Get("/v1/users/" + u + "/recommendations?k=20&explain=true"));
    ASSERT_TRUE(r.contains("items")) << r.dump();
    for (const auto& it : r["items"]) {
      if (it["item"]["id"] != "twin-of-50") {
        EXPECT_EQ(it["added"], false);
        continue;
      }
      ++reached;
      EXPECT_EQ(it["added"], true);
      EXPECT_GT(it["z_fresh"].get<double>(), 0.0);
      ASSERT_TRUE(it["explanation"].contains("fresh")) << it.dump();
      EXPECT_FALSE(it["explanation"]["fresh"].empty());
      EXPECT_GT(r["signals"]["fresh"].get<double>(), 0.0);
    }
  }
  const double share = static_cast<double>(reached) / static_cast<double>(holders.size());
  std::printf("content twin of item 50 in the top 20 of %zu of %zu holders (%.1f%%)\n", reached, holders.size(),
              100.0 * share);
  EXPECT_GE(share, 0.5);
  fs::remove_all(dir);
}
