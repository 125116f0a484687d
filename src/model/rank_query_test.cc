#include "model/rank_query.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "model/test_util.h"

namespace hybridrec {
namespace {
namespace fs = std::filesystem;

class RankQueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("hr_rank_query_test_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    model_testing::TrainTinyModel(*dir_ / "model");
    auto tm = LoadTrainedModel(*dir_ / "model");
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    model_ = new TrainedModel(std::move(tm).value());
  }
  static void TearDownTestSuite() {
    delete model_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path* dir_;
  static TrainedModel* model_;
};
fs::path* RankQueryTest::dir_ = nullptr;
TrainedModel* RankQueryTest::model_ = nullptr;

TEST_F(RankQueryTest, KnownUserWithoutEventsUsesItsTrainedFactor) {
  ASSERT_NE(model_, nullptr);
  const uint32_t u0 = *model_->users.Find("u0");  // items 0, 2, 4, 6
  const RankQuery q = QueryForUser(*model_, u0, {}, 10);
  EXPECT_EQ(q.known_user, u0);
  EXPECT_TRUE(q.use_trained_factor);
  EXPECT_EQ(q.history, (std::vector<HistoryEntry>{{0, 1.f}, {2, 3.f}, {4, 1.f}, {6, 3.f}}));
  EXPECT_EQ(q.recent, (std::vector<uint32_t>{6, 4, 2, 0}));
  const UserQuery v = q.view();
  EXPECT_EQ(v.history.data(), q.history.data());
  EXPECT_EQ(v.recent.size(), 4u);
}

TEST_F(RankQueryTest, EventsFoldTheUserInAgainAndComeFirstInRecency) {
  ASSERT_NE(model_, nullptr);
  const uint32_t u1 = *model_->users.Find("u1");  // items 1, 4, 7
  const std::vector<LiveInteraction> events = {{3, 2.f, 5000}, {5, 1.f, 6000}, {0, 4.f, 5000}};
  const RankQuery q = QueryForUser(*model_, u1, events, 100);
  EXPECT_FALSE(q.use_trained_factor);
  // Training row, then the events as they came.
  EXPECT_EQ(q.history, (std::vector<HistoryEntry>{{1, 3.f}, {4, 2.f}, {7, 1.f}, {3, 2.f}, {5, 1.f}, {0, 4.f}}));
  // Events newest first (the tie keeps arrival order), then training items newest first.
  EXPECT_EQ(q.recent, (std::vector<uint32_t>{5, 3, 0, 7, 4, 1}));
  // At most recent_limit of them; none when the signal is off.
  EXPECT_EQ(QueryForUser(*model_, u1, events, 2).recent, (std::vector<uint32_t>{5, 3}));
  EXPECT_EQ(QueryForUser(*model_, u1, events, 4).recent, (std::vector<uint32_t>{5, 3, 0, 7}));
  const RankQuery off = QueryForUser(*model_, u1, events, 0);
  EXPECT_TRUE(off.recent.empty());
  EXPECT_EQ(off.history, q.history);
}

TEST_F(RankQueryTest, UnknownUserAndItemLists) {
  ASSERT_NE(model_, nullptr);
  const RankQuery cold = QueryForUser(*model_, std::nullopt, {}, 10);
  EXPECT_FALSE(cold.known_user.has_value());
  EXPECT_TRUE(cold.history.empty());
  EXPECT_TRUE(cold.recent.empty());
  const std::vector<LiveInteraction> events = {{2, 1.f, 10}};
  const RankQuery live = QueryForUser(*model_, std::nullopt, events, 10);
  EXPECT_EQ(live.history, (std::vector<HistoryEntry>{{2, 1.f}}));
  EXPECT_EQ(live.recent, (std::vector<uint32_t>{2}));

  const std::vector<HistoryEntry> items = {{4, 1.f}, {1, 5.f}, {6, 2.f}};
  const RankQuery q = QueryForItems(items);
  EXPECT_FALSE(q.known_user.has_value());
  EXPECT_FALSE(q.use_trained_factor);
  EXPECT_EQ(q.history, items);
  EXPECT_EQ(q.recent, (std::vector<uint32_t>{6, 1, 4}));  // listed oldest first
}

TEST_F(RankQueryTest, TrainingHistoryNewestFirstCarriesTimestamps) {
  ASSERT_NE(model_, nullptr);
  const uint32_t u4 = *model_->users.Find("u4");  // items 1, 3, 5, 7 at 1040 + i
  const auto h = TrainingHistoryNewestFirst(*model_, u4);
  ASSERT_EQ(h.size(), 4u);
  const uint32_t want[] = {7, 5, 3, 1};
  for (size_t j = 0; j < h.size(); ++j) {
    EXPECT_EQ(h[j].item, want[j]);
    EXPECT_EQ(h[j].timestamp, std::optional<int64_t>(1040 + want[j]));
    EXPECT_EQ(h[j].strength, 1.f + static_cast<float>((4 + want[j]) % 4));
  }
  // Without timestamps: catalogue order, no timestamps.
  TrainedModel copy;
  copy.history = model_->history;
  const auto plain = TrainingHistoryNewestFirst(copy, u4);
  ASSERT_EQ(plain.size(), 4u);
  EXPECT_EQ(plain[0].item, 1u);
  EXPECT_FALSE(plain[0].timestamp.has_value());
}

TEST(NewestFirstTest, StableOnTies) {
  const std::vector<LiveInteraction> e = {{1, 1.f, 5}, {2, 1.f, 7}, {3, 1.f, 5}};
  const auto s = NewestFirst(e);
  EXPECT_EQ(s[0].item, 2u);
  EXPECT_EQ(s[1].item, 1u);
  EXPECT_EQ(s[2].item, 3u);
}

}  // namespace
}  // namespace hybridrec
