#include "eval/metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "ranking/item_filter.h"

namespace hybridrec {
namespace {

using V = std::vector<uint32_t>;

TEST(MetricsTest, HandComputedAtFour) {
  // Hits at ranks 2 (item 3) and 4 (item 1); item 7 is never recommended.
  const V ranked = {5, 3, 9, 1};
  const V relevant = {1, 3, 7};
  const UserMetrics m = ComputeUserMetrics(ranked, relevant, 4);
  EXPECT_DOUBLE_EQ(m.precision, 0.5);
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3.0);
  // DCG = 1/log2(3) + 1/log2(5); IDCG over min(4, 3) = 3 slots = 1 + 1/log2(3) + 1/2.
  EXPECT_NEAR(m.ndcg, 0.49818925746641285, 1e-12);
  // AP = (1/2 + 2/4) / min(4, 3).
  EXPECT_NEAR(m.ap, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(m.hit, 1.0);
}

TEST(MetricsTest, HandComputedAtTwoUsesOnlyPrefix) {
  const V ranked = {5, 3, 9, 1};
  const V relevant = {1, 3, 7};
  EXPECT_DOUBLE_EQ(PrecisionAtK(ranked, relevant, 2), 0.5);
  EXPECT_DOUBLE_EQ(RecallAtK(ranked, relevant, 2), 1.0 / 3.0);
  // IDCG over min(2, 3) = 2 slots.
  EXPECT_NEAR(NdcgAtK(ranked, relevant, 2), 0.38685280723454163, 1e-12);
  EXPECT_NEAR(AveragePrecisionAtK(ranked, relevant, 2), 0.25, 1e-12);
  EXPECT_EQ(HitRateAtK(ranked, relevant, 2), 1.0);
  EXPECT_EQ(HitRateAtK(ranked, relevant, 1), 0.0);
}

TEST(MetricsTest, PerfectRankingScoresOne) {
  const V relevant = {2, 4, 8};
  const V ranked = {8, 2, 4, 0, 1};
  const UserMetrics m = ComputeUserMetrics(ranked, relevant, 5);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_NEAR(m.ndcg, 1.0, 1e-12);
  EXPECT_NEAR(m.ap, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.precision, 3.0 / 5.0);
}

TEST(MetricsTest, NoHitsScoresZero) {
  const UserMetrics m = ComputeUserMetrics(V{0, 1, 2}, V{7}, 3);
  EXPECT_EQ(m.precision, 0.0);
  EXPECT_EQ(m.recall, 0.0);
  EXPECT_EQ(m.ndcg, 0.0);
  EXPECT_EQ(m.ap, 0.0);
  EXPECT_EQ(m.hit, 0.0);
}

TEST(MetricsTest, FewerThanKRecommendationsStillDividesPrecisionByK) {
  const UserMetrics m = ComputeUserMetrics(V{3}, V{3}, 10);
  EXPECT_DOUBLE_EQ(m.precision, 0.1);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_NEAR(m.ndcg, 1.0, 1e-12);  // IDCG over min(10, 1) = 1 slot
  EXPECT_NEAR(m.ap, 1.0, 1e-12);
  const UserMetrics empty = ComputeUserMetrics(V{}, V{3}, 10);
  EXPECT_EQ(empty.precision, 0.0);
  EXPECT_EQ(empty.ndcg, 0.0);
}

TEST(MetricsTest, DuplicateRecommendationCountsOnce) {
  const UserMetrics m = ComputeUserMetrics(V{3, 3, 3}, V{3, 4}, 3);
  EXPECT_DOUBLE_EQ(m.precision, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_NEAR(m.ndcg, 0.6131471927654584, 1e-12);  // 1 / (1 + 1/log2(3))
  EXPECT_NEAR(m.ap, 0.5, 1e-12);
}

TEST(MetricsTest, RejectsMisuse) {
  EXPECT_THROW(ComputeUserMetrics(V{1}, V{}, 10), std::invalid_argument);  // no test items
  EXPECT_THROW(ComputeUserMetrics(V{1}, V{1}, 0), std::invalid_argument);  // K = 0
  EXPECT_THROW(ComputeUserMetrics(V{1}, V{4, 1}, 5), std::invalid_argument);  // unsorted
  EXPECT_THROW(ComputeUserMetrics(V{1}, V{1, 1}, 5), std::invalid_argument);  // duplicates
}

TEST(MetricsTest, CatalogueCoverage) {
  const V lists = {0, 1, kNoItem, 1, 2, 3};  // two lists, stride 3; the first has 2 items
  EXPECT_DOUBLE_EQ(CatalogueCoverage(lists, 3, 2, 10), 0.3);  // {0, 1, 2}
  EXPECT_DOUBLE_EQ(CatalogueCoverage(lists, 3, 3, 10), 0.4);  // {0, 1, 2, 3}
  EXPECT_DOUBLE_EQ(CatalogueCoverage(V{}, 3, 3, 10), 0.0);
  EXPECT_THROW(CatalogueCoverage(lists, 3, 4, 10), std::invalid_argument);
  EXPECT_THROW(CatalogueCoverage(lists, 3, 3, 0), std::invalid_argument);
  EXPECT_THROW(CatalogueCoverage(lists, 3, 3, 3), std::invalid_argument);  // item 3 out of range
}

TEST(MetricsTest, PairedDifference) {
  const std::vector<double> a = {1, 2, 3, 4}, b = {0, 0, 0, 0};
  const PairedStat d = PairedDifference(a, b);
  EXPECT_EQ(d.n, 4u);
  EXPECT_DOUBLE_EQ(d.mean, 2.5);
  EXPECT_NEAR(d.stderr_, 0.6454972243679028, 1e-12);  // sqrt((5/3) / 4)
  // Identical per-user values: zero mean and zero error, whatever the spread across users.
  const PairedStat same = PairedDifference(a, a);
  EXPECT_EQ(same.mean, 0.0);
  EXPECT_EQ(same.stderr_, 0.0);
  EXPECT_EQ(PairedDifference(std::vector<double>{1.0}, std::vector<double>{0.5}).stderr_, 0.0);
  EXPECT_THROW(PairedDifference(a, std::vector<double>{1.0}), std::invalid_argument);
}

TEST(MetricsTest, IntraListDiversityAndNovelty) {
  ItemCategories c;
  c.num_categories = 3;
  // item 0: {0}, 1: {0}, 2: {1, 2}, 3: {0, 1}, 4: none
  c.indptr = {0, 1, 2, 4, 6, 6};
  c.ids = {0, 0, 1, 2, 0, 1};
  EXPECT_DOUBLE_EQ(IntraListDiversity(V{0, 1}, 10, c), 0.0);  // same genres
  EXPECT_DOUBLE_EQ(IntraListDiversity(V{0, 2}, 10, c), 1.0);  // disjoint
  EXPECT_DOUBLE_EQ(IntraListDiversity(V{0, 3}, 10, c), 0.5);  // Jaccard 1/2
  EXPECT_DOUBLE_EQ(IntraListDiversity(V{0, 2, 1}, 2, c), 1.0);  // only the first K count
  EXPECT_DOUBLE_EQ(IntraListDiversity(V{0, kNoItem, 2}, 3, c), 1.0);
  EXPECT_DOUBLE_EQ(IntraListDiversity(V{0}, 10, c), 0.0);
  EXPECT_DOUBLE_EQ(IntraListDiversity(V{4, 4}, 10, c), 0.0);
  const std::vector<uint32_t> users = {7, 0, 3};
  EXPECT_DOUBLE_EQ(Novelty(V{0}, 10, users, 7), 0.0);  // everyone took it
  EXPECT_DOUBLE_EQ(Novelty(V{1}, 10, users, 7), 3.0);  // nobody: -log2(1/8)
  EXPECT_DOUBLE_EQ(Novelty(V{0, 1, 2}, 2, users, 7), 1.5);
  EXPECT_DOUBLE_EQ(Novelty(V{}, 10, users, 7), 0.0);
}

TEST(MetricsTest, ContentIntraListDistance) {
  // Unit rows in 2-D: 0 = (1,0), 1 = (1,0), 2 = (0,1), 3 = (-1,0), 4 = no text (zeros).
  const std::vector<float> e = {1, 0, 1, 0, 0, 1, -1, 0, 0, 0};
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{0, 1}, 10, e, 2), 0.0);  // identical
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{0, 2}, 10, e, 2), 1.0);  // orthogonal
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{0, 3}, 10, e, 2), 2.0);  // opposite
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{0, 4}, 10, e, 2), 1.0);  // no text
  // Pairs (0,1) 0, (0,2) 1, (1,2) 1: mean 2/3; only the first K count; kNoItem is skipped.
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{0, 1, 2, 3}, 3, e, 2), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{0, kNoItem, 3}, 3, e, 2), 2.0);
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{2}, 10, e, 2), 0.0);
  EXPECT_DOUBLE_EQ(ContentIntraListDistance(V{}, 10, e, 2), 0.0);
  EXPECT_THROW(ContentIntraListDistance(V{0, 5}, 10, e, 2), std::out_of_range);
  EXPECT_THROW(ContentIntraListDistance(V{0, 1}, 10, e, 0), std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec
