// The extension point: a signal defined here, outside the ranker, joins the candidates, the
// fused score and the explanations of a HybridRanker without any change to the ranker.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "ranking/hybrid_ranker.h"
#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

// Promotes one item: proposes it, scores it 1 and every other candidate 0, with a constant
// weight, and explains it by the user's first history item.
class PromoteSignal final : public Signal {
 public:
  PromoteSignal(uint32_t item, float weight) : item_(item), weight_(weight) {}
  std::string_view name() const override { return "promote"; }
  bool Prepare(const Catalogue& cat, const QueryView&, SignalScratch&) const override { return item_ < cat.num_items; }
  void Propose(const Catalogue&, const QueryView& q, SignalScratch&, size_t,
               std::vector<uint32_t>& out) const override {
    if (!std::binary_search(q.seen.begin(), q.seen.end(), item_)) out.push_back(item_);
  }
  void Score(const Catalogue&, const QueryView&, SignalScratch&, std::span<const uint32_t> cand,
             std::span<float> raw) const override {
    for (size_t j = 0; j < cand.size(); ++j) raw[j] = cand[j] == item_ ? 1.f : 0.f;
  }
  float Weight(const Catalogue&, const QueryView&, SignalScratch&, const ActiveSignals&) const override {
    return weight_;
  }
  void Explain(const Catalogue&, const QueryView& q, const SignalScratch&, std::span<const uint32_t> items, size_t,
               std::vector<std::vector<Contribution>>& out) const override {
    for (size_t r = 0; r < items.size(); ++r)
      if (items[r] == item_ && !q.items.empty()) out[r] = {{q.items[0], 1.f}};
  }

 private:
  uint32_t item_;
  float weight_;
};

TEST(SignalExtension, AToySignalJoinsCandidatesFusionAndExplanations) {
  Fixture f;
  RankerOptions o = PlainOptions();
  o.candidates = 1;  // each built-in signal proposes one item only
  const std::vector<HistoryEntry> h = {{0, 1.f}, {3, 2.f}};
  UserQuery q;
  q.known_user = 1;
  q.history = h;
  const HybridRanker plain(&f.als, f.emb, Fixture::d, nullptr, f.pop, o);
  const auto before = plain.Recommend(q, 8);
  // Pick an item the built-in signals do not propose.
  uint32_t target = 0;
  for (uint32_t i = 1; i < Fixture::n; ++i) {
    bool listed = i == 3;
    for (const auto& it : before.items) listed = listed || it.item == i;
    if (!listed) {
      target = i;
      break;
    }
  }
  ASSERT_NE(target, 0u);
  const HybridRanker r(&f.als, f.emb, Fixture::d, nullptr, f.pop, o, {}, nullptr,
                       {std::make_shared<PromoteSignal>(target, 3.f)});
  ASSERT_EQ(r.signals().size(), 3u);
  EXPECT_EQ(r.signals()[2]->name(), "promote");
  RankRequest rq;
  rq.k = 8;
  rq.explain = true;
  const auto resp = r.Recommend(q, rq);
  ASSERT_TRUE(resp.slot("promote").has_value());
  EXPECT_EQ(resp.weight("promote"), 3.f);
  ASSERT_FALSE(resp.items.empty());
  EXPECT_EQ(resp.items[0].item, target);  // a candidate only through the toy signal, and on top
  for (const auto& it : resp.items) {
    const float w = resp.weight("collab");
    EXPECT_NEAR(it.score, w * resp.z(it, "collab") + (1 - w) * resp.z(it, "content") + 3.f * resp.z(it, "promote"),
                1e-5);
    const auto why = resp.reasons(it, "promote");
    if (it.item == target) {
      ASSERT_EQ(why.size(), 1u);
      EXPECT_EQ(why[0].history_item, 0u);
      EXPECT_GT(resp.z(it, "promote"), 0.f);
    } else {
      EXPECT_TRUE(why.empty());
    }
  }
  // The batch path fuses it the same way.
  std::vector<RankResponse> batch(1);
  r.RecommendBatch({&q, 1}, 8, batch);
  ASSERT_EQ(batch[0].items.size(), resp.items.size());
  for (size_t t = 0; t < resp.items.size(); ++t) {
    EXPECT_EQ(batch[0].items[t].item, resp.items[t].item);
    EXPECT_EQ(batch[0].items[t].score, resp.items[t].score);
  }
  // A null extra signal is refused.
  EXPECT_THROW(HybridRanker(&f.als, f.emb, Fixture::d, nullptr, f.pop, o, {}, nullptr, {nullptr}),
               std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec
