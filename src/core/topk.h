// Top-k selection over a score vector: a pure kernel used by evaluation, ranking and search.
// Order: descending score; ties broken by ascending index (stable and deterministic); NaN
// scores rank below every number and are never returned when `skip_nan` is true.
// k larger than the number of eligible entries returns all of them. Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hybridrec {

// Indices of the k best entries of `scores`, best first. Entries equal to -infinity are
// treated as excluded (callers mask items that way) and never returned.
std::vector<uint32_t> TopK(std::span<const float> scores, size_t k);

// Same, writing into `out` (cleared first) to avoid allocation in hot loops.
void TopKInto(std::span<const float> scores, size_t k, std::vector<uint32_t>& out);

}  // namespace hybridrec
