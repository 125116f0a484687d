// End-to-end sanity check on ML-100K with the LSA encoder (skipped when the shared data is not
// there): the hybrid ranking must not lose to ALS alone on a per-user random 80/20 split, and
// both must beat the content-only model, which is weak on MovieLens titles and genres.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "collab/als_model.h"
#include "content/content_model.h"
#include "core/topk.h"
#include "data/loader.h"
#include "ranking/recommenders.h"

namespace hybridrec {
namespace {

double NdcgAt10(const Recommender& model, const InteractionMatrix& train,
                const std::vector<std::vector<uint32_t>>& test) {
  std::vector<float> s(train.num_items());
  double sum = 0.0;
  size_t users = 0;
  for (uint32_t u = 0; u < train.num_users(); ++u) {
    if (test[u].empty()) continue;
    model.ScoreUser(u, s);
    for (uint32_t i : train.by_user.RowIndices(u)) s[i] = -INFINITY;
    const auto top = TopK(s, 10);
    double dcg = 0.0, idcg = 0.0;
    for (size_t r = 0; r < top.size(); ++r)
      if (std::binary_search(test[u].begin(), test[u].end(), top[r])) dcg += 1.0 / std::log2(r + 2.0);
    for (size_t r = 0; r < std::min<size_t>(10, test[u].size()); ++r) idcg += 1.0 / std::log2(r + 2.0);
    sum += dcg / idcg;
    ++users;
  }
  return sum / static_cast<double>(users);
}

TEST(HybridMl100k, HybridIsAtLeastAsGoodAsCollab) {
  const std::filesystem::path dir = std::filesystem::path(HYBRIDREC_SHARED_DIR) / "data" / "ml-100k";
  if (!std::filesystem::exists(dir / "u.data")) GTEST_SKIP() << "no ML-100K at " << dir;
  auto ds = LoadDataset(dir);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ContentModelOptions co;
  co.encoder.choice = EncoderChoice::kLsa;
  auto cm = BuildContentModel(*ds, co);
  ASSERT_TRUE(cm.ok()) << cm.status().ToString();
  // Deterministic per-user 80/20 split: every 5th interaction of a user (file order) is test.
  std::vector<Interaction> train_rows;
  std::vector<std::vector<uint32_t>> test(ds->num_users());
  std::vector<uint32_t> seen(ds->num_users(), 0);
  for (const Interaction& x : ds->interactions) {
    if (seen[x.user]++ % 5 == 4) {
      test[x.user].push_back(x.item);
    } else {
      train_rows.push_back(x);
    }
  }
  for (auto& t : test) std::sort(t.begin(), t.end());
  const auto train = BuildInteractionMatrix(ds->num_users(), ds->num_items(), train_rows);
  FitInput in;
  in.dataset = &*ds;
  in.train = &train;
  HybridRecommenderOptions ho;
  ho.als.threads = 2;
  ho.threads = 2;
  HybridRecommender hybrid(cm->embeddings, cm->dimension(), ho);
  ASSERT_TRUE(hybrid.Fit(in).ok());
  ContentRecommender content(cm->embeddings, cm->dimension());
  ASSERT_TRUE(content.Fit(in).ok());
  const double h = NdcgAt10(hybrid, train, test);
  const double c = NdcgAt10(hybrid.als(), train, test);
  const double t = NdcgAt10(content, train, test);
  RecordProperty("ndcg_hybrid", std::to_string(h));
  EXPECT_GT(h, 0.35) << "hybrid " << h << " collab " << c << " content " << t;
  EXPECT_GE(h, c - 0.01) << "hybrid " << h << " collab " << c;
  EXPECT_GT(c, t);
  EXPECT_GT(t, 0.02);  // measured 0.058 here: the content path works end to end
  std::printf("ML-100K NDCG@10: hybrid %.4f collab %.4f content %.4f\n", h, c, t);
}

}  // namespace
}  // namespace hybridrec
