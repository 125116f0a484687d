// LiveState in process: readers, event writers (group commit), item additions and reloads all at
// once. Readers must always get a consistent snapshot; every acknowledged event must be in the
// store and in the overlay exactly once. (Run under TSan/ASan builds too.)
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "serve/live_state.h"
#include "serve_test_util.h"

namespace {
using namespace serve_test;
using namespace hybridrec;
using namespace hybridrec::serve;

TEST(LiveStateTest, ConcurrentReadersWritersAndReloads) {
  const fs::path dir = TempDir("live_state");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  auto store = OpenSqliteEventStore(dir / "e.sqlite");
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto opened = LiveState::Open(dir / "model", std::move(store).value());
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  LiveState& state = **opened;

  constexpr int kWriters = 4, kEventsPerWriter = 60;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, read_failures{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      while (!stop.load()) {
        const auto snap = state.Current();
        const std::string user = "w" + std::to_string(r) + "-0";
        const auto events = snap->users().Get(user);
        std::vector<HistoryEntry> h;
        for (const auto& e : events) h.emplace_back(e.item, e.strength);
        UserQuery q;
        q.use_trained_factor = false;
        q.history = h;
        const auto resp = snap->ranker(true).Recommend(q, 3, true);
        if (resp.items.empty() && snap->num_items() > h.size() + 3) ++read_failures;
        for (const auto& it : resp.items)
          if (it.item >= snap->num_items()) ++read_failures;
        ++reads;
      }
    });
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEventsPerWriter; ++i) {
        std::vector<EventIn> batch = {{"w" + std::to_string(w) + "-" + std::to_string(i % 3), std::to_string(1 + i % 6),
                                       1.f + static_cast<float>(i % 4), std::nullopt}};
        ASSERT_TRUE(state.RecordEvents(batch, 1000 + i).ok());
      }
    });
  threads.emplace_back([&] {
    for (int i = 0; i < 5; ++i) {
      NewItemRequest item{"live-" + std::to_string(i), "Heat and Alien " + std::to_string(i), {"Action"}, {}, ""};
      auto r = state.AddItem(item, 1);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_TRUE(r->created);
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(state.Reload().ok());
  });
  for (size_t t = 3; t < threads.size(); ++t) threads[t].join();
  stop = true;
  for (size_t t = 0; t < 3; ++t) threads[t].join();

  EXPECT_EQ(read_failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(state.events_stored(), kWriters * kEventsPerWriter);
  const auto snap = state.Current();
  EXPECT_EQ(snap->num_added(), 5u);
  EXPECT_EQ(snap->users().num_events(), static_cast<size_t>(kWriters * kEventsPerWriter));
  EXPECT_EQ(snap->users().Get("w0-0").size(), static_cast<size_t>(kEventsPerWriter / 3));
  // A duplicate id is reported, not stored twice.
  auto dup = state.AddItem({"live-0", "again", {}, {}, ""}, 2);
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(dup->created);
  EXPECT_EQ(state.items_stored(), 5);
  // An unknown item in a batch stores nothing.
  const int64_t before = state.events_stored();
  const Status bad = state.RecordEvents({{"u", "1", 1.f, std::nullopt}, {"u", "nope", 1.f, std::nullopt}}, 5);
  EXPECT_EQ(bad.code(), Status::Code::kNotFound);
  EXPECT_EQ(state.events_stored(), before);
  fs::remove_all(dir);
}

}  // namespace
