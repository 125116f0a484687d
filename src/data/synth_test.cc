#include "data/synth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
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
  o.topics = 0;
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

// With topics, an item's title words, tags and genres come from its topic, and users draw most
// of their interactions from their two topics: items of one topic share words and genres, and
// a user's items concentrate on few topics.
TEST_F(SynthTest, TopicsDriveTextGenresAndBehaviour) {
  SynthOptions o;
  o.users = 400;
  o.items = 600;
  o.nnz = 12000;
  o.topics = 8;
  o.seed = 5;
  ASSERT_TRUE(WriteSyntheticDataset(o, dir_).ok());
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->num_items(), 600u);
  // Topic of an item = the topic of its first title word (each word belongs to one topic).
  std::map<std::string, std::set<std::string>> words_of_first;  // first word -> all title words of such items
  std::vector<std::string> first_word(ds->num_items());
  size_t with_tags = 0;
  for (uint32_t i = 0; i < ds->num_items(); ++i) {
    const Item& it = ds->item_info[i];
    ASSERT_NE(it.title.rfind("Item ", 0), 0u) << it.title;
    first_word[i] = it.title.substr(0, it.title.find(' '));
    EXPECT_FALSE(it.genres.empty());
    with_tags += it.tags.size() == 2;
  }
  EXPECT_EQ(with_tags, 600u);
  // The distinct first words: at most 8 topics x 8 words.
  std::set<std::string> firsts(first_word.begin(), first_word.end());
  EXPECT_LE(firsts.size(), 64u);
  EXPECT_GT(firsts.size(), 16u);
  // Users: the share of a user's items whose "topic word group" is among the user's top two
  // groups of first words is far above what uniform draws would give. Group items by the
  // main genre (the topic's first genre, topic % genres: 8 distinct with 8 topics).
  std::vector<std::map<std::string, size_t>> per_user(ds->num_users());
  for (const auto& x : ds->interactions) ++per_user[x.user][ds->item_info[x.item].genres[0]];
  double concentrated = 0, total = 0;
  for (const auto& m : per_user) {
    std::vector<size_t> c;
    for (const auto& [g, n] : m) c.push_back(n);
    std::sort(c.rbegin(), c.rend());
    size_t all = 0;
    for (size_t n : c) all += n;
    if (all < 10) continue;
    concentrated += static_cast<double>(c[0] + (c.size() > 1 ? c[1] : 0));
    total += static_cast<double>(all);
  }
  ASSERT_GT(total, 0);
  // Uniform over 8 groups would put about 2/8 + noise in the top two; topic affinity 0.8 puts most there.
  EXPECT_GT(concentrated / total, 0.6);
}

TEST_F(SynthTest, NamedShapes) {
  SynthOptions o;
  ASSERT_TRUE(ApplySynthShape("ml25m", o));
  EXPECT_EQ(o.users, 162541u);
  EXPECT_EQ(o.items, 59047u);
  EXPECT_EQ(o.nnz, 25000095u);
  ASSERT_TRUE(ApplySynthShape("netflix", o));
  EXPECT_EQ(o.nnz, 100480507u);
  ASSERT_TRUE(ApplySynthShape("catalogue", o));
  EXPECT_EQ(o.items, 1000000u);
  EXPECT_FALSE(ApplySynthShape("ml-25m", o));
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
  o.topics = 513;
  EXPECT_THAT(WriteSyntheticDataset(o, dir_).message(), HasSubstr("--topics"));
  o.topics = 4;
  o.topic_affinity = 1.5;
  EXPECT_THAT(WriteSyntheticDataset(o, dir_).message(), HasSubstr("--topic-affinity"));
  o.topic_affinity = 0.8;
  o.users = 0;
  EXPECT_THAT(WriteSyntheticDataset(o, dir_).message(), HasSubstr("--users"));
}

}  // namespace
}  // namespace hybridrec
