#include "data/confidence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace hybridrec {
namespace {

// 3 users x 4 items; item 0 is used by every user (idf <= 0 under BM25).
InteractionMatrix Tiny() {
  std::vector<Interaction> xs = {{0, 0, 1.f, 0}, {0, 1, 4.f, 0}, {1, 0, 2.f, 0}, {1, 2, 3.f, 0},
                                 {1, 3, 1.f, 0}, {2, 0, 5.f, 0}, {2, 3, 2.f, 0}};
  return BuildInteractionMatrix(3, 4, xs);
}

float Raw(const InteractionMatrix& m, uint32_t u, uint32_t i) {
  const auto idx = m.by_user.RowIndices(u);
  const auto val = m.by_user.RowValues(u);
  for (size_t k = 0; k < idx.size(); ++k)
    if (idx[k] == i) return val[k];
  return 0.f;
}

// Both orientations must hold the same value for each (u, i).
void ExpectOrientationsAgree(const InteractionMatrix& m) {
  for (uint32_t i = 0; i < m.num_items(); ++i) {
    const auto users = m.by_item.RowIndices(i);
    const auto vals = m.by_item.RowValues(i);
    for (size_t k = 0; k < users.size(); ++k) EXPECT_EQ(vals[k], Raw(m, users[k], i)) << "u=" << users[k] << " i=" << i;
  }
}

TEST(Confidence, ParseAndName) {
  for (auto kind : {ConfidenceKind::kLinear, ConfidenceKind::kLog, ConfidenceKind::kBm25}) {
    auto parsed = ParseConfidenceKind(ConfidenceKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto bad = ParseConfidenceKind("tf-idf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("expected linear, log or bm25"), std::string::npos);
}

TEST(Confidence, Linear) {
  const auto raw = Tiny();
  ConfidenceOptions o;
  o.alpha = 2.f;
  const auto c = ApplyConfidence(raw, o);
  EXPECT_EQ(Raw(c, 0, 1), 9.f);
  EXPECT_EQ(Raw(c, 2, 0), 11.f);
  EXPECT_EQ(c.by_user.indices, raw.by_user.indices);
  ExpectOrientationsAgree(c);
}

TEST(Confidence, Log) {
  const auto raw = Tiny();
  ConfidenceOptions o;
  o.kind = ConfidenceKind::kLog;
  o.alpha = 3.f;
  o.eps = 0.5f;
  const auto c = ApplyConfidence(raw, o);
  EXPECT_NEAR(Raw(c, 0, 1), 1.0 + 3.0 * std::log(1.0 + 4.0 / 0.5), 1e-5);
  EXPECT_NEAR(Raw(c, 1, 3), 1.0 + 3.0 * std::log(3.0), 1e-5);
  ExpectOrientationsAgree(c);
}

TEST(Confidence, Bm25MatchesHandComputation) {
  const auto raw = Tiny();
  ConfidenceOptions o;
  o.kind = ConfidenceKind::kBm25;
  o.alpha = 1.5f;
  o.bm25_k1 = 1.2f;
  o.bm25_b = 0.75f;
  const auto c = ApplyConfidence(raw, o);
  // Reference: implicit's bm25_weight on the user x item matrix, in double.
  const double n = 3;
  const double df[4] = {3, 1, 1, 2};
  const double len[3] = {5, 6, 7};
  const double avg = 6;
  for (uint32_t u = 0; u < 3; ++u) {
    for (uint32_t i = 0; i < 4; ++i) {
      const double r = Raw(raw, u, i);
      if (r == 0) continue;
      const double idf = std::log(n) - std::log1p(df[i]);
      const double norm = (1 - 0.75) + 0.75 * len[u] / avg;
      const double w = std::max(0.0, r * (1.2 + 1) / (1.2 * norm + r) * idf);
      EXPECT_NEAR(Raw(c, u, i), 1.0 + 1.5 * w, 1e-5) << "u=" << u << " i=" << i;
    }
  }
  // Item 0 is used by all users: idf < 0, clamped so c == 1.
  EXPECT_EQ(Raw(c, 2, 0), 1.f);
  EXPECT_GT(Raw(c, 0, 1), 1.f);
  ExpectOrientationsAgree(c);
}

TEST(Confidence, RejectsBadOptions) {
  const auto raw = Tiny();
  ConfidenceOptions o;
  o.alpha = -1.f;
  EXPECT_THROW(ApplyConfidence(raw, o), std::invalid_argument);
  o.alpha = 1.f;
  o.kind = ConfidenceKind::kLog;
  o.eps = 0.f;
  EXPECT_THROW(ApplyConfidence(raw, o), std::invalid_argument);
  o.kind = ConfidenceKind::kBm25;
  o.bm25_b = 1.5f;
  EXPECT_THROW(ApplyConfidence(raw, o), std::invalid_argument);
  auto broken = raw;
  broken.by_item.values.pop_back();
  broken.by_item.indices.pop_back();
  EXPECT_THROW(ApplyConfidence(broken, ConfidenceOptions{}), std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec
