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
