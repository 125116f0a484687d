#include "core/cholesky.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/random.h"

namespace hybridrec {
namespace {

// A = B B^T + ridge I for a random n x m matrix B (m < n with ridge 0 gives a singular A).
std::vector<double> RandomGram(size_t n, size_t m, double ridge, Rng& rng) {
  std::vector<double> b(n * m);
  for (double& v : b) v = rng.Normal();
  std::vector<double> a(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (size_t t = 0; t < m; ++t) s += b[i * m + t] * b[j * m + t];
      a[i * n + j] = s + (i == j ? ridge : 0.0);
    }
  }
  return a;
}

// Reference solve of a x = rhs: Gaussian elimination with partial pivoting in long double.
std::vector<double> GaussianSolve(const std::vector<double>& a, const std::vector<double>& rhs, size_t n) {
  std::vector<long double> m(n * (n + 1));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) m[i * (n + 1) + j] = a[i * n + j];
    m[i * (n + 1) + n] = rhs[i];
  }
  for (size_t c = 0; c < n; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(m[r * (n + 1) + c]) > std::fabs(m[piv * (n + 1) + c])) piv = r;
    for (size_t j = 0; j <= n; ++j) std::swap(m[c * (n + 1) + j], m[piv * (n + 1) + j]);
    for (size_t r = c + 1; r < n; ++r) {
      const long double f = m[r * (n + 1) + c] / m[c * (n + 1) + c];
      for (size_t j = c; j <= n; ++j) m[r * (n + 1) + j] -= f * m[c * (n + 1) + j];
    }
  }
  std::vector<double> x(n);
  for (size_t r = n; r-- > 0;) {
    long double s = m[r * (n + 1) + n];
    for (size_t j = r + 1; j < n; ++j) s -= m[r * (n + 1) + j] * x[j];
    x[r] = static_cast<double>(s / m[r * (n + 1) + r]);
  }
  return x;
}

double MaxAbs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

TEST(CholeskyTest, SolvesRandomSpdSystemsLikeTheReference) {
  Rng rng(3);
  for (size_t n : {1u, 2u, 3u, 5u, 8u, 16u, 17u, 33u, 64u}) {
    for (double ridge : {1e-3, 1.0, 100.0}) {
      const std::vector<double> a = RandomGram(n, n + 2, ridge, rng);
      std::vector<double> rhs(n);
      for (double& v : rhs) v = rng.Normal();
      std::vector<double> l = a, x = rhs;
      ASSERT_TRUE(CholeskyFactor(l, n)) << "n=" << n << " ridge=" << ridge;
      // L L^T reproduces A (lower triangle of l; its strict upper triangle is A's, untouched).
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
          if (j > i) {
            EXPECT_EQ(l[i * n + j], a[i * n + j]);
            continue;
          }
          double s = 0.0;
          for (size_t t = 0; t <= j; ++t) s += l[i * n + t] * l[j * n + t];
          EXPECT_NEAR(s, a[i * n + j], 1e-12 * (std::fabs(a[i * n + i]) + std::fabs(a[j * n + j])));
        }
      }
      CholeskySolve(l, n, x);
      // Small residual relative to the scale of the system, and the reference's solution.
      std::vector<double> r(n);
      for (size_t i = 0; i < n; ++i) {
        double s = -rhs[i];
        for (size_t j = 0; j < n; ++j) s += a[i * n + j] * x[j];
        r[i] = s;
      }
      EXPECT_LE(MaxAbs(r), 1e-12 * MaxAbs(a) * (MaxAbs(x) + 1.0)) << "n=" << n << " ridge=" << ridge;
      const std::vector<double> ref = GaussianSolve(a, rhs, n);
      for (size_t i = 0; i < n; ++i)
        EXPECT_NEAR(x[i], ref[i], 1e-8 * (MaxAbs(ref) + 1.0)) << "n=" << n << " ridge=" << ridge << " i=" << i;
    }
  }
}

TEST(CholeskyTest, KnownFactor) {
  // [[4, 2], [2, 10]] = L L^T with L = [[2, 0], [1, 3]]; A (1, 2) = (4, 2) -> x = (1, 0).
  std::vector<double> a = {4, 2, 2, 10};
  ASSERT_TRUE(CholeskyFactor(a, 2));
  EXPECT_EQ(a[0], 2.0);
  EXPECT_EQ(a[2], 1.0);
  EXPECT_EQ(a[3], 3.0);
  EXPECT_EQ(a[1], 2.0);  // upper triangle untouched
  std::vector<double> b = {4, 2};
  CholeskySolve(a, 2, b);
  EXPECT_EQ(b, (std::vector<double>{1.0, 0.0}));
}

TEST(CholeskyTest, RefusesMatricesThatAreNotPositiveDefinite) {
  std::vector<double> indefinite = {1, 2, 2, 1};  // eigenvalues 3 and -1
  EXPECT_FALSE(CholeskyFactor(indefinite, 2));
  std::vector<double> negative = {-1};
  EXPECT_FALSE(CholeskyFactor(negative, 1));
  std::vector<double> zero(9, 0.0);
  EXPECT_FALSE(CholeskyFactor(zero, 3));
  Rng rng(5);
  std::vector<double> singular = RandomGram(6, 3, 0.0, rng);  // rank 3
  EXPECT_FALSE(CholeskyFactor(singular, 6));
  std::vector<double> nan = {1, 0, 0, std::numeric_limits<double>::quiet_NaN()};
  EXPECT_FALSE(CholeskyFactor(nan, 2));
  std::vector<double> inf = {std::numeric_limits<double>::infinity()};
  EXPECT_FALSE(CholeskyFactor(inf, 1));
}

TEST(CholeskyTest, EmptySystemAndSizeMismatch) {
  std::vector<double> none;
  EXPECT_TRUE(CholeskyFactor(none, 0));
  CholeskySolve(none, 0, none);
  std::vector<double> a = {4, 2, 2, 10}, b = {1, 2, 3};
  EXPECT_THROW(CholeskyFactor(a, 3), std::invalid_argument);
  EXPECT_THROW(CholeskySolve(a, 2, b), std::invalid_argument);
  EXPECT_THROW(CholeskySolve(a, 3, b), std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec
