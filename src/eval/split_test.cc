#include "eval/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <unistd.h>

#include "eval/test_util.h"

namespace hybridrec {
namespace {

using Pair = std::pair<uint32_t, uint32_t>;

std::multiset<Pair> Pairs(const std::vector<Interaction>& xs) {
  std::multiset<Pair> s;
  for (const auto& x : xs) s.insert({x.user, x.item});
  return s;
}

std::map<uint32_t, size_t> CountByUser(const std::vector<Interaction>& xs) {
  std::map<uint32_t, size_t> c;
  for (const auto& x : xs) ++c[x.user];
  return c;
}

// train and test partition the input exactly: nothing lost, duplicated or shared.
void ExpectPartition(const std::vector<Interaction>& all, const std::vector<Interaction>& train,
                     const std::vector<Interaction>& test) {
  EXPECT_EQ(train.size() + test.size(), all.size());
  std::multiset<Pair> u = Pairs(train);
  for (const auto& p : Pairs(test)) {
    EXPECT_EQ(u.count(p), 0u) << "pair in both train and test";
    u.insert(p);
  }
  EXPECT_EQ(u, Pairs(all));
}

Split MustSplit(const Dataset& ds, const SplitOptions& o) {
  auto r = MakeSplit(ds, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

TEST(SplitTest, ParsesProtocolNames) {
  for (const char* name : {"random", "global-random", "temporal", "cold-items", "cold-users"}) {
    auto p = ParseSplitProtocol(name);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(SplitProtocolName(*p), name);
  }
  EXPECT_FALSE(ParseSplitProtocol("loo").ok());
}

TEST(SplitTest, RandomPerUserSizesAndPartition) {
  const Dataset ds = eval_testing::MakeDataset();
  const Split s = MustSplit(ds, SplitOptions{});
  ExpectPartition(ds.interactions, s.train, s.test);
  const auto all = CountByUser(ds.interactions), test = CountByUser(s.test), train = CountByUser(s.train);
  for (const auto& [u, n] : all) {
    const size_t expected = std::min<size_t>(n - 1, static_cast<size_t>(std::llround(0.2 * static_cast<double>(n))));
    EXPECT_EQ(test.count(u) ? test.at(u) : 0u, expected) << "user " << u << " with " << n;
    if (n >= 2) {
      EXPECT_GE(train.at(u), 1u);
    }
  }
  EXPECT_EQ(s.train_matrix.by_user.nnz(), s.train.size());
  EXPECT_EQ(s.test_matrix.by_user.nnz(), s.test.size());
  EXPECT_EQ(s.train_matrix.num_users(), ds.num_users());
  EXPECT_EQ(s.train_matrix.num_items(), ds.num_items());
  EXPECT_TRUE(s.validation.empty());
}

TEST(SplitTest, DeterministicPerSeed) {
  const Dataset ds = eval_testing::MakeDataset();
  for (auto protocol : {SplitProtocol::kRandom, SplitProtocol::kGlobalRandom, SplitProtocol::kColdItems,
                        SplitProtocol::kColdUsers}) {
    SplitOptions o;
    o.protocol = protocol;
    o.seed = 7;
    const Split a = MustSplit(ds, o), b = MustSplit(ds, o);
    EXPECT_EQ(Pairs(a.test), Pairs(b.test)) << SplitProtocolName(protocol);
    o.seed = 8;
    const Split c = MustSplit(ds, o);
    EXPECT_NE(Pairs(a.test), Pairs(c.test)) << SplitProtocolName(protocol);
  }
}

TEST(SplitTest, GlobalRandomTakesFractionOfAll) {
  const Dataset ds = eval_testing::MakeDataset();
  SplitOptions o;
  o.protocol = SplitProtocol::kGlobalRandom;
  o.test_fraction = 0.25;
  const Split s = MustSplit(ds, o);
  ExpectPartition(ds.interactions, s.train, s.test);
  EXPECT_EQ(s.test.size(), static_cast<size_t>(std::llround(0.25 * static_cast<double>(ds.interactions.size()))));
}

TEST(SplitTest, TemporalTestIsLatestPerUserWithFileOrderTies) {
  Dataset ds = eval_testing::MakeDataset();
  // User 0 gets five rows with one timestamp: round(0.2 * 5) = 1 goes to test, and with all
  // timestamps equal the last row in file order counts as the latest.
  const uint32_t u0 = 0;
  std::erase_if(ds.interactions, [&](const Interaction& x) { return x.user == u0; });
  for (uint32_t j = 0; j < 5; ++j) ds.interactions.push_back({u0, j, 1.f, 500});
  SplitOptions o;
  o.protocol = SplitProtocol::kTemporal;
  const Split s = MustSplit(ds, o);
  ExpectPartition(ds.interactions, s.train, s.test);
  std::map<uint32_t, int64_t> max_train, min_test;
  for (const auto& x : s.train) max_train[x.user] = std::max(max_train.count(x.user) ? max_train[x.user] : INT64_MIN, x.timestamp);
  for (const auto& x : s.test) min_test[x.user] = std::min(min_test.count(x.user) ? min_test[x.user] : INT64_MAX, x.timestamp);
  for (const auto& [u, t] : min_test) EXPECT_GE(t, max_train.at(u)) << "user " << u;
  std::vector<uint32_t> u0_test;
  for (const auto& x : s.test)
    if (x.user == u0) u0_test.push_back(x.item);
  EXPECT_EQ(u0_test, std::vector<uint32_t>{4});
}

TEST(SplitTest, TemporalWithoutTimestampsIsAnError) {
  const Dataset ds = eval_testing::MakeDataset(20, 40, /*timestamps=*/false);
  SplitOptions o;
  o.protocol = SplitProtocol::kTemporal;
  auto r = MakeSplit(ds, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("timestamps"), std::string::npos);
}

TEST(SplitTest, RejectsBadFractions) {
  const Dataset ds = eval_testing::MakeDataset();
  SplitOptions o;
  o.test_fraction = 1.0;
  EXPECT_FALSE(MakeSplit(ds, o).ok());
  o.test_fraction = -0.1;
  EXPECT_FALSE(MakeSplit(ds, o).ok());
}

TEST(SplitTest, ValidationIsCarvedFromTrainOnly) {
  const Dataset ds = eval_testing::MakeDataset();
  for (auto protocol : {SplitProtocol::kRandom, SplitProtocol::kGlobalRandom, SplitProtocol::kTemporal,
                        SplitProtocol::kColdItems}) {
    SplitOptions o;
    o.protocol = protocol;
    o.validation = true;
    const Split with = MustSplit(ds, o);
    o.validation = false;
    const Split without = MustSplit(ds, o);
    // The test part does not depend on whether a validation split is carved.
    EXPECT_EQ(Pairs(with.test), Pairs(without.test));
    ExpectPartition(with.train, with.validation_train, with.validation);
    EXPECT_FALSE(with.validation.empty()) << SplitProtocolName(protocol);
    EXPECT_EQ(with.validation_matrix.by_user.nnz(), with.validation.size());
    EXPECT_EQ(with.validation_train_matrix.by_user.nnz(), with.validation_train.size());
  }
}

TEST(SplitTest, ColdItemsHoldsOutWholeItems) {
  const Dataset ds = eval_testing::MakeDataset();
  SplitOptions o;
  o.protocol = SplitProtocol::kColdItems;
  const Split s = MustSplit(ds, o);
  ExpectPartition(ds.interactions, s.train, s.test);
  EXPECT_EQ(s.cold_items.size(), static_cast<size_t>(std::llround(0.1 * ds.num_items())));  // all 40 items are used
  const std::set<uint32_t> cold(s.cold_items.begin(), s.cold_items.end());
  for (const auto& x : s.train) EXPECT_FALSE(cold.count(x.item));
  for (const auto& x : s.test) EXPECT_TRUE(cold.count(x.item));
}

TEST(SplitTest, ColdUsersRevealFirstInteractionsByTime) {
  const Dataset ds = eval_testing::MakeDataset();
  SplitOptions o;
  o.protocol = SplitProtocol::kColdUsers;
  o.reveal = 3;
  o.validation = true;
  const Split s = MustSplit(ds, o);
  std::vector<Interaction> held = s.test;
  held.insert(held.end(), s.revealed.begin(), s.revealed.end());
  ExpectPartition(ds.interactions, s.train, held);  // train, test and revealed partition the data
  EXPECT_EQ(s.cold_users.size(), static_cast<size_t>(std::llround(0.1 * ds.num_users())));
  const std::set<uint32_t> cold(s.cold_users.begin(), s.cold_users.end());
  for (const auto& x : s.test) EXPECT_TRUE(cold.count(x.user));
  for (const auto& x : s.train) EXPECT_FALSE(cold.count(x.user)) << "held-out user in train";
  const auto revealed = CountByUser(s.revealed);
  const auto all = CountByUser(ds.interactions);
  for (uint32_t u : s.cold_users) {
    EXPECT_EQ(revealed.at(u), std::min<size_t>(3, all.at(u)));
    int64_t last_revealed = INT64_MIN;
    for (const auto& x : s.revealed)
      if (x.user == u) last_revealed = std::max(last_revealed, x.timestamp);
    for (const auto& x : s.test) {
      if (x.user == u) {
        EXPECT_GE(x.timestamp, last_revealed);
      }
    }
  }
  EXPECT_EQ(s.revealed_matrix.by_user.nnz(), s.revealed.size());
  // Validation: other users held out of train the same way, test users untouched.
  std::vector<Interaction> vheld = s.validation;
  vheld.insert(vheld.end(), s.validation_revealed.begin(), s.validation_revealed.end());
  ExpectPartition(s.train, s.validation_train, vheld);
  EXPECT_FALSE(s.validation_revealed.empty());
  for (const auto& x : s.validation_revealed) EXPECT_FALSE(cold.count(x.user));
}

TEST(SplitTest, SaveSplitWritesExternalIds) {
  Dataset ds = eval_testing::MakeDataset(10, 40);
  // An id with a comma must be quoted.
  Dataset quoted;
  quoted.name = "q";
  quoted.users.GetOrAdd("a,b");
  quoted.items.GetOrAdd("x\"y");
  quoted.item_info.resize(1);
  quoted.interactions.push_back({0, 0, 2.5f, 42});
  quoted.has_timestamps = true;
  SplitOptions o;
  o.validation = true;
  const auto dir = std::filesystem::temp_directory_path() / ("hr_split_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const Split s = MustSplit(ds, o);
  ASSERT_TRUE(SaveSplit(ds, s, dir).ok());
  auto read_lines = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  };
  const auto train = read_lines(dir / "train.csv");
  const auto test = read_lines(dir / "test.csv");
  const auto val = read_lines(dir / "validation.csv");
  ASSERT_FALSE(train.empty());
  EXPECT_EQ(train[0], "user,item,strength,timestamp");
  EXPECT_EQ(train.size(), s.train.size() + 1);
  EXPECT_EQ(test.size(), s.test.size() + 1);
  EXPECT_EQ(val.size(), s.validation.size() + 1);
  const Interaction& x = s.train.front();
  std::ostringstream want;
  want << ds.users.Id(x.user) << ',' << ds.items.Id(x.item) << ',' << x.strength << ',' << x.timestamp;
  EXPECT_EQ(train[1], want.str());

  SplitOptions none;
  none.test_fraction = 0.0;
  const Split qs = MustSplit(quoted, none);
  ASSERT_TRUE(SaveSplit(quoted, qs, dir / "q").ok());
  const auto qtrain = read_lines(dir / "q" / "train.csv");
  ASSERT_EQ(qtrain.size(), 2u);
  EXPECT_EQ(qtrain[1], "\"a,b\",\"x\"\"y\",2.5,42");
  EXPECT_FALSE(std::filesystem::exists(dir / "q" / "validation.csv"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hybridrec
