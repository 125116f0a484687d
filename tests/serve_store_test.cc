// The service on each event store (SQLite file, PostgreSQL database), end to end:
//  - the retraining loop: events and items posted to the service, `train --events` on its
//    store, and a restart that replays only the events the new model does not include;
//  - PostgreSQL going away: writes answer 503, reads keep serving, writes work again once
//    the database is back, without a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "serve_test_util.h"
#include "store/pg_test_util.h"

namespace {
using namespace serve_test;
using nlohmann::json;
namespace st = hybridrec::store::testing;

bool HasLine(const std::string& log, const std::string& text) { return log.find(text) != std::string::npos; }

class ServeStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = TempDir(name);
    if (GetParam() == "postgresql") {
      const auto url = st::TestPostgresUrl();
      if (!url) GTEST_SKIP() << "no test PostgreSQL server (run through ctest, which starts one)";
      pg_ = std::make_unique<st::ScratchDatabase>(*url);
      db_ = pg_->url();
    } else {
      db_ = (dir_ / "events.sqlite").string();
    }
    ASSERT_TRUE(TrainSmallModel(dir_ / "model"));
  }
  void TearDown() override {
    pg_.reset();
    fs::remove_all(dir_);
  }
  std::vector<std::string> ServeArgs() const { return {"--model", (dir_ / "model").string(), "--db", db_}; }

  fs::path dir_;
  std::string db_;
  std::unique_ptr<st::ScratchDatabase> pg_;
};

TEST_P(ServeStoreTest, RetrainOnStoredEventsThenReplayOnlyLaterOnes) {
  {
    ServerProcess s;
    ASSERT_TRUE(s.Start(ServeArgs())) << s.log();
    auto c = s.Client();
    auto r = PostJson(c, "/v1/events",
                      R"({"events": [{"user": "loop-u", "item": "1", "strength": 5, "timestamp": 1700000000},
                                     {"user": "loop-u", "item": "2", "timestamp": 1700000100},
                                     {"user": "1", "item": "6"}]})");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no reply");
    r = PostJson(c, "/v1/items", R"({"id": "loop-item", "title": "A Toy Story", "genres": ["Animation"]})");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no reply");
    r = PostJson(c, "/v1/events", R"({"user": "loop-u", "item": "loop-item", "strength": 2})");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no reply");
    EXPECT_EQ(Json(c.Get("/v1/users/loop-u"))["events_since_training"], 3);
    s.Kill(SIGTERM);
  }
  // Retrain on the data files plus the store.
  std::string out;
  ASSERT_EQ(RunCli("train --encoder lsa --factors 4 --iterations 3 --data " + Fixture("ml-100k-mini") + " --events " +
                       db_ + " --out " + (dir_ / "model").string(),
                   &out),
            0)
      << out;
  EXPECT_TRUE(HasLine(out, "4 events up to #")) << out;
  EXPECT_TRUE(HasLine(out, "(1 new users), 1 added items")) << out;
  const json manifest = json::parse(std::ifstream(dir_ / "model" / "manifest.json"), nullptr, false);
  ASSERT_TRUE(manifest.contains("events")) << manifest.dump();
  EXPECT_EQ(manifest["events"]["events"], 4);
  const int64_t last_seq = manifest["events"]["last_seq"].get<int64_t>();
  EXPECT_GT(last_seq, 0);
  EXPECT_EQ(manifest["events"]["store_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(manifest["events"]["store"].get<std::string>().find("password"), std::string::npos);
  {
    ServerProcess s;
    ASSERT_TRUE(s.Start(ServeArgs())) << s.log();
    EXPECT_TRUE(HasLine(
        s.log(), "0 items and 0 events replayed (events up to #" + std::to_string(last_seq) + " are in the model)"))
        << s.log();
    auto c = s.Client();
    const json u = Json(c.Get("/v1/users/loop-u"));
    EXPECT_EQ(u["in_training"], true) << u.dump();
    EXPECT_EQ(u["events_since_training"], 0) << u.dump();
    const json item = Json(c.Get("/v1/items/loop-item"));
    EXPECT_EQ(item["source"], "catalogue") << item.dump();
    EXPECT_EQ(item["factor"], "trained") << item.dump();
    // A later event is the only one replayed at the next start.
    auto r = PostJson(c, "/v1/events", R"({"user": "loop-u", "item": "3"})");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no reply");
    s.Kill(SIGTERM);
  }
  ServerProcess s;
  ASSERT_TRUE(s.Start(ServeArgs())) << s.log();
  EXPECT_TRUE(HasLine(s.log(), "0 items and 1 events replayed (events up to #" + std::to_string(last_seq))) << s.log();
  EXPECT_EQ(Json(s.Client().Get("/v1/users/loop-u"))["events_since_training"], 1);
  s.Kill(SIGTERM);
}

TEST_P(ServeStoreTest, AModelTrainedOnAnotherStoreReplaysEverything) {
  const std::string other = "sqlite:" + (dir_ / "other.sqlite").string();
  {
    ServerProcess s;
    ASSERT_TRUE(s.Start({"--model", (dir_ / "model").string(), "--db", other})) << s.log();
    auto c = s.Client();
    ASSERT_EQ(PostJson(c, "/v1/events", R"({"user": "x", "item": "1"})")->status, 200);
    s.Kill(SIGTERM);
  }
  ASSERT_EQ(RunCli("train --quiet --encoder lsa --factors 4 --iterations 3 --data " + Fixture("ml-100k-mini") +
                   " --events " + other + " --out " + (dir_ / "model").string()),
            0);
  ServerProcess s;
  ASSERT_TRUE(s.Start(ServeArgs())) << s.log();
  auto c = s.Client();
  ASSERT_EQ(PostJson(c, "/v1/events", R"({"user": "y", "item": "2"})")->status, 200);
  s.Kill(SIGTERM);
  ServerProcess again;
  ASSERT_TRUE(again.Start(ServeArgs())) << again.log();
  EXPECT_TRUE(HasLine(again.log(), "1 events replayed (the model was trained on another store's events)"))
      << again.log();
  again.Kill(SIGTERM);
}

INSTANTIATE_TEST_SUITE_P(Stores, ServeStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(ServePostgresTest, DatabaseDownMeansWritesAnswer503AndReadsKeepServing) {
  const auto url = st::TestPostgresUrl();
  if (!url) GTEST_SKIP() << "no test PostgreSQL server (run through ctest, which starts one)";
  st::ScratchDatabase pg(*url);
  const fs::path dir = TempDir("pg_down");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  ServerProcess s;
  ASSERT_TRUE(s.Start({"--model", (dir / "model").string(), "--db", pg.url()})) << s.log();
  auto c = s.Client();
  ASSERT_EQ(PostJson(c, "/v1/events", R"({"user": "pg-u", "item": "1"})")->status, 200);

  pg.AllowConnections(false);
  auto down = PostJson(c, "/v1/events", R"({"user": "pg-u", "item": "2"})");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503) << down->body;
  EXPECT_EQ(Json(down)["error"]["code"], "unavailable") << down->body;
  auto item = PostJson(c, "/v1/items", R"({"id": "pg-item", "title": "Down"})");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->status, 503) << item->body;
  // Reads are served from memory.
  auto rec = c.Get("/v1/users/pg-u/recommendations?k=3");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, 200);
  EXPECT_EQ(Json(c.Get("/v1/users/pg-u"))["events_since_training"], 1);

  pg.AllowConnections(true);
  auto up = PostJson(c, "/v1/events", R"({"user": "pg-u", "item": "2"})");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 200) << up->body;
  EXPECT_EQ(Json(c.Get("/v1/users/pg-u"))["events_since_training"], 2);
  s.Kill(SIGTERM);
  fs::remove_all(dir);
}

// Polls `get` until `done(json)` or `timeout`; returns the seconds it took (or -1).
template <typename Get, typename Done>
double WaitFor(Get get, Done done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < timeout) {
    if (done(get())) return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return -1;
}

TEST(ServePostgresTest, ReplicasApplyEachOthersEventsAndItems) {
  const auto url = st::TestPostgresUrl();
  if (!url) GTEST_SKIP() << "no test PostgreSQL server (run through ctest, which starts one)";
  st::ScratchDatabase pg(*url);
  const fs::path dir = TempDir("pg_replicas");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  const std::vector<std::string> args = {"--model", (dir / "model").string(), "--db", pg.url()};
  ServerProcess a, b;
  ASSERT_TRUE(a.Start(args)) << a.log();
  ASSERT_TRUE(b.Start(args)) << b.log();
  EXPECT_TRUE(HasLine(b.log(), "(LISTEN/NOTIFY)")) << b.log();
  auto ca = a.Client();
  auto cb = b.Client();
  auto count = [](const json& u) { return u.is_object() ? u.value("events_since_training", -1) : -1; };

  // An event acknowledged by A shows on B.
  ASSERT_EQ(PostJson(ca, "/v1/events", R"({"user": "rep-a", "item": "1"})")->status, 200);
  EXPECT_GE(WaitFor([&] { return Json(cb.Get("/v1/users/rep-a")); }, [&](const json& u) { return count(u) == 1; }), 0)
      << b.log();
  // An item added on A is served by B, and B takes events about it.
  auto r = PostJson(ca, "/v1/items", R"({"id": "rep-item", "title": "Replicated", "genres": ["Drama"]})");
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no reply");
  EXPECT_GE(WaitFor([&] { return Json(cb.Get("/v1/items/rep-item")); },
                    [](const json& i) { return i.is_object() && i.value("id", "") == "rep-item"; }),
            0)
      << b.log();
  ASSERT_EQ(PostJson(cb, "/v1/events", R"({"user": "rep-b", "item": "rep-item"})")->status, 200);
  EXPECT_GE(WaitFor([&] { return Json(ca.Get("/v1/users/rep-b")); }, [&](const json& u) { return count(u) == 1; }), 0)
      << a.log();
  // Each replica applied its own writes once (not again when it read them back).
  EXPECT_EQ(count(Json(ca.Get("/v1/users/rep-a"))), 1);
  EXPECT_EQ(count(Json(cb.Get("/v1/users/rep-b"))), 1);
  // A batch of events from several users on B, all on A.
  ASSERT_EQ(PostJson(cb, "/v1/events",
                     R"({"events": [{"user": "rep-a", "item": "2"}, {"user": "rep-c", "item": "3"},
                                    {"user": "rep-c", "item": "4"}]})")
                ->status,
            200);
  EXPECT_GE(WaitFor([&] { return Json(ca.Get("/v1/users/rep-c")); }, [&](const json& u) { return count(u) == 2; }), 0);
  EXPECT_EQ(count(Json(ca.Get("/v1/users/rep-a"))), 2);
  // A replica that was down catches up at start.
  b.Kill(SIGKILL);
  ASSERT_EQ(PostJson(ca, "/v1/events", R"({"user": "rep-d", "item": "5"})")->status, 200);
  ServerProcess b2;
  ASSERT_TRUE(b2.Start(args)) << b2.log();
  auto cb2 = b2.Client();
  EXPECT_EQ(count(Json(cb2.Get("/v1/users/rep-d"))), 1);
  EXPECT_EQ(count(Json(cb2.Get("/v1/users/rep-a"))), 2);
  EXPECT_EQ(Json(cb2.Get("/v1/items/rep-item")).value("id", ""), "rep-item");
  a.Kill(SIGTERM);
  b2.Kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
