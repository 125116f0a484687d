#include <gtest/gtest.h>

#include <filesystem>

#include "store/event_store.h"

namespace hybridrec::store {
namespace {
namespace fs = std::filesystem;

class SqliteEventStoreTest : public ::testing::Test {
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

TEST_F(SqliteEventStoreTest, MemoryStoreAndBadPath) {
  auto m = OpenSqliteEventStore(":memory:");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->AppendEvents(std::vector<StoredEvent>{{"u", "i", 1.f, 0}}).ok());
  EXPECT_EQ((*m)->num_events(), 1);
  auto bad = OpenSqliteEventStore((dir_ / "no" / "such" / "dir" / "e.sqlite").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("e.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec::store
