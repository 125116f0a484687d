// LiveState in process: readers, event writers (group commit), item additions and reloads all at
// once. Readers must always get a consistent snapshot; every acknowledged event must be in the
// store and in the overlay exactly once. (Run under TSan/ASan builds too.)
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "serve/live_state.h"
#include "serve/responses.h"
#include "serve_test_util.h"
#include "store/pg_test_util.h"

namespace {
using namespace serve_test;
using namespace hybridrec;
using namespace hybridrec::serve;

// Trains the small fixture model under dir/model and opens it over a fresh dir/e.sqlite.
void OpenSmallModel(const fs::path& dir, std::unique_ptr<LiveState>& out) {
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  auto store = store::OpenSqliteEventStore((dir / "e.sqlite").string());
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto opened = LiveState::Open(dir / "model", std::move(store).value());
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  out = std::move(opened).value();
}

TEST(LiveStateTest, ConcurrentReadersWritersAndReloads) {
  const fs::path dir = TempDir("live_state");
  std::unique_ptr<LiveState> opened;
  ASSERT_NO_FATAL_FAILURE(OpenSmallModel(dir, opened));
  LiveState& state = *opened;

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
        const auto resp = snap->ranker().Recommend(q, 3, true);
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

// The hot responses are written as text with pre-serialised item refs (responses.h): they must
// parse, carry exactly the ranker's answer and match the nlohmann item shapes, for trained
// items and for an added one whose title needs escaping.
TEST(LiveStateTest, ResponseTextCarriesTheRankersAnswer) {
  const fs::path dir = TempDir("response_text");
  std::unique_ptr<LiveState> opened;
  ASSERT_NO_FATAL_FAILURE(OpenSmallModel(dir, opened));
  LiveState& state = *opened;
  auto added = state.AddItem({"x\"1", "A \"quoted\" title with\ttab", {"Drama"}, {}, ""}, 1);
  ASSERT_TRUE(added.ok()) << added.status().message();
  const auto snap = state.Current();
  for (uint32_t i = 0; i < snap->num_items(); ++i) {
    const nlohmann::json expected = {
        {"id", snap->ItemId(i)}, {"title", snap->ItemInfo(i).title}, {"genres", snap->ItemInfo(i).genres}};
    ASSERT_EQ(nlohmann::json::parse(snap->ItemRefText(i)), expected) << i;
    ASSERT_EQ(ItemRefJson(*snap, i), expected) << i;
  }

  const std::vector<HistoryEntry> h = {{0, 4.f}, {1, 2.f}, {2, 5.f}};
  UserQuery q;
  q.use_trained_factor = false;
  q.history = h;
  for (const bool explain : {false, true}) {
    RankRequest rq;
    rq.k = 8;
    rq.explain = explain;
    rq.exclude_seen = false;
    const RankResponse r = snap->ranker().Recommend(q, rq);
    ASSERT_FALSE(r.items.empty());
    JsonText t;
    t.BeginObject();
    AppendRankResponseMembers(t, *snap, r, h.size(), explain);
    t.Key("user").String("u\n1").EndObject();
    const nlohmann::json j = nlohmann::json::parse(t.str());
    EXPECT_EQ(j["path"], std::string(RankPathName(r.path)));
    EXPECT_EQ(static_cast<float>(j["weight"].get<double>()), r.weight("collab"));
    for (const SignalUse& u : r.signals) EXPECT_EQ(static_cast<float>(j["signals"][std::string(u.name)].get<double>()), u.weight);
    EXPECT_EQ(j["history_size"], h.size());
    EXPECT_EQ(j["model_version"], snap->version());
    EXPECT_EQ(j["user"], "u\n1");
    ASSERT_EQ(j["items"].size(), r.items.size());
    for (size_t i = 0; i < r.items.size(); ++i) {
      const auto& ji = j["items"][i];
      const RankedItem& it = r.items[i];
      EXPECT_EQ(ji["rank"], i + 1);
      EXPECT_EQ(ji["item"], ItemRefJson(*snap, it.item));
      EXPECT_EQ(static_cast<float>(ji["score"].get<double>()), it.score);
      const auto collab = r.raw(it, "collab");
      EXPECT_EQ(ji["collab"].is_null(), !collab.has_value());
      if (collab) {
        EXPECT_EQ(static_cast<float>(ji["collab"].get<double>()), *collab);
      }
      EXPECT_EQ(ji["content"].is_null(), !r.raw(it, "content").has_value());
      EXPECT_EQ(static_cast<float>(ji["z_content"].get<double>()), r.z(it, "content"));
      EXPECT_EQ(ji.contains("explanation"), explain);
      if (explain) {
        const auto content = r.reasons(it, "content");
        ASSERT_EQ(ji["explanation"]["content"].size(), content.size());
        ASSERT_EQ(ji["explanation"]["collab"].size(), r.reasons(it, "collab").size());
        for (size_t c = 0; c < content.size(); ++c)
          EXPECT_EQ(ji["explanation"]["content"][c]["item"], ItemRefJson(*snap, content[c].history_item));
      }
    }
  }
  const auto sims = snap->ranker().Similar(added->item, 5, SimilarMode::kContent);
  ASSERT_FALSE(sims.empty());
  const nlohmann::json js = nlohmann::json::parse(SimilarText(*snap, added->item, "content", sims));
  EXPECT_EQ(js["item"], ItemRefJson(*snap, added->item));
  EXPECT_EQ(js["mode"], "content");
  ASSERT_EQ(js["items"].size(), sims.size());
  for (size_t i = 0; i < sims.size(); ++i) {
    EXPECT_EQ(js["items"][i]["item"], ItemRefJson(*snap, sims[i].item));
    EXPECT_EQ(static_cast<float>(js["items"][i]["score"].get<double>()), sims[i].score);
    EXPECT_TRUE(js["items"][i]["collab"].is_null() || js["items"][i]["collab"].is_number());
  }
  fs::remove_all(dir);
}

// Snapshots of a growing catalogue share storage (snapshot.h): each addition appends in place,
// a second addition to an older snapshot gets its own copy, and no snapshot ever sees an item
// added after it. A grown snapshot answers exactly as one built from scratch with the same items.
TEST(LiveStateTest, GrowingSnapshotsShareStorageAndStayIsolated) {
  const fs::path dir = TempDir("growing_snapshots");
  std::unique_ptr<LiveState> opened;
  ASSERT_NO_FATAL_FAILURE(OpenSmallModel(dir, opened));
  const auto s0 = opened->Current();
  ASSERT_NE(s0->encoder(), nullptr);
  auto item = [](const std::string& id, const std::string& title) {
    AddedItem a;
    a.id = id;
    a.info.title = title;
    a.info.genres = {"Drama"};
    return a;
  };
  auto embed = [&](const AddedItem& a) {
    std::vector<float> e;
    const std::vector<std::string> texts = {ItemTextOf(a.info)};
    EXPECT_TRUE(s0->encoder()->Encode(texts, e).ok());
    return e;
  };
  const AddedItem a = item("a", "Heat and Alien"), b = item("b", "Alien Heat returns"), c = item("c", "Comedy");
  const auto s1 = s0->WithItems({a}, embed(a));
  const auto s2 = s1->WithItems({b}, embed(b));
  EXPECT_TRUE(s2->SharesStorageWith(*s1));
  const auto s1b = s1->WithItems({c}, embed(c));  // s2 already filled the row after s1's
  EXPECT_FALSE(s1b->SharesStorageWith(*s1));
  const uint32_t n0 = s0->num_items();
  EXPECT_EQ(s1->num_items(), n0 + 1);
  EXPECT_EQ(s2->num_items(), n0 + 2);
  EXPECT_EQ(s1b->num_items(), n0 + 2);
  EXPECT_FALSE(s0->FindItem("a"));
  EXPECT_FALSE(s1->FindItem("b"));
  EXPECT_FALSE(s1->FindItem("c"));
  EXPECT_EQ(s2->FindItem("b"), n0 + 1);
  EXPECT_FALSE(s2->FindItem("c"));
  EXPECT_EQ(s1b->FindItem("c"), n0 + 1);
  EXPECT_FALSE(s1b->FindItem("b"));
  EXPECT_EQ(s2->ItemId(n0 + 1), "b");
  EXPECT_EQ(s1b->ItemId(n0 + 1), "c");
  EXPECT_EQ(nlohmann::json::parse(s2->ItemRefText(n0 + 1))["title"], "Alien Heat returns");
  EXPECT_EQ(nlohmann::json::parse(s1b->ItemRefText(n0 + 1))["title"], "Comedy");
  EXPECT_THROW(s2->WithItems({item("a", "again")}, embed(a)), std::invalid_argument);
  EXPECT_THROW(s2->WithItems({c, c}, [&] {
                 auto e = embed(c);
                 e.insert(e.end(), e.begin(), e.end());
                 return e;
               }()),
               std::invalid_argument);

  // The same answers as a snapshot built in one go.
  std::vector<float> emb_ab = embed(a);
  const auto eb = embed(b);
  emb_ab.insert(emb_ab.end(), eb.begin(), eb.end());
  const auto fresh = Snapshot::Build(s0->model_ptr(), s0->model_dir(), {a, b}, emb_ab, nullptr);
  const std::vector<HistoryEntry> h = {{0, 4.f}, {n0 + 1, 2.f}, {2, 5.f}};
  UserQuery q;
  q.use_trained_factor = false;
  q.history = h;
  for (const bool excl : {true, false}) {
    RankRequest rq;
    rq.k = 10;
    rq.explain = true;
    rq.exclude_seen = excl;
    const auto x = s2->ranker().Recommend(q, rq), y = fresh->ranker().Recommend(q, rq);
    ASSERT_EQ(x.items.size(), y.items.size());
    for (size_t i = 0; i < x.items.size(); ++i) {
      EXPECT_EQ(x.items[i].item, y.items[i].item);
      EXPECT_EQ(x.items[i].score, y.items[i].score);
    }
  }
  const auto sx = s2->ranker().Similar(n0 + 1, 5, SimilarMode::kHybrid);
  const auto sy = fresh->ranker().Similar(n0 + 1, 5, SimilarMode::kHybrid);
  ASSERT_EQ(sx.size(), sy.size());
  for (size_t i = 0; i < sx.size(); ++i) EXPECT_EQ(sx[i].item, sy[i].item);

  // One item at a time, 600 times: the storage is copied only when its spare rows run out.
  std::shared_ptr<const Snapshot> s = s0;
  int copies = 0;
  for (int i = 0; i < 600; ++i) {
    const AddedItem it = item("g" + std::to_string(i), "Growing film " + std::to_string(i));
    auto next = s->WithItems({it}, embed(it));
    if (!next->SharesStorageWith(*s)) ++copies;
    s = std::move(next);
  }
  EXPECT_EQ(s->num_added(), 600u);
  EXPECT_LE(copies, 3);
  EXPECT_EQ(s->FindItem("g0"), n0);
  EXPECT_EQ(s->FindItem("g599"), n0 + 599);
  fs::remove_all(dir);
}

// Two LiveStates on one PostgreSQL database, as two replicas: writers on both, each state's
// follower applying the other's events while readers run. In the end each holds every
// acknowledged event exactly once.
TEST(LiveStateFollowTest, TwoStatesOnOnePostgresDatabaseConverge) {
  const auto url = store::testing::TestPostgresUrl();
  if (!url) GTEST_SKIP() << "no test PostgreSQL server (run through ctest, which starts one)";
  store::testing::ScratchDatabase pg(*url);
  const fs::path dir = TempDir("live_state_follow");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  std::unique_ptr<LiveState> states[2];
  for (auto& st : states) {
    auto s = store::OpenPostgresEventStore(pg.url());
    ASSERT_TRUE(s.ok()) << s.status().message();
    auto opened = LiveState::Open(dir / "model", std::move(s).value());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    st = std::move(opened).value();
    ASSERT_TRUE(st->StartFollowing({}).ok());
    ASSERT_TRUE(st->following());
  }
  constexpr int kPerWriter = 40;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w] {
      LiveState& st = *states[w % 2];
      for (int i = 0; i < kPerWriter; ++i) {
        std::vector<EventIn> batch = {{"f" + std::to_string(w), std::to_string(1 + i % 6), 1.f, std::nullopt}};
        ASSERT_TRUE(st.RecordEvents(batch, 1000 + i).ok());
      }
    });
  threads.emplace_back([&] {
    while (!stop.load())
      for (auto& st : states) (void)st->Current()->users().Get("f0");
  });
  for (size_t t = 0; t + 1 < threads.size(); ++t) threads[t].join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto converged = [&] {
    for (auto& st : states)
      for (int w = 0; w < 4; ++w)
        if (st->Current()->users().Get("f" + std::to_string(w)).size() != size_t{kPerWriter}) return false;
    return true;
  };
  while (!converged() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  threads.back().join();
  for (auto& st : states)
    for (int w = 0; w < 4; ++w)
      EXPECT_EQ(st->Current()->users().Get("f" + std::to_string(w)).size(), size_t{kPerWriter}) << "writer " << w;
  EXPECT_EQ(states[0]->events_followed() + states[1]->events_followed(), 4 * kPerWriter);
  for (auto& st : states) st->StopFollowing();
  fs::remove_all(dir);
}

}  // namespace
