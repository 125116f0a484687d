// End-to-end check of the harness on the reference dataset (skipped when ../shared/data is not
// there): the real loader, split, popularity and ALS models, with known-good hyper-parameters.
#include <gtest/gtest.h>

#include <filesystem>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "data/loader.h"
#include "eval/evaluator.h"

namespace hybridrec {
namespace {

TEST(EvaluateMl100kTest, CollabClearlyBeatsPopularityOnRandomSplit) {
  const std::filesystem::path dir = std::filesystem::path(HYBRIDREC_SHARED_DIR) / "data" / "ml-100k";
  if (!std::filesystem::exists(dir / "u.data")) GTEST_SKIP() << "no ML-100K at " << dir;
  auto ds = LoadDataset(dir);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto split = MakeSplit(*ds, SplitOptions{});
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->test.size(), 20000u);  // sum over users of round(0.2 n_u), all users have >= 20

  AlsOptions o;  // the strong-regularisation setting the issue quotes (32 factors, lambda 30)
  o.factors = 32;
  o.regularization = 30.f;
  o.reg_exponent = 0.f;  // constant lambda, whatever the library default
  o.confidence.alpha = 1.f;
  o.threads = 2;
  AlsModel collab(o);
  PopularityModel popularity;
  std::vector<Recommender*> models = {&popularity, &collab};
  EvalOptions eo;
  eo.threads = 2;
  auto r = Evaluate(*ds, *split, models, eo);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->users_evaluated(), 943u);
  const double pop = r->model("popularity").at_k[0].ndcg;
  const double als = r->model("collab").at_k[0].ndcg;
  // Popularity NDCG@10 on per-user random 80/20 splits of ML-100K is about 0.22.
  EXPECT_NEAR(pop, 0.22, 0.02);
  EXPECT_GE(als, 0.43) << "collaborative quality target";
  const PairedStat d = PairedDifference(r->model("collab").PerUser(0, MetricKind::kNdcg),
                                        r->model("popularity").PerUser(0, MetricKind::kNdcg));
  EXPECT_GT(d.mean, 5 * d.stderr_);
  EXPECT_GT(r->model("collab").at_k[0].coverage, 5 * r->model("popularity").at_k[0].coverage);
}

}  // namespace
}  // namespace hybridrec
