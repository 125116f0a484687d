#include "core/vector_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/random.h"

namespace hybridrec {
namespace {

constexpr size_t kMaxLen = 70;  // several blocks of 32 plus every tail length
constexpr size_t kMaxOffset = 3;

// Length-n vector of uniform values in [-1, 1) at `offset` floats into `buf`, so that the
// kernels see pointers that are not 16-, 32- or 64-byte aligned.
const float* FillAt(std::vector<float>& buf, size_t offset, size_t n, Rng& rng) {
  buf.assign(offset + n + 1, 0.f);
  for (size_t i = 0; i < n; ++i) buf[offset + i] = static_cast<float>(2.0 * rng.Uniform() - 1.0);
  return buf.data() + offset;
}

// Double-precision reference and the bound on the error of any float summation order over n
// products (each rounded or fused): |error| <= (n + 1) * 2^-24 * sum |a_i b_i| to first order.
struct Reference {
  double dot = 0.0;
  double bound = 0.0;
};

Reference DotReference(const float* a, const float* b, size_t n) {
  Reference r;
  double abs_sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    r.dot += static_cast<double>(a[i]) * b[i];
    abs_sum += std::fabs(static_cast<double>(a[i]) * b[i]);
  }
  r.bound = static_cast<double>(n + 1) * std::ldexp(1.0, -24) * abs_sum * 1.01;
  return r;
}

TEST(VectorKernelsTest, DotsMatchDoubleReferenceForEveryLengthAndAlignment) {
  Rng rng(7);
  std::vector<float> ba, bb;
  for (size_t n = 0; n <= kMaxLen; ++n) {
    for (size_t off = 0; off <= kMaxOffset; ++off) {
      const float* a = FillAt(ba, off, n, rng);
      const float* b = FillAt(bb, kMaxOffset - off, n, rng);
      const Reference ref = DotReference(a, b, n);
      EXPECT_LE(std::fabs(Dot(a, b, n) - ref.dot), ref.bound) << "Dot n=" << n << " offset=" << off;
      EXPECT_LE(std::fabs(DotSimd(a, b, n) - ref.dot), ref.bound) << "DotSimd n=" << n << " offset=" << off;
    }
  }
}

TEST(VectorKernelsTest, DotsDependOnlyOnTheValues) {
  // The same values at other addresses, or with the operands swapped, give the same float.
  Rng rng(11);
  std::vector<float> ba, bb, moved(kMaxLen + 8);
  for (size_t n = 0; n <= kMaxLen; ++n) {
    const float* a = FillAt(ba, 1, n, rng);
    const float* b = FillAt(bb, 2, n, rng);
    const float dot = Dot(a, b, n), simd = DotSimd(a, b, n);
    EXPECT_EQ(Dot(b, a, n), dot) << n;
    EXPECT_EQ(DotSimd(b, a, n), simd) << n;
    for (size_t off = 0; off < 8; ++off) {
      if (n > 0) std::memcpy(moved.data() + off, a, n * sizeof(float));
      EXPECT_EQ(Dot(moved.data() + off, b, n), dot) << n << " " << off;
      EXPECT_EQ(DotSimd(moved.data() + off, b, n), simd) << n << " " << off;
    }
  }
}

TEST(VectorKernelsTest, EmptyVectorsGiveZero) {
  EXPECT_EQ(Dot(nullptr, nullptr, 0), 0.f);
  EXPECT_EQ(DotSimd(nullptr, nullptr, 0), 0.f);
  EXPECT_EQ(InvNorm(nullptr, 0), 0.f);
}

TEST(VectorKernelsTest, DotCombinesLanesPairwiseThenAddsTheTail) {
  // Near 1e8 a float has a spacing of 8, so adding 1 is lost there: the inputs tell the orders
  // apart. Lanes 0..3 hold 1e8, 1, -1e8, 1: pairwise (1e8 + 1) + (-1e8 + 1) rounds to 0, where a
  // left-to-right sum would give 1.
  const std::vector<float> ones(9, 1.f);
  const std::vector<float> pairs = {1e8f, 1.f, -1e8f, 1.f, 0.f, 0.f, 0.f, 0.f};
  EXPECT_EQ(Dot(pairs.data(), ones.data(), 8), 0.f);
  // The lanes (1e8 - 1e8 = 0) are combined before the tail (1) is added: 1, where adding the
  // tail first would lose it.
  const std::vector<float> tail = {1e8f, -1e8f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 1.f};
  EXPECT_EQ(Dot(tail.data(), ones.data(), 9), 1.f);
}

TEST(VectorKernelsTest, InvNormMatchesDoubleReference) {
  Rng rng(13);
  std::vector<float> buf;
  for (size_t n = 1; n <= kMaxLen; ++n) {
    for (size_t off = 0; off <= kMaxOffset; ++off) {
      const float* v = FillAt(buf, off, n, rng);
      double n2 = 0.0;
      for (size_t i = 0; i < n; ++i) n2 += static_cast<double>(v[i]) * v[i];
      const double ref = 1.0 / std::sqrt(n2);
      EXPECT_NEAR(InvNorm(v, n), ref, 1e-6 * ref) << "n=" << n << " offset=" << off;
    }
  }
  const std::vector<float> v34 = {3.f, 4.f};
  EXPECT_EQ(InvNorm(v34.data(), 2), 0.2f);
}

TEST(VectorKernelsTest, InvNormIsZeroForZeroOrNonFiniteVectorsAndDoesNotOverflow) {
  const std::vector<float> zero(17, 0.f);
  EXPECT_EQ(InvNorm(zero.data(), zero.size()), 0.f);
  // 1e30^2 overflows a float but not the double accumulator.
  const std::vector<float> big = {1e30f, 1e30f};
  EXPECT_FLOAT_EQ(InvNorm(big.data(), 2), static_cast<float>(1.0 / (std::sqrt(2.0) * 1e30)));
  const std::vector<float> inf = {1.f, std::numeric_limits<float>::infinity()};
  EXPECT_EQ(InvNorm(inf.data(), 2), 0.f);
  const std::vector<float> nan = {1.f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(InvNorm(nan.data(), 2), 0.f);
}

}  // namespace
}  // namespace hybridrec
