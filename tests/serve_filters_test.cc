// The recommendation endpoints' filters, new-item boost and re-ranking as a client sees them:
// include_/exclude_ attributes, exclude_items, added_since, new_boost, diversity, calibration,
// on GET and POST, their echo in the response, and the 400s for bad values.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "serve_test_util.h"

namespace {
using namespace serve_test;
using nlohmann::json;

// The fixture (tests/fixtures/data/ml-100k-mini): items 1 Toy Story (Animation, Children's,
// Comedy), 2 GoldenEye (Action, Adventure, Thriller), 3 Les Miserables (Drama, War), 4 Heat
// (Action, Crime, Thriller), 5 Babe (Children's, Comedy, Drama), 6 Alien (1979; Action, Horror,
// Sci-Fi, Thriller). User 1 has seen 1, 3 and 5.
class ServeFiltersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(TempDir("filters"));
    std::string log;
    ASSERT_TRUE(TrainSmallModel(*dir_ / "model", 0, &log)) << log;
    server_ = new ServerProcess();
    ASSERT_TRUE(server_->Start(
        {"--model", (*dir_ / "model").string(), "--db", (*dir_ / "events.sqlite").string(), "--threads", "4"}))
        << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  static json Get(const std::string& path) { return Json(server_->Client().Get(path.c_str())); }
  static std::set<std::string> Ids(const json& r) {
    std::set<std::string> ids;
    for (const auto& it : r["items"]) ids.insert(it["item"]["id"].get<std::string>());
    return ids;
  }
  static bool HasGenre(const json& item, const std::string& genre) {
    for (const auto& g : item["item"]["genres"])
      if (g == genre) return true;
    return false;
  }
  // A 400 whose message names `needle`.
  static void ExpectBad(const httplib::Result& r, const std::string& needle) {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, 400) << r->body;
    const json j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_EQ(j["error"]["code"], "bad_request") << r->body;
    EXPECT_NE(j["error"]["message"].get<std::string>().find(needle), std::string::npos) << r->body;
  }
  static fs::path* dir_;
  static ServerProcess* server_;
};
fs::path* ServeFiltersTest::dir_ = nullptr;
ServerProcess* ServeFiltersTest::server_ = nullptr;

TEST_F(ServeFiltersTest, NoRulesAndZeroLambdaKeepTheResponse) {
  const json plain = Get("/v1/users/2/recommendations?k=3");
  EXPECT_FALSE(plain.contains("filters"));
  EXPECT_FALSE(plain.contains("rerank"));
  const json zero = Get("/v1/users/2/recommendations?k=3&diversity=0&calibration=0");
  EXPECT_EQ(zero["items"], plain["items"]);
  EXPECT_FALSE(zero.contains("rerank"));
}

TEST_F(ServeFiltersTest, IncludeGenreFillsKWhenItCanAndSaysWhenShort) {
  json r = Get("/v1/users/1/recommendations?k=2&include_genre=action");
  ASSERT_EQ(r["items"].size(), 2u) << r.dump();
  for (const auto& it : r["items"]) EXPECT_TRUE(HasGenre(it, "Action")) << it.dump();
  EXPECT_EQ(r["filters"]["eligible"], 3);
  EXPECT_EQ(r["filters"]["short"], false);
  EXPECT_EQ(r["filters"]["include"]["genre"], json::array({"action"}));
  r = Get("/v1/users/1/recommendations?k=10&include_genre=Action");
  EXPECT_EQ(Ids(r), (std::set<std::string>{"2", "4", "6"}));
  EXPECT_EQ(r["filters"]["eligible"], 3);
  EXPECT_EQ(r["filters"]["short"], true);
  // Two values: either; two attributes: both.
  r = Get("/v1/users/nobody/recommendations?k=10&include_genre=Horror,War");
  EXPECT_EQ(Ids(r), (std::set<std::string>{"3", "6"}));
  EXPECT_EQ(r["path"], "popularity");
  r = Get("/v1/users/nobody/recommendations?k=10&include_genre=Action&exclude_genre=Crime,Horror");
  EXPECT_EQ(Ids(r), (std::set<std::string>{"2"}));
}

TEST_F(ServeFiltersTest, ExcludedItemsAndDatesNeverAppear) {
  json r = Get("/v1/users/2/recommendations?k=10&exclude_items=1,5");
  EXPECT_EQ(Ids(r), (std::set<std::string>{"3"}));  // 2, 4, 6 seen; 1, 5 excluded
  EXPECT_EQ(r["filters"]["exclude_items"], 2);
  EXPECT_EQ(r["filters"]["eligible"], 1);
  // Trained items are dated by the year in their title: Alien (1979) is the only one before 1990.
  r = Get("/v1/users/nobody/recommendations?k=10&added_since=1990-01-01");
  EXPECT_EQ(Ids(r), (std::set<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(r["filters"]["added_since"], 631152000);
  r = Get("/v1/users/nobody/recommendations?k=10&added_since=1995-01-01T00:00:01Z");
  EXPECT_TRUE(r["items"].empty());
  EXPECT_EQ(r["filters"]["eligible"], 0);
  EXPECT_EQ(r["filters"]["short"], true);
  // POST: the same filters in the body.
  auto c = server_->Client();
  const json p =
      Json(PostJson(c, "/v1/recommendations",
                    R"({"items": ["1"], "k": 10, "exclude": {"genre": ["Thriller"]}, "exclude_items": [3]})"));
  EXPECT_EQ(Ids(p), (std::set<std::string>{"5"}));
  EXPECT_EQ(p["filters"]["exclude"]["genre"], json::array({"Thriller"}));
}

TEST_F(ServeFiltersTest, RerankingIsDeterministicAndReported) {
  const std::string path = "/v1/users/1/recommendations?k=3&exclude_seen=false&diversity=0.5&calibration=0.5";
  const json a = Get(path), b = Get(path);
  EXPECT_EQ(a["items"], b["items"]);
  ASSERT_EQ(a["items"].size(), 3u);
  EXPECT_EQ(a["rerank"]["diversity"], 0.5);
  EXPECT_TRUE(a["rerank"]["calibration_kl"]["before"].is_number()) << a.dump();
  EXPECT_LE(a["rerank"]["calibration_kl"]["after"].get<double>(),
            a["rerank"]["calibration_kl"]["before"].get<double>() + 1e-9);
  // Without a history there is no mix to calibrate to; diversity still applies.
  const json cold = Get("/v1/users/nobody/recommendations?k=3&diversity=1&calibration=1");
  EXPECT_EQ(cold["items"].size(), 3u);
  EXPECT_FALSE(cold["rerank"].contains("calibration_kl"));
}

TEST_F(ServeFiltersTest, NewItemBoostBringsAnAddedItemForward) {
  auto c = server_->Client();
  auto added = PostJson(c, "/v1/items", R"({"id": "brand-new", "title": "Brand New Thing", "genres": ["Western"]})");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  json r = Get("/v1/users/1/recommendations?k=1&new_boost=100&new_half_life_days=1");
  ASSERT_EQ(r["items"].size(), 1u);
  EXPECT_EQ(r["items"][0]["item"]["id"], "brand-new") << r.dump();
  EXPECT_EQ(r["new_boost"]["weight"], 100.0);
  // The added item's genre is a filter value at once, and its date is when it was added.
  r = Get("/v1/users/1/recommendations?k=5&include_genre=western");
  EXPECT_EQ(Ids(r), (std::set<std::string>{"brand-new"}));
  r = Get("/v1/users/nobody/recommendations?k=5&added_since=2020-01-01");
  EXPECT_EQ(Ids(r), (std::set<std::string>{"brand-new"}));
}

TEST_F(ServeFiltersTest, UnknownNamesValuesAndIdsAre400sNamingThem) {
  auto c = server_->Client();
  ExpectBad(c.Get("/v1/users/1/recommendations?include_genre=Westren"), "'Westren'");
  ExpectBad(c.Get("/v1/users/1/recommendations?include_genre=Westren"), "include_genre");
  ExpectBad(c.Get("/v1/users/1/recommendations?exclude_colour=red"), "unknown attribute 'colour'");
  ExpectBad(c.Get("/v1/users/1/recommendations?exclude_items=2,nope"), "'nope'");
  ExpectBad(PostJson(c, "/v1/recommendations", R"({"items": ["1"], "include": {"mood": ["happy"]}})"),
            "unknown attribute 'mood'");
  ExpectBad(PostJson(c, "/v1/recommendations", R"({"items": ["1"], "exclude": {"genre": ["Noir", "Comedy"]}})"),
            "'Noir'");
}

TEST_F(ServeFiltersTest, HostileParameters) {
  auto c = server_->Client();
  const std::pair<const char*, const char*> cases[] = {
      {"added_since=2023-02-29", "added_since"},
      {"added_since=", "added_since"},
      {"added_since=01/02/2024", "added_since"},
      {"added_since=99999999999999999999999", "added_since"},
      {"diversity=1.0001", "diversity"},
      {"diversity=-0", "ok"},
      {"diversity=NaN", "diversity"},
      {"calibration=1e400", "calibration"},
      {"calibration=", "calibration"},
      {"new_boost=-3", "new_boost"},
      {"new_half_life_days=0", "new_half_life_days"},
      {"include_genre=", "include_genre"},
      {"include_genre=,", "include_genre"},
      {"include_=Action", "include_"},
      {"exclude_items=", "exclude_items"},
      {"include_genre=Action&include_genre=Drama", "more than once"},
      {"diversity=0.1&diversity=0.2", "more than once"},
      {"include_genre=%FF", "include_genre"},
  };
  for (const auto& [q, needle] : cases) {
    const std::string path = std::string("/v1/users/1/recommendations?") + q;
    if (std::string(needle) == "ok") {
      auto r = c.Get(path.c_str());
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200) << q << " " << r->body;
      continue;
    }
    ExpectBad(c.Get(path.c_str()), needle);
  }
  // A huge id list: refused by count, the server keeps serving.
  std::string ids;
  for (int i = 0; i < 6000; ++i) ids += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  ExpectBad(PostJson(c, "/v1/recommendations", R"({"items": ["1"], "exclude_items": [)" + ids + "]}"), "at most");
  std::string many;
  for (int i = 0; i < 300; ++i) many += (i ? ",v" : "v") + std::to_string(i);
  ExpectBad(c.Get(("/v1/users/1/recommendations?include_tag=" + many).c_str()), "at most");
  EXPECT_EQ(Get("/healthz")["status"], "ok");
}

}  // namespace
