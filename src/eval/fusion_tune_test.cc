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

TEST(FusionTuneTest, GridSizesPerProtocol) {
  RankerOptions base;
  EXPECT_EQ(DefaultFusionGrid(SplitProtocol::kRandom, base).size(), 2u * 5 * 4 * 2);
  const FusionGrid cu = DefaultFusionGrid(SplitProtocol::kColdUsers, base);
  // N 200 x T 5 x w_max 4 x blends 4 x fold-in 2 x recent 2 x co-occurrence (off + 5 x 2).
  EXPECT_EQ(cu.size(), 1u * 5 * 4 * 4 * 2 * 2 * 11);
  EXPECT_EQ(std::get<0>(cu.cooccurrence.front()), 0.f);  // off is one of the choices
  EXPECT_EQ(std::get<3>(cu.cooccurrence.back()), 20.f);  // on: fades at 20 items by default
  const FusionGrid ci = DefaultFusionGrid(SplitProtocol::kColdItems, base);
  EXPECT_EQ(ci.w_max.front(), 0.3f);
  EXPECT_EQ(ci.map_cold_items.size(), 2u);
  EXPECT_TRUE(ci.blends.empty());
  const FusionGrid t = DefaultFusionGrid(SplitProtocol::kTemporal, base);
  EXPECT_EQ(t.blends.size(), 5u);
  ASSERT_EQ(t.recent.size(), 5u);
  EXPECT_EQ(std::get<0>(t.recent.front()), 0u);  // off is one of the choices
  EXPECT_EQ(t.size(), 2u * 5 * 4 * 5 * 5);
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
  o.grid.T = {1.f, 20.f};
  o.grid.w_max = {0.5f, 1.f};
  o.grid.blends = {{0.f, 0.f}, {0.5f, 0.f}};
  o.grid.popularity_half_life_days = {0.f, 3.f};  // only tried with a blend
  o.als.factors = 4;
  o.als.iterations = 3;
  o.threads = 1;
  auto r = TuneFusion(ds, *split, emb, 4, o);
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
  o.grid.w_max = {0.5f, 1.f};
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
  o.grid.map_cold_items = {false, true};
  o.als.factors = 4;
  o.als.iterations = 3;
  o.threads = 1;
  auto r = TuneFusion(ds, *split, emb, 4, o);
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
  r.popularity_half_life_days = 0.001f;
  h.SetRankerOptions(r);
  const auto decayed = DecayedPopularity(ds, m, 0.001);
  ASSERT_EQ(h.ranker_popularity().size(), decayed.size());
  for (size_t i = 0; i < decayed.size(); ++i) EXPECT_FLOAT_EQ(h.ranker_popularity()[i], decayed[i]);
  EXPECT_FALSE(std::equal(counts.begin(), counts.end(), decayed.begin()));
}

TEST(FusionTuneTest, TunedOptionsRoundTripThroughTheManifestJson) {
  RankerOptions r;
  r.candidates = 100;
  r.T = 5.f;
  r.w_max = 0.85f;
  r.popularity_mix = 0.2f;
  r.popularity_T = 50.f;
  r.popularity_half_life_days = 30.f;
  r.foldin_regularization = 100.f;
  r.map_cold_items = true;
  r.map_ridge = 10.f;
  r.recent_items = 10;
  r.recent_weight = 0.5f;
  r.recent_regularization = 10.f;
  r.cooccurrence_weight = 2.f;
  r.cooccurrence_neighbours = 50;
  r.cooccurrence_alpha = 0.75f;
  r.cooccurrence_beta = 0.3f;
  r.cooccurrence_T = 20.f;
  auto back = RankerOptionsFromJson(RankerOptionsToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->candidates, r.candidates);
  EXPECT_EQ(back->T, r.T);
  EXPECT_EQ(back->w_max, r.w_max);
  EXPECT_EQ(back->popularity_mix, r.popularity_mix);
  EXPECT_EQ(back->popularity_T, r.popularity_T);
  EXPECT_EQ(back->popularity_half_life_days, r.popularity_half_life_days);
  EXPECT_EQ(back->foldin_regularization, r.foldin_regularization);
  EXPECT_EQ(back->map_cold_items, r.map_cold_items);
  EXPECT_EQ(back->map_ridge, r.map_ridge);
  EXPECT_EQ(back->recent_items, r.recent_items);
  EXPECT_EQ(back->recent_weight, r.recent_weight);
  EXPECT_EQ(back->recent_regularization, r.recent_regularization);
  EXPECT_EQ(back->neighbour_options(), r.neighbour_options());
  EXPECT_EQ(back->cooccurrence_weight, r.cooccurrence_weight);
  EXPECT_EQ(back->cooccurrence_T, r.cooccurrence_T);
  // An older manifest without the new field keeps today's behaviour (no decay).
  auto j = RankerOptionsToJson(r);
  j.erase("popularity_half_life_days");
  EXPECT_EQ(RankerOptionsFromJson(j)->popularity_half_life_days, 0.f);
  j["popularity_half_life_days"] = -1.0;
  EXPECT_FALSE(RankerOptionsFromJson(j).ok());
  // ... and without the recent-items fields: the signal is off.
  j = RankerOptionsToJson(r);
  j.erase("recent_items");
  j.erase("recent_weight");
  EXPECT_EQ(RankerOptionsFromJson(j)->recent_items, 0u);
  EXPECT_EQ(RankerOptionsFromJson(j)->recent_weight, 0.f);
  j["recent_weight"] = -2.0;
  EXPECT_FALSE(RankerOptionsFromJson(j).ok());
}

}  // namespace
}  // namespace hybridrec
