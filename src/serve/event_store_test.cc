#include "serve/event_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace hybridrec::serve {
namespace {
namespace fs = std::filesystem;

class ServeEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hr_store_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ServeEventStoreTest, PersistsAcrossReopen) {
  const fs::path db = dir_ / "e.sqlite";
  {
    auto s = OpenSqliteEventStore(db);
    ASSERT_TRUE(s.ok()) << s.status().message();
    std::vector<StoredEvent> batch = {{"u1", "50", 4.f, 100}, {"u2", "7", 1.f, 200}};
    ASSERT_TRUE((*s)->AppendEvents(batch).ok());
    ASSERT_TRUE((*s)->AddItem({"new-1", "Title", {"Drama", "War"}, {"tag"}, "", 5}).ok());
    const Status dup = (*s)->AddItem({"new-1", "Again", {}, {}, "", 6});
    EXPECT_EQ(dup.code(), Status::Code::kInvalidArgument);
    EXPECT_EQ((*s)->num_events(), 2);
    EXPECT_EQ((*s)->num_items(), 1);
  }
  auto s = OpenSqliteEventStore(db);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->num_events(), 2);
  std::vector<StoredEvent> events;
  ASSERT_TRUE((*s)->ForEachEvent([&](StoredEvent&& e) { events.push_back(std::move(e)); }).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].user, "u1");
  EXPECT_EQ(events[0].item, "50");
  EXPECT_FLOAT_EQ(events[0].strength, 4.f);
  EXPECT_EQ(events[1].timestamp, 200);
  std::vector<StoredItem> items;
  ASSERT_TRUE((*s)->ForEachItem([&](StoredItem&& i) { items.push_back(std::move(i)); }).ok());
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].title, "Title");
  EXPECT_EQ(items[0].genres, (std::vector<std::string>{"Drama", "War"}));
}

TEST_F(ServeEventStoreTest, MemoryStoreAndBadPath) {
  auto m = OpenSqliteEventStore(":memory:");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->AppendEvents(std::vector<StoredEvent>{{"u", "i", 1.f, 0}}).ok());
  EXPECT_EQ((*m)->num_events(), 1);
  auto bad = OpenSqliteEventStore(dir_ / "no" / "such" / "dir" / "e.sqlite");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("e.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec::serve
