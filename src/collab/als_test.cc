// Tests of the ALS kernels and AlsModel on tiny hand-built matrices.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "collab/als_kernels.h"
#include "collab/als_model.h"
#include "core/random.h"
#include "core/vector_kernels.h"
#include "data/confidence.h"

namespace hybridrec {
namespace {

// Random sparse matrix with strengths in [1, 5]; every user and item has >= 1 entry.
InteractionMatrix RandomMatrix(uint32_t users, uint32_t items, double density, uint64_t seed) {
  Rng rng(seed);
  std::vector<Interaction> v;
  for (uint32_t u = 0; u < users; ++u) {
    for (uint32_t i = 0; i < items; ++i) {
      if (rng.Uniform() < density || i == u % items || u == i % users) {
        v.push_back({u, i, static_cast<float>(1 + rng.Below(5)), 0});
      }
    }
  }
  return BuildInteractionMatrix(users, items, v);
}

std::vector<float> RandomFactors(uint32_t n, int k, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> y(static_cast<size_t>(n) * static_cast<size_t>(k));
  for (auto& f : y) f = static_cast<float>(rng.Normal() * 0.5);
  return y;
}

std::vector<float> LinearConf(std::span<const float> raw, float alpha) {
  std::vector<float> c(raw.size());
  for (size_t t = 0; t < raw.size(); ++t) c[t] = 1.f + alpha * raw[t];
  return c;
}

AlsOptions SmallOptions(AlsSolver solver) {
  AlsOptions o;
  o.factors = 6;
  o.regularization = 0.1f;
  o.reg_exponent = 0.f;  // constant lambda: the reference solves below use it as is
  o.confidence.alpha = 2.f;
  o.iterations = 8;
  o.solver = solver;
  o.threads = 1;
  o.seed = 7;
  o.init_scale = 0.1f;
  return o;
}

TEST(AlsKernelsTest, GramMatchesDirectSumAndIsThreadIndependent) {
  const int k = 5;
  const uint32_t n = 1300;  // > one reduction chunk
  const auto y = RandomFactors(n, k, 1);
  std::vector<float> g1(k * k), g2(k * k);
  als::ComputeGram(y, n, k, 1, g1);
  als::ComputeGram(y, n, k, 2, g2);
  EXPECT_EQ(g1, g2);
  for (int a = 0; a < k; ++a) {
    for (int b = 0; b < k; ++b) {
      double s = 0;
      for (uint32_t i = 0; i < n; ++i) s += double{y[i * k + a]} * y[i * k + b];
      EXPECT_NEAR(g1[a * k + b], s, 1e-3 * (1 + std::fabs(s)));
    }
  }
}

TEST(AlsKernelsTest, CholeskyAndLongCgRowMatchDenseReference) {
  // k = 8 and 21 take the generic loops, 16 and 64 the register-blocked AVX-512 kernels.
  for (int k : {8, 16, 21, 64}) {
    const uint32_t n = 150;
    const auto y = RandomFactors(n, k, 2);
    std::vector<float> gram(k * k);
    als::ComputeGram(y, n, k, 1, gram);
    const std::vector<uint32_t> idx = {1, 4, 9, 17, 30, 39, 77, 149};
    const std::vector<float> raw = {1, 5, 3, 2, 4, 1, 2, 2};
    const auto conf = LinearConf(raw, 3.f);
    const float reg = 0.5f;
    const auto ref = als::SolveRowReference(y, n, k, reg, idx, conf);
    als::RowScratch scratch;
    std::vector<float> xc(k), xg(k, 0.f);
    als::SolveRowCholesky(gram, reg, y, k, idx, conf, xc, scratch);
    als::SolveRowCg(gram, reg, y, k, idx, conf, 3 * k, xg, scratch);
    for (int j = 0; j < k; ++j) {
      EXPECT_NEAR(xc[j], ref[j], 1e-4) << "k " << k << " j " << j;
      EXPECT_NEAR(xg[j], ref[j], 1e-4) << "k " << k << " j " << j;
    }
    // Three warm-started steps from zero are not exact but do reduce the error.
    std::vector<float> x3(k, 0.f);
    als::SolveRowCg(gram, reg, y, k, idx, conf, 3, x3, scratch);
    double e0 = 0, e3 = 0;
    for (int j = 0; j < k; ++j) {
      e0 += ref[j] * ref[j];
      e3 += (x3[j] - ref[j]) * (x3[j] - ref[j]);
    }
    EXPECT_LT(e3, e0) << "k " << k;
  }
}

TEST(AlsKernelsTest, LossMatchesBruteForce) {
  const int k = 4;
  const auto m = RandomMatrix(9, 7, 0.3, 3);
  const auto x = RandomFactors(9, k, 4);
  const auto y = RandomFactors(7, k, 5);
  const auto conf = LinearConf(m.by_user.values, 2.f);
  std::vector<float> ru(9, 0.3f), ri(7, 0.2f);
  double brute = 0;
  for (uint32_t u = 0; u < 9; ++u) {
    for (uint32_t i = 0; i < 7; ++i) {
      double c = 1, p = 0;
      for (uint64_t t = m.by_user.indptr[u]; t < m.by_user.indptr[u + 1]; ++t) {
        if (m.by_user.indices[t] == i) { c = conf[t]; p = 1; }
      }
      double d = 0;
      for (int f = 0; f < k; ++f) d += double{x[u * k + f]} * y[i * k + f];
      brute += c * (p - d) * (p - d);
    }
  }
  for (uint32_t u = 0; u < 9; ++u) for (int f = 0; f < k; ++f) brute += 0.3 * x[u * k + f] * x[u * k + f];
  for (uint32_t i = 0; i < 7; ++i) for (int f = 0; f < k; ++f) brute += 0.2 * y[i * k + f] * y[i * k + f];
  const double loss = als::Loss(x, 9, y, 7, k, m.by_user.indptr, m.by_user.indices, conf, ru, ri, 2);
  EXPECT_NEAR(loss, brute, 1e-9 * std::fabs(brute));
}

TEST(AlsModelTest, UpdatesMatchDoubleReference) {
  const auto m = RandomMatrix(25, 18, 0.25, 11);
  AlsModel model(SmallOptions(AlsSolver::kCholesky));
  ASSERT_TRUE(model.Fit({nullptr, &m, true}).ok());
  const int k = model.factors();
  // The last half-step solved every item against the final X: check one item exactly.
  for (uint32_t item : {0u, 5u, 17u}) {
    const auto conf = LinearConf(m.by_item.RowValues(item), 2.f);
    const auto ref = als::SolveRowReference(model.user_factors(), 25, k, 0.1f, m.by_item.RowIndices(item), conf);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(model.item_factors()[item * k + f], ref[f], 1e-4);
  }
  // Frequency-scaled regularisation: lambda_i = lambda * (n_i + offset)^nu per row.
  {
    AlsOptions o = SmallOptions(AlsSolver::kCholesky);
    o.reg_exponent = 0.7f;
    o.reg_offset = 2.f;
    AlsModel scaled(o);
    ASSERT_TRUE(scaled.Fit({nullptr, &m, true}).ok());
    const uint32_t item = 9;
    const float reg = 0.1f * static_cast<float>(std::pow(m.by_item.RowLength(item) + 2.0, 0.7));
    const auto ref = als::SolveRowReference(scaled.user_factors(), 25, k, reg, m.by_item.RowIndices(item),
                                            LinearConf(m.by_item.RowValues(item), 2.f));
    for (int f = 0; f < k; ++f) EXPECT_NEAR(scaled.item_factors()[item * k + f], ref[f], 1e-4);
  }
  // One more user update against the final Y (fold-in) equals the dense double solution.
  const uint32_t u = 3;
  std::vector<std::pair<uint32_t, float>> hist;
  for (size_t t = 0; t < m.by_user.RowLength(u); ++t) hist.emplace_back(m.by_user.RowIndices(u)[t], m.by_user.RowValues(u)[t]);
  const auto x = model.FoldInUser(hist);
  const auto ref = als::SolveRowReference(model.item_factors(), 18, k, 0.1f, m.by_user.RowIndices(u),
                                          LinearConf(m.by_user.RowValues(u), 2.f));
  for (int f = 0; f < k; ++f) EXPECT_NEAR(x[f], ref[f], 1e-4);
}

TEST(AlsModelTest, CholeskyLossNeverIncreases) {
  const auto m = RandomMatrix(40, 30, 0.15, 12);
  for (float nu : {0.f, 0.5f}) {
    AlsOptions o = SmallOptions(AlsSolver::kCholesky);
    o.iterations = 12;
    o.compute_loss = true;
    o.reg_exponent = nu;
    AlsModel model(o);
    ASSERT_TRUE(model.Fit({nullptr, &m, true}).ok());
    const auto& h = model.loss_history();
    ASSERT_EQ(h.size(), 12u);
    for (size_t t = 1; t < h.size(); ++t) EXPECT_LE(h[t], h[t - 1] * (1 + 1e-6)) << "iteration " << t << " nu " << nu;
    EXPECT_LT(h.back(), h.front());
    EXPECT_EQ(model.iteration_seconds().size(), 12u);
  }
}

TEST(AlsModelTest, LongCgConvergesToCholesky) {
  const auto m = RandomMatrix(30, 20, 0.2, 13);
  AlsOptions oc = SmallOptions(AlsSolver::kCholesky);
  AlsOptions og = SmallOptions(AlsSolver::kConjugateGradient);
  og.cg_steps = 30;  // >> k: each row solve is exact up to rounding
  AlsModel chol(oc), cg(og);
  ASSERT_TRUE(chol.Fit({nullptr, &m, true}).ok());
  ASSERT_TRUE(cg.Fit({nullptr, &m, true}).ok());
  for (size_t t = 0; t < chol.item_factors().size(); ++t) EXPECT_NEAR(cg.item_factors()[t], chol.item_factors()[t], 1e-3);
  for (size_t t = 0; t < chol.user_factors().size(); ++t) EXPECT_NEAR(cg.user_factors()[t], chol.user_factors()[t], 1e-3);
}

TEST(AlsModelTest, BitIdenticalAcrossThreadCounts) {
  const auto m = RandomMatrix(700, 300, 0.03, 14);  // several Gram chunks and row blocks
  for (AlsSolver s : {AlsSolver::kConjugateGradient, AlsSolver::kCholesky}) {
    AlsOptions o = SmallOptions(s);
    o.factors = 16;
    o.iterations = 4;
    o.compute_loss = true;
    o.reg_exponent = 0.5f;
    AlsOptions o2 = o;
    o2.threads = 2;
    AlsModel a(o), b(o2);
    ASSERT_TRUE(a.Fit({nullptr, &m, true}).ok());
    ASSERT_TRUE(b.Fit({nullptr, &m, true}).ok());
    EXPECT_EQ(a.loss_history(), b.loss_history());
    EXPECT_TRUE(std::equal(a.user_factors().begin(), a.user_factors().end(), b.user_factors().begin()));
    EXPECT_TRUE(std::equal(a.item_factors().begin(), a.item_factors().end(), b.item_factors().begin()));
  }
}

TEST(AlsModelTest, FoldInEqualsLastAlsUpdate) {
  const auto m = RandomMatrix(30, 25, 0.2, 15);
  AlsOptions o = SmallOptions(AlsSolver::kCholesky);
  o.iterations = 60;
  AlsModel model(o);
  ASSERT_TRUE(model.Fit({nullptr, &m, true}).ok());
  const int k = model.factors();
  for (uint32_t i : {0u, 11u, 24u}) {  // items were updated last, against the final X: exact
    std::vector<std::pair<uint32_t, float>> col;
    for (size_t t = 0; t < m.by_item.RowLength(i); ++t) col.emplace_back(m.by_item.RowIndices(i)[t], m.by_item.RowValues(i)[t]);
    const auto y = model.FoldInItem(col);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(y[f], model.item_factors()[i * k + f], 1e-5);
  }
  for (uint32_t u : {2u, 29u}) {
    std::vector<std::pair<uint32_t, float>> row;
    for (size_t t = 0; t < m.by_user.RowLength(u); ++t) row.emplace_back(m.by_user.RowIndices(u)[t], m.by_user.RowValues(u)[t]);
    // Split one entry into two duplicates: they are summed.
    const float r0 = row[0].second;
    row[0].second = r0 / 2;
    row.emplace_back(row[0].first, r0 - r0 / 2);
    const auto x = model.FoldInUser(row);
    // The user half-step ALS would run next, against the final Y.
    std::vector<float> gram(k * k), expect(k);
    als::ComputeGram(model.item_factors(), 25, k, 1, gram);
    als::RowScratch scratch;
    als::SolveRowCholesky(gram, o.regularization, model.item_factors(), k, m.by_user.RowIndices(u),
                          LinearConf(m.by_user.RowValues(u), o.confidence.alpha), expect, scratch);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(x[f], expect[f], 1e-5);
    // And ALS has converged far enough that this update barely moves the trained x_u.
    for (int f = 0; f < k; ++f) EXPECT_NEAR(x[f], model.user_factors()[u * k + f], 2e-2);
  }
  const std::vector<std::pair<uint32_t, float>> bad = {{25, 1.f}};
  EXPECT_THROW(model.FoldInUser(bad), std::invalid_argument);
  const std::vector<std::pair<uint32_t, float>> neg = {{1, -1.f}};
  EXPECT_THROW(model.FoldInUser(neg), std::invalid_argument);
}

TEST(AlsModelTest, ScoreUsersEqualsScoreUserLoop) {
  const auto m = RandomMatrix(37, 1100, 0.01, 16);  // > one item tile, partial user block
  AlsOptions o = SmallOptions(AlsSolver::kConjugateGradient);
  o.threads = 2;
  AlsModel model(o);
  ASSERT_TRUE(model.Fit({nullptr, &m, true}).ok());
  std::vector<uint32_t> users;
  for (uint32_t u = 0; u < 37; ++u) users.push_back((u * 7) % 37);
  std::vector<float> batch(users.size() * 1100), one(1100);
  model.ScoreUsers(users, batch, 1100);
  const int k = model.factors();
  for (size_t b = 0; b < users.size(); ++b) {
    model.ScoreUser(users[b], one);
    ASSERT_TRUE(std::equal(one.begin(), one.end(), batch.begin() + b * 1100)) << b;
    for (uint32_t i = 0; i < 1100; i += 97) {
      EXPECT_NEAR(one[i], DotSimd(&model.user_factors()[users[b] * k], &model.item_factors()[i * k], k), 1e-5);
    }
  }
  // A model rebuilt from its factors scores the same.
  AlsModel loaded(o, 37, 1100, std::vector<float>(model.user_factors().begin(), model.user_factors().end()),
                  std::vector<float>(model.item_factors().begin(), model.item_factors().end()));
  std::vector<float> again(1100);
  loaded.ScoreUser(users[3], again);
  model.ScoreUser(users[3], one);
  EXPECT_EQ(again, one);
  EXPECT_THROW(AlsModel(o, 37, 1100, {}, {}), std::invalid_argument);
}

TEST(AlsModelTest, OptionsAreValidated) {
  AlsOptions o;
  o.factors = 0;
  EXPECT_THROW(AlsModel{o}, std::invalid_argument);
  o = AlsOptions{};
  o.cg_steps = 0;
  EXPECT_THROW(AlsModel{o}, std::invalid_argument);
  o = AlsOptions{};
  o.regularization = -1;
  EXPECT_THROW(AlsModel{o}, std::invalid_argument);
  EXPECT_EQ(ParseAlsSolver("cholesky").value(), AlsSolver::kCholesky);
  EXPECT_FALSE(ParseAlsSolver("svd").ok());
}

}  // namespace
}  // namespace hybridrec

namespace hybridrec {
namespace {

// The per-entry confidence used by Fit (no matrix copy) equals ApplyConfidence's, so training
// on raw strengths equals training on a matrix the caller transformed.
TEST(AlsModelTest, OnTheFlyConfidenceMatchesApplyConfidence) {
  const auto m = RandomMatrix(20, 15, 0.3, 17);
  for (ConfidenceKind kind : {ConfidenceKind::kLinear, ConfidenceKind::kLog}) {
    ConfidenceOptions c;
    c.kind = kind;
    c.alpha = 3.f;
    c.eps = 0.5f;
    const auto applied = ApplyConfidence(m, c);
    AlsOptions o = SmallOptions(AlsSolver::kCholesky);
    o.confidence = c;
    AlsModel model(o);
    ASSERT_TRUE(model.Fit({nullptr, &m, true}).ok());
    const int k = model.factors();
    const uint32_t item = 4;
    const auto ref = als::SolveRowReference(model.user_factors(), 20, k, o.regularization,
                                            applied.by_item.RowIndices(item), applied.by_item.RowValues(item));
    for (int f = 0; f < k; ++f) EXPECT_NEAR(model.item_factors()[item * k + f], ref[f], 1e-4);
  }
  AlsOptions o = SmallOptions(AlsSolver::kConjugateGradient);
  o.confidence.kind = ConfidenceKind::kBm25;
  AlsModel bm25(o);
  ASSERT_TRUE(bm25.Fit({nullptr, &m, true}).ok());
  for (float f : bm25.item_factors()) ASSERT_TRUE(std::isfinite(f));
}

// FitCsr reads a matrix in place (as the Python binding passes SciPy's buffers: int32 row
// pointers, float64 values) and gives exactly the factors and loss of Fit.
TEST(AlsModelTest, FitCsrOnBorrowedArraysEqualsFit) {
  const InteractionMatrix m = RandomMatrix(40, 25, 0.2, 11);
  for (const bool bm25 : {false, true}) {
    AlsOptions o = SmallOptions(AlsSolver::kConjugateGradient);
    o.compute_loss = true;
    if (bm25) o.confidence.kind = ConfidenceKind::kBm25;
    AlsModel ref(o);
    ASSERT_TRUE(ref.Fit({nullptr, &m, true}).ok());
    std::vector<int32_t> indptr(m.by_user.indptr.begin(), m.by_user.indptr.end());
    std::vector<double> values(m.by_user.values.begin(), m.by_user.values.end());
    CsrView v{m.by_user.rows, m.by_user.cols, m.by_user.nnz(), indptr.data(), false, m.by_user.indices.data(),
              values.data(), true};
    for (const CsrView& view : {CsrView::Of(m.by_user), v}) {
      AlsModel got(o);
      ASSERT_TRUE(got.FitCsr(view).ok());
      EXPECT_EQ(std::vector<float>(got.user_factors().begin(), got.user_factors().end()),
                std::vector<float>(ref.user_factors().begin(), ref.user_factors().end()));
      EXPECT_EQ(std::vector<float>(got.item_factors().begin(), got.item_factors().end()),
                std::vector<float>(ref.item_factors().begin(), ref.item_factors().end()));
      ASSERT_EQ(got.loss_history().size(), ref.loss_history().size());
      for (size_t i = 0; i < got.loss_history().size(); ++i)
        EXPECT_NEAR(got.loss_history()[i], ref.loss_history()[i], 1e-6 * std::abs(ref.loss_history()[i]));
    }
  }
}

TEST(AlsModelTest, FitCsrRefusesMalformedMatrices) {
  const InteractionMatrix m = RandomMatrix(5, 4, 0.5, 3);
  auto fit = [](CsrView v) { return AlsModel(SmallOptions(AlsSolver::kCholesky)).FitCsr(v); };
  {
    CsrMatrix bad = m.by_user;
    std::swap(bad.indices[0], bad.indices[1]);  // row 0 has >= 2 entries
    const Status s = fit(CsrView::Of(bad));
    EXPECT_NE(s.message().find("sum_duplicates"), std::string::npos) << s.message();
  }
  {
    CsrMatrix bad = m.by_user;
    bad.indices.back() = 99;
    EXPECT_NE(fit(CsrView::Of(bad)).message().find("outside [0, 4)"), std::string::npos);
  }
  {
    CsrMatrix bad = m.by_user;
    bad.values[2] = -1.f;
    EXPECT_NE(fit(CsrView::Of(bad)).message().find(">= 0"), std::string::npos);
    bad.values[2] = NAN;
    EXPECT_NE(fit(CsrView::Of(bad)).message().find("finite"), std::string::npos);
  }
  {
    CsrMatrix bad = m.by_user;
    bad.indptr.back() += 1;
    EXPECT_NE(fit(CsrView::Of(bad)).message().find("indptr[-1]"), std::string::npos);
  }
  CsrView empty;
  EXPECT_FALSE(fit(empty).ok());
}

}  // namespace
}  // namespace hybridrec
