#include "core/parallel.h"

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace hybridrec {
namespace {

TEST(ParallelForTest, VisitsEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 4, 7}) {
    for (size_t n : {0u, 1u, 63u, 64u, 65u, 1000u}) {
      std::vector<std::atomic<int>> seen(n);
      ParallelFor(n, threads, [&](size_t b, size_t e) {
        ASSERT_LE(b, e);
        ASSERT_LE(e, n);
        for (size_t i = b; i < e; ++i) seen[i].fetch_add(1, std::memory_order_relaxed);
      }, 16);
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(seen[i].load(), 1) << "n=" << n << " threads=" << threads << " i=" << i;
    }
  }
}

TEST(ParallelForTest, WritesToDisjointSlotsNeedNoLock) {
  // Each index writes only its own slot: the pattern every caller uses (checked by TSan).
  std::vector<double> out(10000);
  ParallelFor(out.size(), 4, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) out[i] = static_cast<double>(i) * 0.5;
  }, 8);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<double>(i) * 0.5);
}

TEST(ParallelForTest, RethrowsAWorkerException) {
  EXPECT_THROW(ParallelFor(1000, 3, [](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      if (i == 517) throw std::runtime_error("boom");
  }, 10), std::runtime_error);
}

TEST(ParallelChunksTest, ChunksDoNotDependOnThreadCount) {
  const size_t n = 1234;
  std::vector<double> data(n);
  std::iota(data.begin(), data.end(), 1.0);
  auto reduce = [&](int threads) {
    std::vector<double> partial((n + 99) / 100, 0.0);
    const size_t chunks = ParallelChunks(n, 100, threads, [&](size_t c, size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) partial[c] += 1.0 / data[i];
    });
    EXPECT_EQ(chunks, partial.size());
    double s = 0;
    for (double p : partial) s += p;
    return s;
  };
  const double one = reduce(1);
  EXPECT_EQ(one, reduce(2));  // bit-identical, not just close
  EXPECT_EQ(one, reduce(5));
}

TEST(ResolveThreadsTest, ZeroMeansHardware) {
  EXPECT_GE(ResolveThreads(0), 1);
  EXPECT_EQ(ResolveThreads(3), 3);
}

}  // namespace
}  // namespace hybridrec
