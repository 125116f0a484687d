#include "data/synth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>
#include <vector>

#include "core/file_util.h"
#include "data/loader.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("hr_synth_") + info->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SynthTest, ExactNnzDistinctPairsAndLoadable) {
  SynthOptions o;
  o.users = 300;
  o.items = 200;
  o.nnz = 9000;
  o.seed = 7;
  ASSERT_TRUE(WriteSyntheticDataset(o, dir_ / "a").ok());
  auto ds = LoadDataset(dir_ / "a");
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "generic");
  EXPECT_EQ(ds->num_users(), 300u);
  EXPECT_EQ(ds->num_items(), 200u);
  EXPECT_EQ(ds->interactions.size(), 9000u);
  EXPECT_EQ(ds->report.duplicates_merged, 0u);  // pairs are distinct
  EXPECT_TRUE(ds->has_timestamps);
  EXPECT_EQ(ds->item_info[*ds->items.Find("5")].title, "Item 5");
  EXPECT_FALSE(ds->item_info[0].genres.empty());
  for (const auto& x : ds->interactions) {
    EXPECT_GE(x.strength, 1.f);
    EXPECT_LE(x.strength, 5.f);
  }
}

TEST_F(SynthTest, DeterministicForASeed) {
  SynthOptions o;
  o.users = 100;
  o.items = 80;
  o.nnz = 2000;
  o.seed = 3;
  ASSERT_TRUE(WriteSyntheticDataset(o, dir_ / "a").ok());
  ASSERT_TRUE(WriteSyntheticDataset(o, dir_ / "b").ok());
  o.seed = 4;
  ASSERT_TRUE(WriteSyntheticDataset(o, dir_ / "c").ok());
  for (const char* f : {"interactions.csv", "items.csv"}) {
    EXPECT_EQ(*Sha256File(dir_ / "a" / f), *Sha256File(dir_ / "b" / f)) << f;
  }
  EXPECT_NE(*Sha256File(dir_ / "a" / "interactions.csv"), *Sha256File(dir_ / "c" / "interactions.csv"));
}

TEST_F(SynthTest, PopularityAndActivityAreSkewed) {
  SynthOptions o;
  o.users = 2000;
  o.items = 1000;
  o.nnz = 40000;
  ASSERT_TRUE(WriteSyntheticDataset(o, dir_).ok());
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok());
  std::vector<size_t> item_count(ds->num_items()), user_count(ds->num_users());
  for (const auto& x : ds->interactions) ++item_count[x.item], ++user_count[x.user];
  std::sort(item_count.rbegin(), item_count.rend());
  std::sort(user_count.rbegin(), user_count.rend());
  size_t top = 0;
  for (size_t i = 0; i < 100; ++i) top += item_count[i];
  // With zipf 0.9 the top 10% of items carry far more than 10% of the interactions.
  EXPECT_GT(static_cast<double>(top) / 40000.0, 0.3);
  EXPECT_GT(user_count.front(), 10 * user_count.back());
  EXPECT_GE(user_count.back(), 1u);
}

TEST_F(SynthTest, DenseCornerCaseFillsEveryPair) {
  SynthOptions o;
  o.users = 5;
  o.items = 4;
  o.nnz = 20;  // every (user, item) pair
  o.zipf = 3.0;
  ASSERT_TRUE(WriteSyntheticDataset(o, dir_).ok());
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok());
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (const auto& x : ds->interactions) pairs.insert({x.user, x.item});
  EXPECT_EQ(pairs.size(), 20u);
}

TEST_F(SynthTest, RejectsBadOptions) {
  SynthOptions o;
  o.users = 10;
  o.items = 10;
  o.nnz = 5;
  EXPECT_THAT(WriteSyntheticDataset(o, dir_).message(), HasSubstr("must be >= --users"));
  o.nnz = 101;
  EXPECT_THAT(WriteSyntheticDataset(o, dir_).message(), HasSubstr("exceeds users x items"));
  o.nnz = 50;
  o.zipf = -1;
  EXPECT_THAT(WriteSyntheticDataset(o, dir_).message(), HasSubstr("--zipf"));
  o.zipf = 0.9;
  o.users = 0;
  EXPECT_THAT(WriteSyntheticDataset(o, dir_).message(), HasSubstr("--users"));
}

}  // namespace
}  // namespace hybridrec
