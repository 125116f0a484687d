#include "ranking/signal_fresh.h"

#include <gtest/gtest.h>

#include <vector>

#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

// The fixture's item 7 has no trained factor and the text of item 2; the history holds item 2.
struct FreshFixture : SignalFixture {
  std::shared_ptr<const Signal> sig = MakeFreshSignal({&als, true, nullptr}, o);
  TestQuery tq{{{2, 1.f}, {4, 1.f}}, {2.f, 2.f}};
  QueryView View(const ActiveSignals* active) {
    QueryView v = tq.view;
    v.signals = active;
    return v;
  }
};

TEST(FreshSignal, OnlyBesideTheCollaborativeSignalAndOnlyWithColdItems) {
  FreshFixture f;
  ASSERT_NE(f.sig, nullptr);
  EXPECT_EQ(f.sig->name(), "fresh");
  EXPECT_FALSE(f.sig->primary());
  EXPECT_FALSE(f.sig->z_scored());
  SignalScratch s;
  const NamesActive both({"collab", "content"}), content({"content"});
  EXPECT_TRUE(f.sig->Prepare(f.tc.cat, f.View(&both), s));
  EXPECT_FALSE(f.sig->Prepare(f.tc.cat, f.View(&content), s));
  EXPECT_FALSE(f.sig->Prepare(f.tc.cat, f.View(nullptr), s));
  Catalogue warm = f.tc.cat;
  warm.num_cold = 0;
  EXPECT_FALSE(f.sig->Prepare(warm, f.View(&both), s));
  // Off with boost and floor 0, and without either layer.
  RankerOptions off = f.o;
  off.fresh.boost = 0.f;
  off.fresh.content_floor = 0.f;
  EXPECT_EQ(MakeFreshSignal({&f.als, true, nullptr}, off), nullptr);
  EXPECT_EQ(MakeFreshSignal({nullptr, true, nullptr}, f.o), nullptr);
  EXPECT_EQ(MakeFreshSignal({&f.als, false, nullptr}, f.o), nullptr);
}

TEST(FreshSignal, BoostsOnlyUntrainedItemsByTheCollaborativeWeightAndKeepsThemAContentFloor) {
  FreshFixture f;
  const std::vector<uint32_t> cand = {1, 7, 3};
  NamesActive a({"collab", "content", "popularity"});
  a.zs["content"] = {0.5f, 2.f, -1.f};
  a.secondary = 0.5f;  // e.g. the popularity weight
  SignalScratch s;
  std::vector<float> raw(cand.size());
  // A long history: w_u = 0.9 leaves the content 0.1 < floor 0.25, so 0.15 more on z_content.
  a.weights["collab"] = 0.9f;
  EXPECT_EQ(f.sig->Weight(f.tc.cat, f.View(&a), s, a), 1.f);
  f.sig->Score(f.tc.cat, f.View(&a), s, cand, raw);
  EXPECT_EQ(raw[0], 0.f);
  EXPECT_EQ(raw[2], 0.f);
  EXPECT_NEAR(raw[1], 0.9f * 1.25f * 1.5f + 0.15f * 2.f, 1e-6);
  // A short history: w_u = 0.4 leaves the content 0.6 >= floor; the boost shrinks with w_u.
  a.weights["collab"] = 0.4f;
  f.sig->Weight(f.tc.cat, f.View(&a), s, a);
  f.sig->Score(f.tc.cat, f.View(&a), s, cand, raw);
  EXPECT_NEAR(raw[1], 0.4f * 1.25f * 1.5f, 1e-6);
  // Without the content signal: the boost alone, with w_u = 1.
  NamesActive collab({"collab"});
  collab.weights["collab"] = 1.f;
  f.sig->Weight(f.tc.cat, f.View(&collab), s, collab);
  f.sig->Score(f.tc.cat, f.View(&collab), s, cand, raw);
  EXPECT_EQ(raw, (std::vector<float>{0.f, 1.25f, 0.f}));
}

TEST(FreshSignal, ExplainsAColdItemByTheHistoryItemsItIsMostLike) {
  FreshFixture f;
  NamesActive a({"collab", "content"});
  SignalScratch s;
  const std::vector<uint32_t> recommended = {7, 1};
  std::vector<std::vector<Contribution>> out(recommended.size());
  f.sig->Explain(f.tc.cat, f.View(&a), s, recommended, 2, out);
  ASSERT_FALSE(out[0].empty());
  EXPECT_EQ(out[0][0].history_item, 2u);  // item 7 has item 2's text
  EXPECT_TRUE(out[1].empty());            // a trained item: not this signal's to explain
}

}  // namespace
}  // namespace hybridrec
