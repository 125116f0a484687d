#include "data/dataset_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/npy.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DatasetCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) / (std::string("hr_dscache_") + info->name());
    fs::remove_all(root_);
    data_ = root_ / "data";
    fs::create_directories(data_);
    Write("items.csv",
          "item,title,genres,tags\n10,Alpha,A|B,x|y\n20,\"Beta, the \"\"second\"\"\",B,\n30,Gamma,,z\n");
    Write("interactions.csv",
          "user,item,strength,timestamp\nu1,10,1,100\nu2,20,2.5,200\nu1,20,1,300\nu1,10,2,400\nu3,30,1,50\n");
    cache_.dir = root_ / "cache";
    cache_.min_bytes = 0;
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(data_ / name, std::ios::binary) << text;
  }
  static void ExpectSame(const Dataset& a, const Dataset& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.format, b.format);
    EXPECT_EQ(a.has_timestamps, b.has_timestamps);
    EXPECT_EQ(a.users.ids(), b.users.ids());
    EXPECT_EQ(a.items.ids(), b.items.ids());
    ASSERT_EQ(a.item_info.size(), b.item_info.size());
    for (size_t i = 0; i < a.item_info.size(); ++i) {
      EXPECT_EQ(a.item_info[i].title, b.item_info[i].title);
      EXPECT_EQ(a.item_info[i].genres, b.item_info[i].genres);
      EXPECT_EQ(a.item_info[i].tags, b.item_info[i].tags);
      EXPECT_EQ(a.item_info[i].description, b.item_info[i].description);
    }
    ASSERT_EQ(a.interactions.size(), b.interactions.size());
    for (size_t i = 0; i < a.interactions.size(); ++i) {
      EXPECT_EQ(a.interactions[i].user, b.interactions[i].user);
      EXPECT_EQ(a.interactions[i].item, b.interactions[i].item);
      EXPECT_EQ(a.interactions[i].strength, b.interactions[i].strength);
      EXPECT_EQ(a.interactions[i].timestamp, b.interactions[i].timestamp);
    }
    EXPECT_EQ(a.report.rows_read, b.report.rows_read);
    EXPECT_EQ(a.report.duplicates_merged, b.report.duplicates_merged);
    EXPECT_EQ(a.users.Find("u3"), b.users.Find("u3"));
  }
  fs::path root_, data_;
  DatasetCacheOptions cache_;
};

TEST_F(DatasetCacheTest, SecondLoadReadsTheCacheAndGivesTheSameDataset) {
  auto parsed = LoadDataset(data_);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto first = LoadDatasetCached(data_, {}, cache_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->from_cache);
  EXPECT_THAT(first->note, HasSubstr("cached the parsed dataset"));
  ASSERT_TRUE(fs::exists(first->entry / "meta.json"));
  auto second = LoadDatasetCached(data_, {}, cache_);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->entry, first->entry);
  ExpectSame(*parsed, second->dataset);
  EXPECT_EQ(second->dataset.report.duplicates_merged, 1u);
}

TEST_F(DatasetCacheTest, ChangedInputOrOptionsMissTheCache) {
  ASSERT_TRUE(LoadDatasetCached(data_, {}, cache_).ok());
  LoadOptions other;
  other.skip_bad_rows = true;
  auto with_other_options = LoadDatasetCached(data_, other, cache_);
  ASSERT_TRUE(with_other_options.ok());
  EXPECT_FALSE(with_other_options->from_cache);
  Write("interactions.csv", "user,item,strength,timestamp\nu9,30,1,1\n");
  auto changed = LoadDatasetCached(data_, {}, cache_);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(changed->from_cache);
  EXPECT_EQ(changed->dataset.interactions.size(), 1u);
  EXPECT_EQ(changed->dataset.users.Id(0), "u9");
}

TEST_F(DatasetCacheTest, DamagedEntriesAreReplacedNeverTrusted) {
  auto first = LoadDatasetCached(data_, {}, cache_);
  ASSERT_TRUE(first.ok());
  const fs::path entry = first->entry;
  auto parsed = LoadDataset(data_);
  ASSERT_TRUE(parsed.ok());
  // Each kind of damage: the load parses again, says so, and rewrites a good entry.
  const std::vector<std::pair<std::string, std::string>> damage = {
      {"strings.bin", "HRSTR1\n\x05"},
      {"meta.json", "{not json"},
      {"interactions_item.npy", "garbage"},
      {"item_counts.npy", ""},
  };
  for (const auto& [file, bytes] : damage) {
    std::ofstream(entry / file, std::ios::binary | std::ios::trunc) << bytes;
    auto again = LoadDatasetCached(data_, {}, cache_);
    ASSERT_TRUE(again.ok()) << file;
    EXPECT_FALSE(again->from_cache) << file;
    EXPECT_THAT(again->note, HasSubstr("unreadable")) << file;
    ExpectSame(*parsed, again->dataset);
    auto healed = LoadDatasetCached(data_, {}, cache_);
    ASSERT_TRUE(healed.ok());
    EXPECT_TRUE(healed->from_cache) << file;
  }
  // A well-formed array whose item index is out of range.
  const std::vector<uint32_t> bad_items = {0, 1, 1, 99};
  std::ofstream(entry / "interactions_item.npy", std::ios::binary | std::ios::trunc)
      << EncodeNpy(NpyDtype::kUInt32, {bad_items.size()}, bad_items.data());
  auto again = LoadDatasetCached(data_, {}, cache_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->from_cache);
  ExpectSame(*parsed, again->dataset);
}

TEST_F(DatasetCacheTest, UnwritableCacheOnlyCostsTheSpeedUp) {
  fs::create_directories(root_);
  std::ofstream(root_ / "blocker") << "a file where the cache directory should be";
  cache_.dir = root_ / "blocker" / "cache";
  auto r = LoadDatasetCached(data_, {}, cache_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->from_cache);
  EXPECT_THAT(r->note, HasSubstr("could not write the dataset cache"));
  EXPECT_EQ(r->dataset.interactions.size(), 4u);
}

TEST_F(DatasetCacheTest, SmallInputsAndDisabledCacheWriteNothing) {
  cache_.min_bytes = 1 << 20;
  auto small = LoadDatasetCached(data_, {}, cache_);
  ASSERT_TRUE(small.ok());
  EXPECT_TRUE(small->note.empty());
  EXPECT_FALSE(fs::exists(cache_.dir));
  cache_.min_bytes = 0;
  cache_.enabled = false;
  ASSERT_TRUE(LoadDatasetCached(data_, {}, cache_).ok());
  EXPECT_FALSE(fs::exists(cache_.dir));
}

TEST_F(DatasetCacheTest, LoaderErrorsPassThroughAndAreNotCached) {
  Write("interactions.csv", "user,item,strength\nu1,10,oops\n");
  auto r = LoadDatasetCached(data_, {}, cache_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("interactions.csv:2"));
  EXPECT_FALSE(fs::exists(cache_.dir) && !fs::is_empty(cache_.dir));
}

TEST_F(DatasetCacheTest, NoLayoutIsTheLoadersError) {
  fs::remove(data_ / "interactions.csv");
  auto r = LoadDatasetCached(data_, {}, cache_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no known dataset layout"));
  EXPECT_FALSE(fs::exists(cache_.dir) && !fs::is_empty(cache_.dir));
}

// A change to any file the loader reads (DatasetInputFiles) misses the cache; a change to a
// file it does not read does not.
TEST_F(DatasetCacheTest, EveryFileTheLoaderReadsIsInTheFingerprint) {
  for (const std::string fixture : {"ml-100k-mini", "movielens-csv-mini", "generic-mini"}) {
    SCOPED_TRACE(fixture);
    const fs::path dir = root_ / fixture;
    fs::copy(fs::path(HYBRIDREC_SOURCE_DIR) / "tests/fixtures/data" / fixture, dir);
    auto files = DatasetInputFiles(dir);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    ASSERT_GE(files->size(), 2u);
    auto first = LoadDatasetCached(dir, {}, cache_);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    fs::path entry = first->entry;
    ASSERT_FALSE(entry.empty());
    for (const fs::path& f : *files) {
      SCOPED_TRACE(f.filename().string());
      // Same contents, another modification time.
      fs::last_write_time(f, fs::last_write_time(f) + std::chrono::seconds(10));
      auto changed = LoadDatasetCached(dir, {}, cache_);
      ASSERT_TRUE(changed.ok()) << changed.status().ToString();
      EXPECT_FALSE(changed->from_cache);
      EXPECT_NE(changed->entry, entry);
      entry = changed->entry;
      // Appended bytes change the size too.
      std::ofstream(f, std::ios::binary | std::ios::app) << "\n";
      auto appended = LoadDatasetCached(dir, {}, cache_);
      ASSERT_TRUE(appended.ok()) << appended.status().ToString();
      EXPECT_FALSE(appended->from_cache);
      EXPECT_NE(appended->entry, entry);
      entry = appended->entry;
    }
    std::ofstream(dir / "notes.txt") << "not an input";
    auto unrelated = LoadDatasetCached(dir, {}, cache_);
    ASSERT_TRUE(unrelated.ok());
    EXPECT_TRUE(unrelated->from_cache);
    EXPECT_EQ(unrelated->entry, entry);
  }
  // An optional input removed: the list of files changes.
  fs::remove(root_ / "ml-100k-mini" / "u.genre");
  auto without_genres = LoadDatasetCached(root_ / "ml-100k-mini", {}, cache_);
  ASSERT_TRUE(without_genres.ok());
  EXPECT_FALSE(without_genres->from_cache);
}

}  // namespace
}  // namespace hybridrec
