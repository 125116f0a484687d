#include "eval/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <functional>
#include <mutex>
#include <set>
#include <utility>

#include "core/random.h"
#include "eval/test_util.h"

namespace hybridrec {
namespace {

// A Recommender whose score is any function of (user, item): oracles, constants, noise.
class FnRecommender : public Recommender {
 public:
  using Fn = std::function<float(uint32_t, uint32_t)>;
  FnRecommender(std::string name, Fn fn, Status fit_status = Status::Ok())
      : name_(std::move(name)), fn_(std::move(fn)), fit_status_(std::move(fit_status)) {}
  std::string name() const override { return name_; }
  Status Fit(const FitInput& input) override {
    ++fit_calls;
    fitted_nnz = input.train->by_user.nnz();
    return fit_status_;
  }
  void ScoreUser(uint32_t user, std::span<float> scores) const override {
    for (uint32_t i = 0; i < scores.size(); ++i) scores[i] = fn_(user, i);
  }
  int fit_calls = 0;
  uint64_t fitted_nnz = 0;

 private:
  std::string name_;
  Fn fn_;
  Status fit_status_;
};

std::set<std::pair<uint32_t, uint32_t>> PairSet(const std::vector<Interaction>& xs) {
  std::set<std::pair<uint32_t, uint32_t>> s;
  for (const auto& x : xs) s.insert({x.user, x.item});
  return s;
}

Split MustSplit(const Dataset& ds, const SplitOptions& o = {}) {
  auto r = MakeSplit(ds, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

EvaluationResult MustEvaluate(const Dataset& ds, const Split& s, std::vector<Recommender*> models,
                              const EvalOptions& o = {}) {
  auto r = Evaluate(ds, s, models, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

TEST(EvaluatorTest, HandComputedSingleUser) {
  // One user, five items: item 0 in train, item 2 in test. A constant scorer ranks by index
  // (stable ties) after masking item 0, so the list is {1, 2, ...}: the hit is at rank 2.
  Dataset ds;
  ds.name = "tiny";
  ds.users.GetOrAdd("alice");
  for (int i = 0; i < 5; ++i) ds.items.GetOrAdd("m" + std::to_string(i));
  ds.item_info.resize(5);
  const InteractionMatrix train = BuildInteractionMatrix(1, 5, std::vector<Interaction>{{0, 0, 1.f, 0}});
  const InteractionMatrix test = BuildInteractionMatrix(1, 5, std::vector<Interaction>{{0, 2, 1.f, 0}});
  FnRecommender constant("constant", [](uint32_t, uint32_t) { return 0.f; });
  EvalOptions o;
  o.ks = {2};
  std::vector<Recommender*> models = {&constant};
  auto r = EvaluateModels(ds, train, test, models, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const MetricsAtK& m = r->models[0].at_k[0];
  EXPECT_DOUBLE_EQ(m.precision, 0.5);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_NEAR(m.ndcg, 1.0 / std::log2(3.0), 1e-12);
  EXPECT_NEAR(m.map, 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(m.hit_rate, 1.0);
  EXPECT_DOUBLE_EQ(m.coverage, 0.4);  // items {1, 2} of 5
  EXPECT_EQ(r->users_evaluated(), 1u);
  EXPECT_EQ(r->users_skipped, 0u);
  EXPECT_EQ(constant.fit_calls, 1);
  EXPECT_EQ(constant.fitted_nnz, 1u);
}

TEST(EvaluatorTest, OracleScoresPerfectly) {
  const Dataset ds = eval_testing::MakeDataset();
  const Split s = MustSplit(ds);
  const auto truth = PairSet(s.test);
  FnRecommender oracle("oracle", [&](uint32_t u, uint32_t i) { return truth.count({u, i}) ? 1.f : 0.f; });
  const EvaluationResult r = MustEvaluate(ds, s, {&oracle});
  ASSERT_EQ(r.models.size(), 1u);
  for (const MetricsAtK& m : r.models[0].at_k) {
    EXPECT_NEAR(m.ndcg, 1.0, 1e-12) << "k " << m.k;
    EXPECT_NEAR(m.map, 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(m.recall, 1.0);  // every synthetic user has <= 2 test items < K
    EXPECT_DOUBLE_EQ(m.hit_rate, 1.0);
  }
  EXPECT_EQ(oracle.fitted_nnz, s.train.size());
}

TEST(EvaluatorTest, TrainItemsAreMaskedAndUsersWithoutTestItemsSkipped) {
  const Dataset ds = eval_testing::MakeDataset();
  const Split s = MustSplit(ds);
  const auto train = PairSet(s.train);
  // Scores train items highest: if they were not masked, this model would rank them first
  // and score worse than the constant model. Masked, it produces the same lists.
  FnRecommender cheater("cheater", [&](uint32_t u, uint32_t i) { return train.count({u, i}) ? 5.f : 0.f; });
  FnRecommender constant("constant", [](uint32_t, uint32_t) { return 0.f; });
  const EvaluationResult r = MustEvaluate(ds, s, {&cheater, &constant});
  // Users with 1 or 2 interactions (u % 12 in {0, 1}) get no test items: 10 of 60.
  EXPECT_EQ(r.users_skipped, 10u);
  EXPECT_EQ(r.users_evaluated(), 50u);
  for (size_t ki = 0; ki < r.ks.size(); ++ki) {
    EXPECT_EQ(r.models[0].PerUser(ki, MetricKind::kNdcg), r.models[1].PerUser(ki, MetricKind::kNdcg));
    EXPECT_EQ(r.models[0].at_k[ki].coverage, r.models[1].at_k[ki].coverage);
  }
}

TEST(EvaluatorTest, DeterministicAcrossThreadsAndBatchSizes) {
  const Dataset ds = eval_testing::MakeDataset(200, 40);
  SplitOptions so;
  so.protocol = SplitProtocol::kGlobalRandom;
  const Split s = MustSplit(ds, so);
  FnRecommender noisy("noisy", [](uint32_t u, uint32_t i) {
    return static_cast<float>(SplitMix64((uint64_t{u} << 32) | i) % 1000) / 1000.f;
  });
  EvalOptions a;
  a.threads = 1;
  a.batch_users = 1;
  EvalOptions b;
  b.threads = 2;
  b.batch_users = 7;
  EvalOptions c;
  c.threads = 3;
  c.batch_users = 256;
  const EvaluationResult ra = MustEvaluate(ds, s, {&noisy}, a);
  const EvaluationResult rb = MustEvaluate(ds, s, {&noisy}, b);
  const EvaluationResult rc = MustEvaluate(ds, s, {&noisy}, c);
  for (size_t ki = 0; ki < ra.ks.size(); ++ki) {
    for (auto kind : {MetricKind::kPrecision, MetricKind::kRecall, MetricKind::kNdcg, MetricKind::kAp}) {
      EXPECT_EQ(ra.models[0].PerUser(ki, kind), rb.models[0].PerUser(ki, kind));
      EXPECT_EQ(ra.models[0].PerUser(ki, kind), rc.models[0].PerUser(ki, kind));
    }
    EXPECT_EQ(ra.models[0].at_k[ki].ndcg, rc.models[0].at_k[ki].ndcg);
    EXPECT_EQ(ra.models[0].at_k[ki].coverage, rc.models[0].at_k[ki].coverage);
  }
  // Noise is no oracle: somewhere between useless and perfect.
  EXPECT_GT(ra.models[0].at_k[0].ndcg, 0.0);
  EXPECT_LT(ra.models[0].at_k[0].ndcg, 1.0);
}

TEST(EvaluatorTest, JsonShapeAndPairedDifference) {
  const Dataset ds = eval_testing::MakeDataset();
  const Split s = MustSplit(ds);
  const auto truth = PairSet(s.test);
  FnRecommender constant("popularity", [](uint32_t, uint32_t) { return 0.f; });
  FnRecommender oracle("collab", [&](uint32_t u, uint32_t i) { return truth.count({u, i}) ? 1.f : 0.f; });
  EvaluationResult r = MustEvaluate(ds, s, {&constant, &oracle});
  r.params["collab"] = {{"factors", 8}};
  const auto j = r.ToJson();
  EXPECT_EQ(j["dataset"], "synthetic");
  EXPECT_EQ(j["protocol"], "random");
  EXPECT_EQ(j["seed"], 0);
  EXPECT_EQ(j["k"], nlohmann::ordered_json::parse("[10,20]"));
  EXPECT_EQ(j["users_evaluated"], 50);
  EXPECT_EQ(j["users_skipped"], 10);
  for (const char* model : {"popularity", "collab"})
    for (const char* key : {"precision@10", "recall@10", "ndcg@10", "map@10", "hit_rate@10", "coverage@10",
                            "precision@20", "ndcg@20"})
      EXPECT_TRUE(j["models"][model].contains(key)) << model << " " << key;
  for (const char* model : {"popularity", "collab"})
    for (const char* key : {"ild@10", "novelty@10", "calibration_kl@10", "ild@20", "novelty@20", "calibration_kl@20"})
      EXPECT_TRUE(j["beyond_accuracy"][model].contains(key)) << model << " " << key;
  EXPECT_GT(j["beyond_accuracy"]["popularity"]["novelty@10"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["models"]["collab"]["ndcg@10"].get<double>(), 1.0);
  const auto& d = j["paired"]["collab-popularity"]["ndcg@10"];
  const double want = 1.0 - r.model("popularity").at_k[0].ndcg;
  EXPECT_NEAR(d["mean"].get<double>(), want, 1e-12);
  EXPECT_GT(d["stderr"].get<double>(), 0.0);
  EXPECT_EQ(j["params"]["collab"]["factors"], 8);
  EXPECT_TRUE(j["timings"]["fit_s"].contains("collab"));
  EXPECT_TRUE(j["timings"]["eval_s"].contains("popularity"));
  EXPECT_THROW(r.model("hybrid"), std::invalid_argument);
}

TEST(EvaluatorTest, TableHasOneAlignedRowPerModel) {
  const Dataset ds = eval_testing::MakeDataset();
  const Split s = MustSplit(ds);
  FnRecommender a("popularity", [](uint32_t, uint32_t i) { return static_cast<float>(i); });
  FnRecommender b("a-longer-name", [](uint32_t, uint32_t) { return 0.f; });
  const EvaluationResult r = MustEvaluate(ds, s, {&a, &b});
  const std::string t = FormatTable(r);
  std::vector<std::string> lines;
  for (size_t pos = 0, nl; (nl = t.find('\n', pos)) != std::string::npos; pos = nl + 1)
    lines.push_back(t.substr(pos, nl - pos));
  // title, header, rule, two models; then the beyond-accuracy table: title, header, rule, two models.
  ASSERT_EQ(lines.size(), 10u) << t;
  EXPECT_NE(lines[1].find("NDCG@10"), std::string::npos);
  EXPECT_EQ(lines[3].rfind("popularity", 0), 0u);
  EXPECT_EQ(lines[4].rfind("a-longer-name", 0), 0u);
  EXPECT_EQ(lines[1].size(), lines[3].size());  // numbers right-aligned to the same edge
  EXPECT_EQ(lines[3].size(), lines[4].size());
  EXPECT_EQ(lines[5].rfind("beyond accuracy", 0), 0u);
  EXPECT_NE(lines[6].find("ILD@10"), std::string::npos);
  EXPECT_EQ(lines[6].size(), lines[8].size());
  EXPECT_EQ(lines[8].size(), lines[9].size());
}

TEST(EvaluatorTest, ContentDistanceFromTheEmbeddings) {
  const Dataset ds = eval_testing::MakeDataset();
  const Split s = MustSplit(ds);
  FnRecommender a("popularity", [](uint32_t, uint32_t i) { return static_cast<float>(i); });
  const uint32_t n = ds.num_items();
  // Every item the same unit vector: no distance. Every row zero (no text): distance 1 per pair.
  std::vector<float> same(size_t{n} * 2), none(size_t{n} * 2, 0.f);
  for (uint32_t i = 0; i < n; ++i) same[2 * i] = 1.f;
  for (const auto* e : {&same, &none}) {
    EvalOptions o;
    o.embeddings = *e;
    o.embedding_dim = 2;
    const EvaluationResult r = MustEvaluate(ds, s, {&a}, o);
    for (const MetricsAtK& m : r.models[0].at_k) {
      EXPECT_TRUE(m.content_diversity);
      EXPECT_DOUBLE_EQ(m.content_ild, e == &same ? 0.0 : 1.0) << "k " << m.k;
    }
    const auto j = r.ToJson();
    EXPECT_DOUBLE_EQ(j["beyond_accuracy"]["popularity"]["content_ild@20"].get<double>(), e == &same ? 0.0 : 1.0);
    EXPECT_NE(FormatTable(r).find("Dist@10"), std::string::npos) << FormatTable(r);
  }
  // Without embeddings nothing is computed or written.
  const EvaluationResult plain = MustEvaluate(ds, s, {&a});
  EXPECT_FALSE(plain.models[0].at_k[0].content_diversity);
  EXPECT_FALSE(plain.ToJson()["beyond_accuracy"]["popularity"].contains("content_ild@10"));
  // Embeddings that do not cover the catalogue are refused.
  EvalOptions bad;
  std::vector<float> short_rows(size_t{n - 1} * 2, 0.f);
  bad.embeddings = short_rows;
  bad.embedding_dim = 2;
  EXPECT_THROW((void)Evaluate(ds, s, std::vector<EvalModel>{{&a, nullptr}}, bad), std::invalid_argument);
}

TEST(EvaluatorTest, FitErrorNamesTheModel) {
  const Dataset ds = eval_testing::MakeDataset();
  const Split s = MustSplit(ds);
  FnRecommender bad("broken", [](uint32_t, uint32_t) { return 0.f; }, Status::InvalidArgument("no factors"));
  std::vector<Recommender*> models = {&bad};
  auto r = Evaluate(ds, s, models, EvalOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("broken"), std::string::npos);
  EvalOptions zero;
  zero.ks = {0};
  EXPECT_FALSE(Evaluate(ds, s, models, zero).ok());
}

TEST(EvaluatorTest, ColdItemsOnlyCountsHeldOutItems) {
  const Dataset ds = eval_testing::MakeDataset();
  SplitOptions so;
  so.protocol = SplitProtocol::kColdItems;
  const Split s = MustSplit(ds, so);
  const std::set<uint32_t> cold(s.cold_items.begin(), s.cold_items.end());
  // Ranks cold items first: every test item is a cold item, so recall is 1 when K >= #cold.
  FnRecommender cold_first("cold-first", [&](uint32_t, uint32_t i) { return cold.count(i) ? 1.f : 0.f; });
  const EvaluationResult r = MustEvaluate(ds, s, {&cold_first});
  ASSERT_GE(r.ks[0], cold.size());
  EXPECT_DOUBLE_EQ(r.models[0].at_k[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(r.models[0].at_k[0].hit_rate, 1.0);
}

}  // namespace
}  // namespace hybridrec

namespace hybridrec {
namespace {

TEST(EvaluatorTest, ColdUsersAreScoredFromRevealedHistoryOnly) {
  const Dataset ds = eval_testing::MakeDataset();
  SplitOptions so;
  so.protocol = SplitProtocol::kColdUsers;
  so.reveal = 2;
  const Split s = MustSplit(ds, so);
  FnRecommender constant("constant", [](uint32_t, uint32_t) { return 0.f; });
  // Without a history scorer the protocol cannot be run.
  std::vector<Recommender*> plain = {&constant};
  auto refused = Evaluate(ds, s, plain, EvalOptions{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("revealed history"), std::string::npos);

  // A history scorer that ranks the revealed items first: they must be masked, so the lists
  // equal the constant model's lists with revealed items removed.
  std::mutex mu;
  std::set<std::pair<uint32_t, uint32_t>> seen;  // (first revealed item, history length)
  HistoryScoreFn echo = [&](std::span<const uint32_t> items, std::span<const float> strengths,
                            std::span<float> scores) {
    ASSERT_EQ(items.size(), strengths.size());
    std::fill(scores.begin(), scores.end(), 0.f);
    for (uint32_t i : items) scores[i] = 10.f;
    std::lock_guard<std::mutex> lock(mu);
    seen.insert({items.empty() ? 0u : items[0], static_cast<uint32_t>(items.size())});
  };
  const std::vector<EvalModel> models = {{&constant, echo}};
  auto r = Evaluate(ds, s, models, EvalOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->protocol, "cold-users");
  // Evaluated users are exactly the held-out users with something left to predict.
  std::set<uint32_t> with_test;
  for (const auto& x : s.test) with_test.insert(x.user);
  EXPECT_EQ(std::set<uint32_t>(r->users.begin(), r->users.end()), with_test);
  EXPECT_EQ(seen.size(), r->users_evaluated());
  // Expected metrics by hand: constant scores rank by item id, revealed items removed.
  for (size_t ui = 0; ui < r->users.size(); ++ui) {
    const uint32_t u = r->users[ui];
    std::vector<uint32_t> list;
    const auto hidden = s.revealed_matrix.by_user.RowIndices(u);
    for (uint32_t i = 0; i < ds.num_items() && list.size() < 10; ++i)
      if (std::find(hidden.begin(), hidden.end(), i) == hidden.end()) list.push_back(i);
    const UserMetrics want = ComputeUserMetrics(list, s.test_matrix.by_user.RowIndices(u), 10);
    EXPECT_EQ(r->models[0].per_user[0][ui].ndcg, want.ndcg) << "user " << u;
    EXPECT_EQ(r->models[0].per_user[0][ui].recall, want.recall);
  }
}

}  // namespace
}  // namespace hybridrec

namespace hybridrec {
namespace {

TEST(EvaluatorTest, SummarizeRunsOverSeeds) {
  const Dataset ds = eval_testing::MakeDataset(200, 40);
  FnRecommender noisy("noisy", [](uint32_t u, uint32_t i) {
    return static_cast<float>(SplitMix64((uint64_t{u} << 32) | i) % 1000);
  });
  FnRecommender constant("constant", [](uint32_t, uint32_t) { return 0.f; });
  std::vector<EvaluationResult> runs;
  for (uint64_t seed : {0, 1}) {
    SplitOptions so;
    so.seed = seed;
    runs.push_back(MustEvaluate(ds, MustSplit(ds, so), {&constant, &noisy}));
  }
  auto summary = SummarizeRuns(runs);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const double a = runs[0].model("noisy").at_k[0].ndcg, b = runs[1].model("noisy").at_k[0].ndcg;
  ASSERT_NE(a, b);
  const auto& s = (*summary)["models"]["noisy"]["ndcg@10"];
  EXPECT_NEAR(s["mean"].get<double>(), (a + b) / 2, 1e-12);
  EXPECT_NEAR(s["sd"].get<double>(), std::abs(a - b) / std::sqrt(2.0), 1e-12);
  EXPECT_EQ((*summary)["seeds"], nlohmann::ordered_json::parse("[0,1]"));
  EXPECT_TRUE((*summary)["paired"]["noisy-constant"].contains("ndcg@20"));
  const std::string table = FormatRunsTable(*summary);
  EXPECT_NE(table.find("noisy"), std::string::npos);
  EXPECT_NE(table.find("+-"), std::string::npos);

  runs.push_back(MustEvaluate(ds, MustSplit(ds), {&noisy}));  // different model list
  EXPECT_FALSE(SummarizeRuns(runs).ok());
  EXPECT_FALSE(SummarizeRuns(std::span<const EvaluationResult>()).ok());
}

}  // namespace
}  // namespace hybridrec
