#include "core/scratch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace hybridrec {
namespace {

TEST(Scratch, CapacityDependsOnTheLargestSizeOnly) {
  // Grown one element at a time, or in one step: the same capacity, a multiple of the grain.
  std::vector<float> stepwise, direct;
  for (size_t n = 1; n <= 3000; ++n) ResizeScratch(stepwise, n);
  ResizeScratch(direct, 3000);
  EXPECT_EQ(stepwise.capacity(), direct.capacity());
  EXPECT_EQ(direct.capacity() % kScratchGrain, 0u);
  EXPECT_GE(direct.capacity(), 3000u);
  EXPECT_LT(direct.capacity(), 3000u + kScratchGrain);
  // Shrinking keeps the capacity; the kept prefix and the fill value are as resize's.
  std::vector<uint8_t> mark = {0, 1, 0};
  ResizeScratch(mark, 5, uint8_t{0});
  EXPECT_EQ(mark, (std::vector<uint8_t>{0, 1, 0, 0, 0}));
  const size_t cap = mark.capacity();
  ResizeScratch(mark, 2, uint8_t{0});
  EXPECT_EQ(mark.size(), 2u);
  EXPECT_EQ(mark.capacity(), cap);
}

}  // namespace
}  // namespace hybridrec
