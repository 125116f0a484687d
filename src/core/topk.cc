#include "core/topk.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hybridrec {
namespace {
// Strict "a ranks before b" on (score desc, index asc).
inline bool Better(float sa, uint32_t ia, float sb, uint32_t ib) {
  return sa > sb || (sa == sb && ia < ib);
}
}  // namespace

void TopKInto(std::span<const float> scores, size_t k, std::vector<uint32_t>& out) {
  out.clear();
  if (k == 0) return;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  // Min-heap (worst at front) of the current best k.
  auto worse = [&](uint32_t a, uint32_t b) { return Better(scores[a], a, scores[b], b); };
  for (uint32_t i = 0; i < scores.size(); ++i) {
    const float s = scores[i];
    if (std::isnan(s) || s == kNegInf) continue;
    if (out.size() < k) {
      out.push_back(i);
      std::push_heap(out.begin(), out.end(), worse);
    } else if (Better(s, i, scores[out.front()], out.front())) {
      std::pop_heap(out.begin(), out.end(), worse);
      out.back() = i;
      std::push_heap(out.begin(), out.end(), worse);
    }
  }
  std::sort(out.begin(), out.end(), [&](uint32_t a, uint32_t b) { return Better(scores[a], a, scores[b], b); });
}

std::vector<uint32_t> TopK(std::span<const float> scores, size_t k) {
  std::vector<uint32_t> out;
  out.reserve(std::min(k, scores.size()));
  TopKInto(scores, k, out);
  return out;
}

}  // namespace hybridrec
