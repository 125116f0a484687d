#include "ranking/signal_recent.h"

#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "ranking/ranking_test_util.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

TEST(HybridRankerRecent, AddsTheZScoredRecentFactorScore) {
  RandomModel m(40, 38, 61);  // items 38 and 39 have no trained factor
  const uint32_t n = m.n;
  const AlsModel& als = m.als;
  RankerOptions o;
  o.candidates = 10;
  o.T = 4.f;
  o.recent.items = 2;
  o.recent.weight = 0.8f;
  o.recent.regularization = 50.f;
  HybridRanker r(&als, m.emb, m.d, nullptr, {}, o);
  const std::vector<HistoryEntry> h = {{3, 1.f}, {7, 2.f}, {11, 4.f}, {39, 1.f}};
  // Most recent first; 39 has no trained factor and is skipped, so 11 and 7 are used.
  const std::vector<uint32_t> recent = {39, 11, 7, 3};
  UserQuery q;
  q.history = h;
  q.recent = recent;
  const auto resp = r.Recommend(q, 10);
  EXPECT_EQ(resp.path, RankPath::kHybrid);
  EXPECT_EQ(resp.weight("recent"), 0.8f);
  EXPECT_EQ(resp.inputs("recent"), 2u);
  ASSERT_FALSE(resp.items.empty());
  ExpectFusedScores(resp);
  bool any_z = false;
  for (const auto& it : resp.items) {
    any_z = any_z || resp.z(it, "recent") != 0.f;
  }
  EXPECT_TRUE(any_z);
  // The recent factor is the fold-in of exactly those items with their strengths.
  const std::vector<HistoryEntry> used = {{11, 4.f}, {7, 2.f}};
  const auto xr = als.FoldInUser(used, 50.f);
  std::vector<float> sr(n - 2);
  als.ScoreVector(xr, sr);
  // Among candidates, z_recent orders as x_recent . y_i.
  for (size_t a = 0; a < resp.items.size(); ++a)
    for (size_t b = 0; b < resp.items.size(); ++b) {
      const uint32_t i = resp.items[a].item, j = resp.items[b].item;
      if (i >= n - 2 || j >= n - 2) continue;
      if (sr[i] > sr[j] + 1e-4f) {
        EXPECT_GE(resp.z(resp.items[a], "recent"), resp.z(resp.items[b], "recent"));
      }
    }
  // Off: no recent list, or weight 0, gives the plain hybrid.
  UserQuery plain;
  plain.history = h;
  const auto base = r.Recommend(plain, 10);
  EXPECT_EQ(base.weight("recent"), 0.f);
  EXPECT_EQ(base.inputs("recent"), 0u);
  RankerOptions off = o;
  off.recent.weight = 0.f;
  HybridRanker r_off(&als, m.emb, m.d, nullptr, {}, off);
  const auto resp_off = r_off.Recommend(q, 10);
  ASSERT_EQ(resp_off.items.size(), base.items.size());
  for (size_t t = 0; t < base.items.size(); ++t) {
    EXPECT_EQ(resp_off.items[t].item, base.items[t].item);
    EXPECT_EQ(resp_off.items[t].score, base.items[t].score);
    EXPECT_EQ(base.z(base.items[t], "recent"), 0.f);
  }
  // The order of `recent` matters: only the first RecentOptions::items with a factor are used.
  const std::vector<uint32_t> other = {3, 7, 11};
  q.recent = other;
  const auto resp2 = r.Recommend(q, 10);
  EXPECT_EQ(resp2.inputs("recent"), 2u);
  bool differs = false;
  for (size_t t = 0; t < std::min(resp.items.size(), resp2.items.size()); ++t)
    differs = differs || resp.z(resp.items[t], "recent") != resp2.z(resp2.items[t], "recent");
  EXPECT_TRUE(differs);
  // Out of range is an error, as for the history.
  const std::vector<uint32_t> bad = {n + 5};
  q.recent = bad;
  EXPECT_THROW(r.Recommend(q, 3), std::invalid_argument);
  RankerOptions neg = o;
  neg.recent.weight = -1.f;
  EXPECT_THROW(neg.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec
