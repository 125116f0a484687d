// The EventStore contract, run on every backend: SQLite (a file in a temporary directory) and
// PostgreSQL (a fresh database on the server the test run started; see pg_test_util.h).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <thread>

#include "store/event_store.h"
#include "store/pg_test_util.h"

namespace hybridrec::store {
namespace {
namespace fs = std::filesystem;

std::vector<StoredEvent> ReadEvents(const EventStore& s, int64_t after = 0) {
  std::vector<StoredEvent> out;
  const Status st = s.ForEachEvent(after, [&](StoredEvent&& e) { out.push_back(std::move(e)); });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

std::vector<StoredItem> ReadItems(const EventStore& s) {
  std::vector<StoredItem> out;
  const Status st = s.ForEachItem(0, [&](StoredItem&& i) { out.push_back(std::move(i)); });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

class EventStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      const auto url = testing::TestPostgresUrl();
      if (!url) GTEST_SKIP() << "no test PostgreSQL server (run through ctest, which starts one)";
      pg_ = std::make_unique<testing::ScratchDatabase>(*url);
      location_ = pg_->url();
    } else {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      for (char& c : name)
        if (c == '/') c = '_';
      dir_ = fs::temp_directory_path() / ("hr_contract_" + std::to_string(::getpid()) + "_" + name);
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      location_ = "sqlite:" + (dir_ / "events.sqlite").string();
    }
  }
  void TearDown() override {
    pg_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::unique_ptr<EventStore> Open(StoreOptions options = {}) {
    auto s = OpenEventStore(location_, options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  bool postgres() const { return GetParam() == "postgresql"; }

  std::string location_;
  fs::path dir_;
  std::unique_ptr<testing::ScratchDatabase> pg_;
};

TEST_P(EventStoreContract, StoresEventsAndItemsDurablyInOrder) {
  std::string id;
  {
    auto s = Open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    EXPECT_EQ(s->store_id().size(), 32u);
    id = s->store_id();
    EXPECT_EQ(*s->LastEventSeq(), 0);
    std::vector<StoredEvent> batch = {{"u1", "50", 4.f, 100}, {"u2", "7", 1.5f, 200}};
    ASSERT_TRUE(s->AppendEvents(batch).ok());
    ASSERT_TRUE(s->AppendEvents(std::vector<StoredEvent>{{"u1", "9", 0.25f, 300}}).ok());
    ASSERT_TRUE(s->AppendEvents({}).ok());
    ASSERT_TRUE(s->AddItem({"new-1", "Title", {"Drama", "War"}, {"tag"}, "text", 5}).ok());
    const Status dup = s->AddItem({"new-1", "Again", {}, {}, "", 6});
    EXPECT_EQ(dup.code(), Status::Code::kInvalidArgument);
    EXPECT_NE(dup.message().find("new-1"), std::string::npos);
    ASSERT_TRUE(s->AddItem({"new-2", "Second", {}, {}, "", 7}).ok());
    EXPECT_EQ(s->num_events(), 3);
    EXPECT_EQ(s->num_items(), 2);
  }
  auto s = Open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->store_id(), id) << "the store id is created once, with the database";
  EXPECT_EQ(s->num_events(), 3);
  EXPECT_EQ(s->num_items(), 2);
  const auto events = ReadEvents(*s);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].user, "u1");
  EXPECT_EQ(events[0].item, "50");
  EXPECT_FLOAT_EQ(events[0].strength, 4.f);
  EXPECT_EQ(events[1].timestamp, 200);
  EXPECT_FLOAT_EQ(events[1].strength, 1.5f);
  EXPECT_FLOAT_EQ(events[2].strength, 0.25f);
  EXPECT_LT(events[0].seq, events[1].seq);
  EXPECT_LT(events[1].seq, events[2].seq);
  EXPECT_EQ(*s->LastEventSeq(), events[2].seq);
  // Only the events after a seq.
  const auto later = ReadEvents(*s, events[0].seq);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].seq, events[1].seq);
  EXPECT_TRUE(ReadEvents(*s, events[2].seq).empty());
  const auto items = ReadItems(*s);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].id, "new-1");
  EXPECT_EQ(items[0].title, "Title");
  EXPECT_EQ(items[0].genres, (std::vector<std::string>{"Drama", "War"}));
  EXPECT_EQ(items[0].tags, (std::vector<std::string>{"tag"}));
  EXPECT_EQ(items[0].description, "text");
  EXPECT_EQ(items[0].created, 5);
  EXPECT_EQ(items[1].id, "new-2");
}

TEST_P(EventStoreContract, HostileTextRoundTrips) {
  auto s = Open();
  ASSERT_TRUE(s);
  const std::vector<std::string> ids = {"quote'd",
                                        "dq\"x",
                                        "back\\slash",
                                        "comma,{brace}",
                                        "emoji \xF0\x9F\x8E\xAC",
                                        "$1",
                                        "); DROP TABLE events; --",
                                        std::string(2000, 'x'),
                                        ""};
  std::vector<StoredEvent> batch;
  for (const auto& id : ids) batch.push_back({id, id, 1.f, -5});
  ASSERT_TRUE(s->AppendEvents(batch).ok());
  ASSERT_TRUE(s->AddItem({"'; --", "t\"\\", {"[\"]"}, {"a,b"}, "\n\t", -1}).ok());
  const auto events = ReadEvents(*s);
  ASSERT_EQ(events.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(events[i].user, ids[i]);
    EXPECT_EQ(events[i].item, ids[i]);
    EXPECT_EQ(events[i].timestamp, -5);
  }
  const auto items = ReadItems(*s);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].id, "'; --");
  EXPECT_EQ(items[0].title, "t\"\\");
  EXPECT_EQ(items[0].genres, (std::vector<std::string>{"[\"]"}));
  EXPECT_EQ(items[0].description, "\n\t");
}

TEST_P(EventStoreContract, LargeBatchIsOneTransaction) {
  auto s = Open();
  ASSERT_TRUE(s);
  std::vector<StoredEvent> batch;
  for (int i = 0; i < 2500; ++i) batch.push_back({"u" + std::to_string(i % 37), std::to_string(i), 1.f, i});
  ASSERT_TRUE(s->AppendEvents(batch).ok());
  const auto events = ReadEvents(*s);
  ASSERT_EQ(events.size(), 2500u);
  for (int i = 0; i < 2500; ++i) EXPECT_EQ(events[static_cast<size_t>(i)].timestamp, i);
  // A batch the store rejects stores nothing (PostgreSQL cannot hold NUL bytes in text; SQLite can).
  if (postgres()) {
    std::vector<StoredEvent> bad = {{"ok", "ok", 1.f, 0}, {std::string("a\0b", 3), "x", 1.f, 0}};
    const Status st = s->AppendEvents(bad);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(ReadEvents(*s).size(), 2500u);
  }
}

TEST_P(EventStoreContract, ConcurrentWritersGetDistinctIncreasingSeqs) {
  auto a = Open();
  auto b = Open();  // a second connection / handle, as a second replica would hold
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->store_id(), b->store_id());
  constexpr int kThreads = 4, kBatches = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      EventStore& s = t % 2 ? *a : *b;
      for (int k = 0; k < kBatches; ++k) {
        std::vector<StoredEvent> batch = {{"t" + std::to_string(t), std::to_string(k), 1.f, k},
                                          {"t" + std::to_string(t), std::to_string(k) + "b", 1.f, k}};
        ASSERT_TRUE(s.AppendEvents(batch).ok());
      }
    });
  for (auto& t : threads) t.join();
  const auto events = ReadEvents(*a);
  ASSERT_EQ(events.size(), size_t{2 * kThreads * kBatches});
  std::set<int64_t> seqs;
  for (size_t i = 0; i < events.size(); ++i) {
    seqs.insert(events[i].seq);
    if (i) {
      EXPECT_LT(events[i - 1].seq, events[i].seq);
    }
  }
  EXPECT_EQ(seqs.size(), events.size());
  // Each batch's two events are adjacent (a batch is one transaction).
  for (size_t i = 0; i + 1 < events.size(); i += 2) {
    EXPECT_EQ(events[i].user, events[i + 1].user);
    EXPECT_EQ(events[i].item + "b", events[i + 1].item);
  }
  EXPECT_EQ(*b->LastEventSeq(), events.back().seq);
}

TEST_P(EventStoreContract, MigratesFromEveryEarlierVersion) {
  for (int from = 0; from < kSchemaVersion; ++from) {
    SCOPED_TRACE("from schema version " + std::to_string(from));
    TearDown();
    SetUp();
    {
      StoreOptions old;
      old.schema_version = from;
      if (from == 0) {
        // An empty database: nothing created yet.
        auto s = OpenEventStore(location_, old);
        ASSERT_TRUE(s.ok()) << s.status().ToString();
        EXPECT_EQ((*s)->schema_version(), 0);
        continue;
      }
      auto s = Open(old);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->schema_version(), from);
      if (from < 2) EXPECT_TRUE(s->store_id().empty());
      EXPECT_EQ(s->AppendExposures(std::vector<StoredExposure>{{"r", "u", "e", "A", {}, 1}}).code(),
                Status::Code::kUnsupported);
      ASSERT_TRUE(s->AppendEvents(std::vector<StoredEvent>{{"u", "i", 2.f, 9}}).ok());
      ASSERT_TRUE(s->AddItem({"n", "T", {}, {}, "", 1}).ok());
    }
    auto s = Open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    EXPECT_EQ(s->store_id().size(), 32u);
    if (from >= 1) {
      const auto events = ReadEvents(*s);
      ASSERT_EQ(events.size(), 1u);
      EXPECT_EQ(events[0].user, "u");
      EXPECT_FLOAT_EQ(events[0].strength, 2.f);
      EXPECT_EQ(events[0].request_id, "") << "events stored before version 3 have no request id";
      EXPECT_EQ(ReadItems(*s).size(), 1u);
    }
    // The upgraded store takes exposures and request ids.
    StoredEvent e{"u", "i", 1.f, 10};
    e.request_id = "r-1";
    ASSERT_TRUE(s->AppendEvents(std::vector<StoredEvent>{e}).ok());
    EXPECT_EQ(ReadEvents(*s).back().request_id, "r-1");
    ASSERT_TRUE(s->AppendExposures(std::vector<StoredExposure>{{"r-1", "u", "exp", "A", {"i"}, 10}}).ok());
    int n = 0;
    ASSERT_TRUE(s->ForEachExposure(0, [&](StoredExposure&&) { ++n; }).ok());
    EXPECT_EQ(n, 1);
  }
}

TEST_P(EventStoreContract, StoresExposuresAndEventRequestIds) {
  {
    auto s = Open();
    ASSERT_TRUE(s);
    std::vector<StoredExposure> batch = {
        {"req-1", "u1", "exp", "A", {"50", "7", "'; --"}, 100},
        {"req-2", "u2", "exp", "B", {}, 101},
        {"req-3", "u\"x", "other", "control", {std::string(300, 'z'), "emoji \xF0\x9F\x8E\xAC"}, 102}};
    ASSERT_TRUE(s->AppendExposures(batch).ok());
    ASSERT_TRUE(s->AppendExposures({}).ok());
    StoredEvent click{"u1", "7", 1.f, 105};
    click.request_id = "req-1";
    ASSERT_TRUE(s->AppendEvents(std::vector<StoredEvent>{click, {"u2", "8", 1.f, 106}}).ok());
    // Many exposures in one batch (more rows than one PostgreSQL INSERT carries).
    std::vector<StoredExposure> many;
    for (int i = 0; i < 1200; ++i) many.push_back({"m" + std::to_string(i), "u", "big", "A", {"1", "2"}, i});
    ASSERT_TRUE(s->AppendExposures(many).ok());
  }
  auto s = Open();  // durable across a reopen
  ASSERT_TRUE(s);
  std::vector<StoredExposure> got;
  ASSERT_TRUE(s->ForEachExposure(0, [&](StoredExposure&& x) { got.push_back(std::move(x)); }).ok());
  ASSERT_EQ(got.size(), 1203u);
  EXPECT_EQ(got[0].request_id, "req-1");
  EXPECT_EQ(got[0].user, "u1");
  EXPECT_EQ(got[0].experiment, "exp");
  EXPECT_EQ(got[0].arm, "A");
  EXPECT_EQ(got[0].items, (std::vector<std::string>{"50", "7", "'; --"}));
  EXPECT_EQ(got[0].timestamp, 100);
  EXPECT_TRUE(got[1].items.empty());
  EXPECT_EQ(got[2].user, "u\"x");
  EXPECT_EQ(got[2].items[0], std::string(300, 'z'));
  EXPECT_EQ(got[2].items[1], "emoji \xF0\x9F\x8E\xAC");
  for (size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].seq, got[i].seq);
  EXPECT_EQ(got.back().request_id, "m1199");
  std::vector<StoredExposure> later;
  ASSERT_TRUE(s->ForEachExposure(got[1].seq, [&](StoredExposure&& x) { later.push_back(std::move(x)); }).ok());
  EXPECT_EQ(later.size(), 1201u);
  const auto events = ReadEvents(*s);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].request_id, "req-1");
  EXPECT_EQ(events[1].request_id, "");
  if (postgres()) {
    std::vector<StoredExposure> bad = {{"ok", "u", "e", "A", {}, 1}, {"x", "u", "e", "A", {std::string("a\0b", 3)}, 1}};
    EXPECT_EQ(s->AppendExposures(bad).code(), Status::Code::kInvalidArgument);
  }
}

TEST_P(EventStoreContract, RefusesASchemaNewerThanItKnows) {
  { ASSERT_TRUE(Open()); }
  if (postgres()) {
    testing::PgExec(pg_->url(), "UPDATE store_meta SET value = '99' WHERE key = 'schema_version'");
  } else {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "events.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = OpenEventStore(location_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(s.status().message().find("schema version 99"), std::string::npos) << s.status().message();
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreContract, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// A database written before the schema was versioned (tables, user_version 0) is version 1.
TEST(SqliteEventStoreMigration, UnversionedDatabaseIsVersionOne) {
  const fs::path path = fs::temp_directory_path() / ("hr_unversioned_" + std::to_string(::getpid()) + ".sqlite");
  fs::remove(path);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, user TEXT NOT NULL, item TEXT NOT NULL,"
        " strength REAL NOT NULL, timestamp INTEGER NOT NULL);"
        "CREATE TABLE items(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
        " genres TEXT NOT NULL, tags TEXT NOT NULL, description TEXT NOT NULL, created INTEGER NOT NULL);"
        "INSERT INTO events(user, item, strength, timestamp) VALUES('u', '1', 1.0, 10);";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = OpenSqliteEventStore(path.string());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->schema_version(), kSchemaVersion);
  EXPECT_EQ((*s)->num_events(), 1);
  EXPECT_EQ(ReadEvents(**s).size(), 1u);
  s->reset();
  fs::remove(path);
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
}

TEST(OpenEventStore, NamesWhatItCannotOpen) {
  auto unknown = OpenEventStore("mysql://u:secret@host/db");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(unknown.status().message().find("secret"), std::string::npos);
  EXPECT_FALSE(OpenEventStore("sqlite:").ok());
  EXPECT_FALSE(OpenEventStore("").ok());
  auto mem = OpenEventStore(":memory:");
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ((*mem)->description(), "sqlite::memory:");
}

TEST(RedactUrl, HidesPasswords) {
  EXPECT_EQ(RedactUrl("postgresql://bob:hunter2@db:5432/x"), "postgresql://bob:***@db:5432/x");
  EXPECT_EQ(RedactUrl("postgresql://bob@db/x?password=hunter2&sslmode=require"),
            "postgresql://bob@db/x?password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://db/x"), "postgresql://db/x");
  EXPECT_EQ(RedactUrl("host=db password=hunter2 user=bob"), "host=db password=*** user=bob");
  EXPECT_EQ(RedactUrl("postgresql://db/x?opt=a@b:c"), "postgresql://db/x?opt=a@b:c");
}

// PostgreSQL only: connections that break, and a database that goes away and comes back.
class PostgresEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto url = testing::TestPostgresUrl();
    if (!url) GTEST_SKIP() << "no test PostgreSQL server (run through ctest, which starts one)";
    pg_ = std::make_unique<testing::ScratchDatabase>(*url);
  }
  std::unique_ptr<testing::ScratchDatabase> pg_;
};

TEST_F(PostgresEventStoreTest, ReconnectsAfterItsConnectionIsClosed) {
  auto s = OpenPostgresEventStore(pg_->url());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->AppendEvents(std::vector<StoredEvent>{{"u", "1", 1.f, 1}}).ok());
  pg_->TerminateConnections();  // as a server restart or a failover would
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const Status st = (*s)->AppendEvents(std::vector<StoredEvent>{{"u", "2", 1.f, 2}});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ReadEvents(**s).size(), 2u);
}

TEST_F(PostgresEventStoreTest, UnreachableDatabaseIsUnavailableThenRecovers) {
  auto s = OpenPostgresEventStore(pg_->url());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  pg_->AllowConnections(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const Status down = (*s)->AppendEvents(std::vector<StoredEvent>{{"u", "1", 1.f, 1}});
  EXPECT_EQ(down.code(), Status::Code::kUnavailable) << down.ToString();
  EXPECT_EQ((*s)->AddItem({"n", "T", {}, {}, "", 1}).code(), Status::Code::kUnavailable);
  EXPECT_FALSE((*s)->LastEventSeq().ok());
  pg_->AllowConnections(true);
  const Status up = (*s)->AppendEvents(std::vector<StoredEvent>{{"u", "1", 1.f, 1}});
  EXPECT_TRUE(up.ok()) << up.ToString();
  EXPECT_EQ(ReadEvents(**s).size(), 1u);
}

TEST(PostgresEventStore, NoServerIsUnavailableWithoutThePassword) {
  // Port 1 on loopback: nothing listens there.
  StoreOptions o;
  o.connect_timeout_s = 2;
  auto s = OpenPostgresEventStore("postgresql://bob:hunter2@127.0.0.1:1/x", o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(s.status().message().find("hunter2"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("127.0.0.1"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace hybridrec::store
