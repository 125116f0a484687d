#include "eval/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "model/trained_model.h"

namespace hybridrec {
namespace {

constexpr uint32_t kUsers = 160;
constexpr uint32_t kItems = 60;
constexpr uint32_t kGroups = 4;
constexpr int kDim = 8;

// Users and items fall into kGroups taste groups; a user mostly picks items of its own group,
// so ALS settings rank held-back items of known items measurably differently.
Dataset GroupedDataset() {
  Dataset ds;
  ds.name = "grouped";
  ds.format = "generic";
  for (uint32_t i = 0; i < kItems; ++i) ds.items.GetOrAdd("i" + std::to_string(i));
  ds.item_info.resize(kItems);
  std::mt19937 g(11);
  const uint32_t per_group = kItems / kGroups;
  for (uint32_t u = 0; u < kUsers; ++u) {
    ds.users.GetOrAdd("u" + std::to_string(u));
    const uint32_t group = u % kGroups;
    const uint32_t n = 8 + u % 7;
    std::vector<uint32_t> picked;
    while (picked.size() < n) {
      const bool own = g() % 10 < 8;
      const uint32_t item = own ? group * per_group + static_cast<uint32_t>(g() % per_group)
                                : static_cast<uint32_t>(g() % kItems);
      if (std::find(picked.begin(), picked.end(), item) != picked.end()) continue;
      picked.push_back(item);
      Interaction x;
      x.user = u;
      x.item = item;
      x.strength = static_cast<float>(1 + g() % 5);
      x.timestamp = static_cast<int64_t>(1000 + picked.size());
      ds.interactions.push_back(x);
    }
  }
  ds.has_timestamps = true;
  return ds;
}

// Item embeddings that carry the group (one-hot) plus noise, so content can reach cold items.
std::vector<float> GroupedEmbeddings() {
  std::mt19937 g(5);
  std::normal_distribution<float> nd(0.f, 0.3f);
  std::vector<float> e(static_cast<size_t>(kItems) * kDim);
  for (uint32_t i = 0; i < kItems; ++i)
    for (int d = 0; d < kDim; ++d)
      e[i * kDim + static_cast<size_t>(d)] = nd(g) + (static_cast<uint32_t>(d) == i / (kItems / kGroups) ? 1.f : 0.f);
  return e;
}

TuningOptions SmallTuning() {
  TuningOptions o;
  o.als.iterations = 4;
  o.als.threads = 1;
  o.als_grid.factors = {4, 8};
  o.als_grid.regularization = {0.01f, 30.f};
  o.als_grid.alpha = {1.f};
  o.als_grid.iterations = {4};
  o.als_grid.reg_exponent = {0.f};
  return o;
}

void ExpectSameChoice(const TuningOutcome& a, const TuningOutcome& b) {
  EXPECT_EQ(AlsOptionsToJson(a.als), AlsOptionsToJson(b.als));
  EXPECT_EQ(RankerOptionsToJson(a.ranker), RankerOptionsToJson(b.ranker));
  EXPECT_EQ(a.als_tuning.ToJson()["best_ndcg@10"], b.als_tuning.ToJson()["best_ndcg@10"]);
  EXPECT_EQ(a.fusion_tuning.trials[a.fusion_tuning.best].metric, b.fusion_tuning.trials[b.fusion_tuning.best].metric);
  EXPECT_EQ(a.cold_guard.ToJson(), b.cold_guard.ToJson());
}

// The layout `train --tune` tunes on (MakeTuningSplit: no train or test part, the dataset is
// the tuning data) holding the same validation data as `split`.
Split TrainLayout(const Split& split) {
  Split s;
  s.options = split.options;
  s.validation_train = split.validation_train;
  s.validation = split.validation;
  s.validation_revealed = split.validation_revealed;
  s.cold_items = split.cold_items;
  s.validation_train_matrix = split.validation_train_matrix;
  s.validation_matrix = split.validation_matrix;
  s.validation_revealed_matrix = split.validation_revealed_matrix;
  return s;
}

TEST(PipelineTest, FusionFoldsPerProtocol) {
  EXPECT_EQ(FusionFolds(SplitProtocol::kColdUsers), 5u);
  EXPECT_EQ(FusionFolds(SplitProtocol::kRandom), 1u);
  EXPECT_EQ(FusionFolds(SplitProtocol::kColdItems), 1u);
}

TEST(PipelineTest, EvaluatePathTunesWithTheSharedFunction) {
  const Dataset ds = GroupedDataset();
  const auto emb = GroupedEmbeddings();
  PipelineOptions po;
  po.tune = true;
  po.ks = {10};
  po.tuning = SmallTuning();
  po.content_encoder = "test";
  auto run = RunEvaluationPipeline(ds, emb, kDim, po, 3);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_TRUE(run->tuning.has_value());
  EXPECT_EQ(AlsOptionsToJson(run->als), AlsOptionsToJson(run->tuning->als));
  EXPECT_EQ(run->als.seed, 3u);
  const auto& params = run->result.params;
  for (const char* key : {"collab", "split", "content", "fusion", "tuning", "fusion_tuning"})
    EXPECT_TRUE(params.contains(key)) << key;
  EXPECT_FALSE(params["tuning"].contains("validation_protocol"));  // random: ALS on the split itself
  EXPECT_EQ(params["content"]["encoder"], "test");
  ASSERT_EQ(run->result.models.size(), 4u);

  // What `train --tune` calls, on the same split: the same choice.
  TuningOptions to = po.tuning;
  to.als.seed = 3;
  auto direct = TuneOnSplit(ds, run->split, emb, kDim, to);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  ExpectSameChoice(*run->tuning, *direct);

  // Without tune: the given options, no tuning params.
  po.tune = false;
  auto plain = RunEvaluationPipeline(ds, emb, kDim, po, 3);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->tuning.has_value());
  EXPECT_FALSE(plain->result.params.contains("tuning"));
  EXPECT_EQ(plain->als.factors, po.tuning.als.factors);
}

TEST(PipelineTest, EvaluateLayoutAndTrainLayoutChooseTheSameOptions) {
  const Dataset ds = GroupedDataset();
  const auto emb = GroupedEmbeddings();
  for (SplitProtocol protocol : {SplitProtocol::kRandom, SplitProtocol::kColdItems}) {
    SCOPED_TRACE(SplitProtocolName(protocol));
    SplitOptions so;
    so.protocol = protocol;
    so.seed = 4;
    so.validation = true;
    auto split = MakeSplit(ds, so);
    ASSERT_TRUE(split.ok()) << split.status().ToString();
    auto evaluate_path = TuneOnSplit(ds, *split, emb, kDim, SmallTuning());
    ASSERT_TRUE(evaluate_path.ok()) << evaluate_path.status().ToString();
    // train's data set is evaluate's train part; its tuning split has no train part of its own.
    Dataset train_data = ds;
    train_data.interactions = split->train;
    auto train_path = TuneOnSplit(train_data, TrainLayout(*split), emb, kDim, SmallTuning());
    ASSERT_TRUE(train_path.ok()) << train_path.status().ToString();
    ExpectSameChoice(*evaluate_path, *train_path);
  }
}

TEST(PipelineTest, ColdItemsAlsGridIsScoredOnWarmItems) {
  const Dataset ds = GroupedDataset();
  const auto emb = GroupedEmbeddings();
  SplitOptions so;
  so.protocol = SplitProtocol::kColdItems;
  so.cold_item_fraction = 0.2;
  so.seed = 1;
  so.validation = true;
  auto split = MakeSplit(ds, so);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  const TuningOptions o = SmallTuning();

  // On the cold-items validation targets ALS scores 0 for every setting: the grid cannot choose.
  TuneOptions direct;
  direct.grid = o.als_grid;
  direct.base = o.als;
  direct.eval_threads = 1;
  auto tied = TuneAls(ds, *split, direct);
  ASSERT_TRUE(tied.ok()) << tied.status().ToString();
  for (const auto& t : tied->trials) EXPECT_EQ(t.ndcg, 0.0);

  // The warm split: random protocol over the train part, no cold item in it.
  auto warm = AlsTuningSplit(ds, *split);
  ASSERT_TRUE(warm.ok()) << warm.status().ToString();
  EXPECT_EQ(warm->options.protocol, SplitProtocol::kRandom);
  EXPECT_EQ(warm->validation_train.size() + warm->validation.size(), split->train.size());
  for (const Interaction& x : warm->validation)
    EXPECT_FALSE(std::binary_search(split->cold_items.begin(), split->cold_items.end(), x.item));

  auto tuned = TuneOnSplit(ds, *split, emb, kDim, o);
  ASSERT_TRUE(tuned.ok()) << tuned.status().ToString();
  EXPECT_EQ(tuned->als_protocol, SplitProtocol::kRandom);
  const auto& trials = tuned->als_tuning.trials;
  ASSERT_EQ(trials.size(), 4u);
  const auto [lo, hi] = std::minmax_element(trials.begin(), trials.end(),
                                            [](const TuneTrial& a, const TuneTrial& b) { return a.ndcg < b.ndcg; });
  EXPECT_GT(hi->ndcg, 0.0);
  EXPECT_GT(hi->ndcg, lo->ndcg);  // the settings are told apart
  EXPECT_EQ(tuned->als_tuning.trials[tuned->als_tuning.best_index].ndcg, hi->ndcg);
  EXPECT_EQ(tuned->AlsTuningJson(SplitProtocol::kColdItems)["validation_protocol"], "random");
  // The fusion grid still runs on the cold-items validation part, by recall@20.
  EXPECT_EQ(tuned->fusion_tuning.metric_name, "recall@20");
}

TEST(PipelineTest, ColdItemsTuningSplitUsesTheWholeDataset) {
  const Dataset ds = GroupedDataset();
  SplitOptions so;
  so.protocol = SplitProtocol::kColdItems;
  auto split = MakeTuningSplit(ds, so);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  auto warm = AlsTuningSplit(ds, *split);
  ASSERT_TRUE(warm.ok()) << warm.status().ToString();
  EXPECT_EQ(warm->validation_train.size() + warm->validation.size(), ds.interactions.size());
  // Other protocols: the split itself.
  so.protocol = SplitProtocol::kRandom;
  auto random = MakeTuningSplit(ds, so);
  ASSERT_TRUE(random.ok());
  auto same = AlsTuningSplit(ds, *random);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->validation.size(), random->validation.size());
}

// A random-protocol validation split of the grouped data set (seed 2) and small ALS options.
struct GuardSetup {
  Dataset ds = GroupedDataset();
  std::vector<float> emb = GroupedEmbeddings();
  Split split;
  AlsOptions als = SmallTuning().als;
  GuardSetup() {
    SplitOptions so;
    so.seed = 2;
    so.validation = true;
    auto s = MakeSplit(ds, so);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) split = std::move(*s);
    als.factors = 8;
  }
};

TEST(PipelineTest, ColdItemGuardRestoresAFreshItemsPathThatTuningLost) {
  GuardSetup g;
  // Options that leave items without interactions nothing to be ranked by but their content
  // weight, which w_max 1 takes away: no estimated factor, no fresh-items signal.
  RankerOptions lost;
  lost.w_max = 1.f;
  lost.T = 1.f;
  lost.cold_knn = 0;
  lost.fresh = {.boost = 0.f, .content_floor = 0.f};
  RankerOptions tuned = lost;
  // The reference: the defaults without the popularity blend. Every user of this small synthetic
  // set has a short history, so the blend would take most of the new items' reach by itself.
  RankerOptions reference;
  reference.popularity.mix = 0.f;
  auto guard = GuardColdItems(g.ds, g.split, g.emb, kDim, g.als, g.als, reference, 0.5, tuned);
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  EXPECT_TRUE(guard->ran);
  EXPECT_GT(guard->reference_recall, 0.0);
  EXPECT_LT(guard->tuned_recall, 0.95 * guard->reference_recall);
  ASSERT_TRUE(guard->raised);
  EXPECT_GT(guard->saved_recall, guard->tuned_recall);
  EXPECT_GE(guard->saved_recall, 0.95 * guard->reference_recall);
  // The weakest setting that reaches 95% of the defaults' recall (or the best there is).
  EXPECT_GE(tuned.fresh.boost, ColdGuardSettings().front().first);
  EXPECT_GE(tuned.fresh.content_floor, ColdGuardSettings().front().second);
  // Nothing else changes, and the validation metric is measured again with the raised options.
  RankerOptions only_fresh = tuned;
  only_fresh.fresh = lost.fresh;
  EXPECT_EQ(RankerOptionsToJson(only_fresh), RankerOptionsToJson(lost));
  EXPECT_EQ(guard->metric_before, 0.5);
  EXPECT_GT(guard->metric_after, 0.0);
  EXPECT_NE(guard->metric_after, 0.5);
  const auto j = guard->ToJson();
  EXPECT_EQ(j["raised"], true);
  EXPECT_EQ(j["saved_recall@20"], guard->saved_recall);
}

TEST(PipelineTest, ColdItemGuardLeavesOptionsThatReachNewItemsAlone) {
  GuardSetup g;
  RankerOptions tuned;
  auto guard = GuardColdItems(g.ds, g.split, g.emb, kDim, g.als, g.als, RankerOptions{}, 0.25, tuned);
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  EXPECT_TRUE(guard->ran);
  EXPECT_FALSE(guard->raised);
  EXPECT_EQ(guard->tuned_recall, guard->reference_recall);
  EXPECT_EQ(guard->saved_recall, guard->tuned_recall);
  EXPECT_EQ(guard->metric_after, 0.25);
  EXPECT_EQ(RankerOptionsToJson(tuned), RankerOptionsToJson(RankerOptions{}));
}

TEST(PipelineTest, ColdItemGuardShareZeroIsOffAndAboveOneIsRefused) {
  GuardSetup g;
  RankerOptions lost;
  lost.fresh = {.boost = 0.f, .content_floor = 0.f};
  RankerOptions tuned = lost;
  auto off = GuardColdItems(g.ds, g.split, g.emb, kDim, g.als, g.als, RankerOptions{}, 0.5, tuned, 0.0);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->ran);
  EXPECT_EQ(RankerOptionsToJson(tuned), RankerOptionsToJson(lost));
  auto bad = GuardColdItems(g.ds, g.split, g.emb, kDim, g.als, g.als, RankerOptions{}, 0.5, tuned, 1.5);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  TuningOptions o = SmallTuning();
  o.cold_guard = 0.0;
  auto tuning = TuneOnSplit(g.ds, g.split, g.emb, kDim, o);
  ASSERT_TRUE(tuning.ok());
  EXPECT_FALSE(tuning->cold_guard.ran);
}

TEST(PipelineTest, TuningRunsTheGuardExceptOnColdItems) {
  GuardSetup g;
  auto random = TuneOnSplit(g.ds, g.split, g.emb, kDim, SmallTuning());
  ASSERT_TRUE(random.ok()) << random.status().ToString();
  EXPECT_TRUE(random->cold_guard.ran);
  EXPECT_GE(random->cold_guard.saved_recall, random->cold_guard.tuned_recall);
  SplitOptions so;
  so.protocol = SplitProtocol::kColdItems;
  so.seed = 2;
  so.validation = true;
  auto cold = MakeSplit(g.ds, so);
  ASSERT_TRUE(cold.ok());
  auto tuned = TuneOnSplit(g.ds, *cold, g.emb, kDim, SmallTuning());
  ASSERT_TRUE(tuned.ok()) << tuned.status().ToString();
  EXPECT_FALSE(tuned->cold_guard.ran);
  // Without a content layer there is no fresh-items path to guard.
  auto collab_only = TuneOnSplit(g.ds, g.split, {}, 0, SmallTuning());
  ASSERT_TRUE(collab_only.ok());
  EXPECT_FALSE(collab_only->cold_guard.ran);
}

TEST(PipelineTest, TuningNeedsAValidationPart) {
  const Dataset ds = GroupedDataset();
  auto split = MakeSplit(ds, SplitOptions{});
  ASSERT_TRUE(split.ok());
  auto r = TuneOnSplit(ds, *split, {}, 0, SmallTuning());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace hybridrec
