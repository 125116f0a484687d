// FreshnessTracker: the counts per item, the bounds on its memory, and many recording threads.
#include "serve/freshness.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace hybridrec::serve {
namespace {

void Record(FreshnessTracker& t, std::vector<ShownItem> shown, std::optional<std::string_view> user) {
  t.RecordList(shown, user);
}

TEST(FreshnessTrackerTest, CountsListsDistinctKnownUsersAndBestRank) {
  FreshnessTracker t;
  EXPECT_EQ(t.Get("n1").lists, 0u);
  EXPECT_EQ(t.Get("n1").best_rank, 0u);
  Record(t, {{"n1", 7}, {"n2", 3}}, "u1");
  Record(t, {{"n1", 4}}, "u1");          // same user again: a list, not a user
  Record(t, {{"n1", 9}}, std::nullopt);  // anonymous: a list, not a user
  Record(t, {{"n1", 5}}, "u2");
  Record(t, {}, "u3");  // a list without tracked items
  const FreshnessCounts n1 = t.Get("n1");
  EXPECT_EQ(n1.lists, 4u);
  EXPECT_EQ(n1.users, 2u);
  EXPECT_FALSE(n1.users_capped);
  EXPECT_EQ(n1.best_rank, 4u);
  const FreshnessCounts n2 = t.Get("n2");
  EXPECT_EQ(n2.lists, 1u);
  EXPECT_EQ(n2.users, 1u);
  EXPECT_EQ(n2.best_rank, 3u);
  EXPECT_EQ(t.lists_recorded(), 5u);
  EXPECT_EQ(t.tracked_items(), 2u);
  EXPECT_EQ(t.Get("never").lists, 0u);
}

TEST(FreshnessTrackerTest, AnIdTwiceInOneListCountsOnceAtItsBestRank) {
  FreshnessTracker t;
  Record(t, {{"n1", 6}, {"n1", 2}, {"n2", 0}}, "u1");
  EXPECT_EQ(t.Get("n1").lists, 1u);
  EXPECT_EQ(t.Get("n1").users, 1u);
  EXPECT_EQ(t.Get("n1").best_rank, 2u);
  EXPECT_EQ(t.tracked_items(), 1u);  // rank 0 is ignored
}

TEST(FreshnessTrackerTest, DistinctUsersAreCappedAndReportedAsALowerBound) {
  FreshnessTracker t(FreshnessOptions{.max_users_per_item = 3, .max_items = 10});
  for (const char* u : {"a", "b", "c", "a", "b"}) Record(t, {{"n1", 1}}, u);
  EXPECT_EQ(t.Get("n1").users, 3u);
  EXPECT_FALSE(t.Get("n1").users_capped);  // exactly three users, all remembered
  for (int i = 0; i < 100; ++i) Record(t, {{"n1", 2}}, "user-" + std::to_string(i));
  const FreshnessCounts c = t.Get("n1");
  EXPECT_EQ(c.lists, 105u);
  EXPECT_EQ(c.users, 3u);
  EXPECT_TRUE(c.users_capped);
  EXPECT_EQ(c.best_rank, 1u);
}

TEST(FreshnessTrackerTest, BeyondMaxItemsTheItemServedLongestAgoIsForgotten) {
  FreshnessTracker t(FreshnessOptions{.max_users_per_item = 8, .max_items = 2});
  Record(t, {{"a", 1}}, "u");
  Record(t, {{"b", 1}}, "u");
  Record(t, {{"a", 1}}, "u");  // a served again: b is now the one served longest ago
  Record(t, {{"c", 1}}, "u");
  EXPECT_EQ(t.tracked_items(), 2u);
  EXPECT_EQ(t.Get("a").lists, 2u);
  EXPECT_EQ(t.Get("b").lists, 0u);
  EXPECT_EQ(t.Get("c").lists, 1u);
  Record(t, {{"b", 5}}, std::nullopt);  // starts again from zero, evicting a
  EXPECT_EQ(t.Get("b").lists, 1u);
  EXPECT_EQ(t.Get("b").best_rank, 5u);
  EXPECT_EQ(t.Get("a").lists, 0u);
  EXPECT_EQ(t.Get("c").lists, 1u);
  FreshnessTracker none(FreshnessOptions{.max_users_per_item = 8, .max_items = 0});
  Record(none, {{"a", 1}}, "u");
  EXPECT_EQ(none.tracked_items(), 0u);
  EXPECT_EQ(none.lists_recorded(), 1u);
}

// Runs body(0) ... body(threads - 1) on as many threads at once.
template <typename Body>
void OnThreads(int threads, Body body) {
  std::vector<std::thread> pool;
  for (int th = 0; th < threads; ++th) pool.emplace_back(body, th);
  for (auto& t : pool) t.join();
}

TEST(FreshnessTrackerTest, ManyThreadsRecordingLoseNothing) {
  FreshnessTracker t(FreshnessOptions{.max_users_per_item = 10000, .max_items = 64});
  constexpr int kThreads = 8;
  constexpr int kLists = 2000;
  constexpr int kUsersPerThread = 50;
  OnThreads(kThreads, [&t](int th) {
    for (int i = 0; i < kLists; ++i) {
      const std::string user = "u" + std::to_string(th) + "-" + std::to_string(i % kUsersPerThread);
      // "shared" in every list, at rank th + 1; 200 other ids churn through the 64 slots
      // (memory stays bounded while they do).
      const std::string other = "x" + std::to_string((th * kLists + i) % 200);
      const std::vector<ShownItem> shown = {{"shared", static_cast<uint32_t>(th + 1)}, {other, 3}};
      t.RecordList(shown, i % 4 == 0 ? std::nullopt : std::optional<std::string_view>(user));
      if (i % 64 == 0) {
        EXPECT_LE(t.tracked_items(), 64u);
      }
    }
  });
  EXPECT_EQ(t.lists_recorded(), uint64_t{kThreads * kLists});
  EXPECT_LE(t.tracked_items(), 64u);
  // "shared" is in every list, so it is never the item served longest ago: never evicted.
  const FreshnessCounts shared = t.Get("shared");
  EXPECT_EQ(shared.lists, uint64_t{kThreads * kLists});
  EXPECT_EQ(shared.users, uint64_t{kThreads * kUsersPerThread});
  EXPECT_EQ(shared.best_rank, 1u);
}

TEST(FreshnessTrackerTest, ManyThreadsOnFewItemsCountExactly) {
  FreshnessTracker t;
  constexpr int kThreads = 8;
  constexpr int kLists = 2000;
  OnThreads(kThreads, [&t](int th) {
    for (int i = 0; i < kLists; ++i) {
      const std::string user = "u" + std::to_string(th) + "-" + std::to_string(i % 50);
      const std::vector<ShownItem> shown = {{"n1", static_cast<uint32_t>(th + 2)}, {"n2", 1}};
      t.RecordList(shown, i % 4 == 0 ? std::nullopt : std::optional<std::string_view>(user));
      (void)t.Get("n1");
    }
  });
  const FreshnessCounts n1 = t.Get("n1");
  EXPECT_EQ(n1.lists, uint64_t{kThreads * kLists});
  // i % 4 == 0 is anonymous; i % 50 cycles over all 50 ids among the rest (2000 lists per thread).
  EXPECT_EQ(n1.users, uint64_t{kThreads * 50});
  EXPECT_FALSE(n1.users_capped);
  EXPECT_EQ(n1.best_rank, 2u);
  EXPECT_EQ(t.Get("n2").best_rank, 1u);
  EXPECT_EQ(t.lists_recorded(), uint64_t{kThreads * kLists});
}

}  // namespace
}  // namespace hybridrec::serve
