#include "eval/fusion_tune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "collab/popularity.h"
#include "model/trained_model.h"
#include "eval/test_util.h"
#include "ranking/recommenders.h"

namespace hybridrec {
namespace {

std::vector<float> Embeddings(uint32_t n, int d) {
  std::mt19937 g(5);
  std::normal_distribution<float> nd;
  std::vector<float> e(static_cast<size_t>(n) * d);
  for (float& v : e) v = nd(g);
  return e;
}

// A grid axis over one float field.
GridAxis FloatAxis(std::string name, std::vector<float> values, float RankerOptions::*field) {
  GridAxis a{std::move(name), {}};
  for (float v : values) a.values.push_back([v, field](RankerOptions& o) { o.*field = v; });
  return a;
}

// TuneFusion with a small ALS model (4 factors, 3 iterations, one thread) and d = 4 embeddings.
Result<FusionTuneResult> TuneSmall(const Dataset& ds, const Split& split, const std::vector<float>& emb,
                                   FusionTuneOptions o) {
  o.als.factors = 4;
  o.als.iterations = 3;
  o.threads = 1;
  return TuneFusion(ds, split, emb, 4, o);
}

TEST(FusionTuneTest, GridSizesPerProtocol) {
  RankerOptions base;
  EXPECT_EQ(DefaultFusionGrid(SplitProtocol::kRandom, base).size(), 2u * 5 * 4 * 2);
  // N 200 x T 5 x w_max 4 x fold-in 2 x blends 4 x recent 2 x co-occurrence (off + 5 x 2).
  EXPECT_EQ(DefaultFusionGrid(SplitProtocol::kColdUsers, base).size(), 1u * 5 * 4 * 2 * 4 * 2 * 11);
  // w_max 5 (0.3 too) x the map (off, ridge 1, ridge 10), no blend.
  EXPECT_EQ(DefaultFusionGrid(SplitProtocol::kColdItems, base).size(), 2u * 5 * 5 * 3);
  EXPECT_EQ(DefaultFusionGrid(SplitProtocol::kTemporal, base).size(), 2u * 5 * 4 * 5 * 5);
  // The co-occurrence axis: off first, then on, fading at 20 items by default.
  const FusionGrid cu = DefaultFusionGrid(SplitProtocol::kColdUsers, base);
  const GridAxis& cooc = cu.axes.back();
  ASSERT_EQ(cooc.name, "cooccurrence");
  RankerOptions first = base, last = base;
  cooc.values.front()(first);
  cooc.values.back()(last);
  EXPECT_EQ(first.cooccurrence.weight, 0.f);
  EXPECT_EQ(last.cooccurrence.T, 20.f);
  EXPECT_GT(last.cooccurrence.weight, 0.f);
}

TEST(FusionTuneTest, BaseIsTrialZeroAndBestIsTheMaximum) {
  const Dataset ds = eval_testing::MakeDataset(120, 40);
  SplitOptions so;
  so.validation = true;
  auto split = MakeSplit(ds, so);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  const auto emb = Embeddings(40, 4);
  FusionTuneOptions o;
  o.base.T = 7.f;
  o.grid.axes.push_back(FloatAxis("T", {1.f, 20.f}, &RankerOptions::T));
  o.grid.axes.push_back(FloatAxis("w_max", {0.5f, 1.f}, &RankerOptions::w_max));
  GridAxis blend{"popularity", {}};  // off, or on with two half-lives
  for (auto [mix, hl] : std::vector<std::pair<float, float>>{{0.f, 0.f}, {0.5f, 0.f}, {0.5f, 3.f}})
    blend.values.push_back([mix = mix, hl = hl](RankerOptions& r) {
      r.popularity.mix = mix;
      r.popularity.half_life_days = hl;
    });
  o.grid.axes.push_back(blend);
  auto r = TuneSmall(ds, *split, emb, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // 1 base + T(2) x w_max(2) x (blend off + blend on x 2 half-lives).
  ASSERT_EQ(r->trials.size(), 1u + 2 * 2 * 3);
  EXPECT_EQ(r->trials[0].ranker.T, 7.f);
  EXPECT_EQ(r->metric_name, "ndcg@10");
  double best = -1;
  for (const auto& t : r->trials) best = std::max(best, t.metric);
  EXPECT_EQ(r->trials[r->best].metric, best);
  EXPECT_GE(r->trials[r->best].metric, r->trials[0].metric);
  EXPECT_GT(r->validation_users, 0u);
  const auto j = r->ToJson();
  EXPECT_EQ(j["trials"], r->trials.size());
  EXPECT_EQ(j["best"]["T"], r->best_options().T);
  // Without a validation part: refused.
  SplitOptions plain;
  auto no_val = MakeSplit(ds, plain);
  ASSERT_TRUE(no_val.ok());
  EXPECT_FALSE(TuneFusion(ds, *no_val, emb, 4, o).ok());
}

TEST(FusionTuneTest, FoldsPoolValidationUsers) {
  const Dataset ds = eval_testing::MakeDataset(200, 40);
  SplitOptions so;
  so.protocol = SplitProtocol::kColdUsers;
  so.validation = true;
  auto split = MakeSplit(ds, so);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  const auto emb = Embeddings(40, 4);
  FusionTuneOptions o;
  o.grid.axes.push_back(FloatAxis("w_max", {0.5f, 1.f}, &RankerOptions::w_max));
  o.als.factors = 4;
  o.als.iterations = 2;
  o.threads = 1;
  auto one = TuneFusion(ds, *split, emb, 4, o);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  o.folds = 3;
  auto three = TuneFusion(ds, *split, emb, 4, o);
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(one->folds, 1u);
  EXPECT_EQ(three->folds, 3u);
  EXPECT_GT(three->validation_users, one->validation_users);
  ASSERT_EQ(three->trials.size(), one->trials.size());
  auto again = TuneFusion(ds, *split, emb, 4, o);  // deterministic
  ASSERT_TRUE(again.ok());
  for (size_t t = 0; t < three->trials.size(); ++t) EXPECT_EQ(three->trials[t].metric, again->trials[t].metric);
}

TEST(FusionTuneTest, TuningSplitUsesAllDataAndColdItemsSelectsRecall) {
  const Dataset ds = eval_testing::MakeDataset(120, 40);
  SplitOptions so;
  so.protocol = SplitProtocol::kColdItems;
  auto split = MakeTuningSplit(ds, so);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_TRUE(split->options.validation);
  EXPECT_TRUE(split->train.empty());
  EXPECT_EQ(split->validation_train.size() + split->validation.size(), ds.interactions.size());
  EXPECT_FALSE(split->cold_items.empty());
  const auto emb = Embeddings(40, 4);
  FusionTuneOptions o;
  GridAxis map{"map_cold_items", {}};
  for (bool on : {false, true}) map.values.push_back([on](RankerOptions& r) { r.map_cold_items = on; });
  o.grid.axes.push_back(map);
  auto r = TuneSmall(ds, *split, emb, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metric_name, "recall@20");
  EXPECT_EQ(r->trials.size(), 3u);
  for (const auto& t : r->trials) EXPECT_EQ(t.metric, t.recall);
}

TEST(FusionTuneTest, HybridRankerPopularityIsTheDecayedPopularity) {
  const Dataset ds = eval_testing::MakeDataset(60, 40);
  const auto m = BuildInteractionMatrix(ds.num_users(), ds.num_items(), ds.interactions);
  const auto emb = Embeddings(40, 4);
  HybridRecommenderOptions ho;
  ho.als.factors = 4;
  ho.als.iterations = 2;
  ho.threads = 1;
  HybridRecommender h(emb, 4, ho);
  FitInput in;
  in.dataset = &ds;
  in.train = &m;
  ASSERT_TRUE(h.Fit(in).ok());
  const auto counts = DecayedPopularity(ds, m, 0.0);
  EXPECT_TRUE(std::equal(counts.begin(), counts.end(), h.ranker_popularity().begin()));
  RankerOptions r;
  r.popularity.half_life_days = 0.001f;
  h.SetRankerOptions(r);
  const auto decayed = DecayedPopularity(ds, m, r.popularity.half_life_days);
  ASSERT_EQ(h.ranker_popularity().size(), decayed.size());
  for (size_t i = 0; i < decayed.size(); ++i) EXPECT_EQ(h.ranker_popularity()[i], decayed[i]);
  EXPECT_FALSE(std::equal(counts.begin(), counts.end(), decayed.begin()));
}

TEST(FusionTuneTest, TunedOptionsRoundTripThroughTheManifestJson) {
  RankerOptions r;
  r.candidates = 100;
  r.T = 5.f;
  r.w_max = 0.85f;
  r.popularity.mix = 0.2f;
  r.popularity.T = 50.f;
  r.popularity.half_life_days = 30.f;
  r.collab.foldin_regularization = 100.f;
  r.map_cold_items = true;
  r.map_ridge = 10.f;
  r.recent.items = 10;
  r.recent.weight = 0.5f;
  r.recent.regularization = 10.f;
  r.cooccurrence.weight = 2.f;
  r.cooccurrence.neighbours = 50;
  r.cooccurrence.alpha = 0.75f;
  r.cooccurrence.beta = 0.3f;
  r.cooccurrence.T = 20.f;
  auto back = RankerOptionsFromJson(RankerOptionsToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->candidates, r.candidates);
  EXPECT_EQ(back->T, r.T);
  EXPECT_EQ(back->w_max, r.w_max);
  EXPECT_EQ(back->popularity.mix, r.popularity.mix);
  EXPECT_EQ(back->popularity.T, r.popularity.T);
  EXPECT_EQ(back->popularity.half_life_days, r.popularity.half_life_days);
  EXPECT_EQ(back->collab.foldin_regularization, r.collab.foldin_regularization);
  EXPECT_EQ(back->map_cold_items, r.map_cold_items);
  EXPECT_EQ(back->map_ridge, r.map_ridge);
  EXPECT_EQ(back->recent.items, r.recent.items);
  EXPECT_EQ(back->recent.weight, r.recent.weight);
  EXPECT_EQ(back->recent.regularization, r.recent.regularization);
  EXPECT_EQ(back->cooccurrence.neighbour_options(), r.cooccurrence.neighbour_options());
  EXPECT_EQ(back->cooccurrence.weight, r.cooccurrence.weight);
  EXPECT_EQ(back->cooccurrence.T, r.cooccurrence.T);
  // An older manifest without the new field keeps today's behaviour (no decay).
  auto j = RankerOptionsToJson(r);
  j.erase("popularity_half_life_days");
  EXPECT_EQ(RankerOptionsFromJson(j)->popularity.half_life_days, 0.f);
  j["popularity_half_life_days"] = -1.0;
  EXPECT_FALSE(RankerOptionsFromJson(j).ok());
  // ... and without the recent-items fields: the signal is off.
  j = RankerOptionsToJson(r);
  j.erase("recent_items");
  j.erase("recent_weight");
  EXPECT_EQ(RankerOptionsFromJson(j)->recent.items, 0u);
  EXPECT_EQ(RankerOptionsFromJson(j)->recent.weight, 0.f);
  j["recent_weight"] = -2.0;
  EXPECT_FALSE(RankerOptionsFromJson(j).ok());
}

}  // namespace
}  // namespace hybridrec
