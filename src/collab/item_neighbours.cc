#include "collab/item_neighbours.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/parallel.h"

namespace hybridrec {

ItemNeighbours BuildItemNeighbours(const CsrMatrix& by_user, const ItemNeighboursOptions& options, int threads) {
  if (options.max_neighbours < 1) throw std::invalid_argument("ItemNeighboursOptions: max_neighbours must be >= 1");
  if (!(options.alpha >= 0.f) || !std::isfinite(options.alpha))
    throw std::invalid_argument("ItemNeighboursOptions: alpha must be finite and >= 0");
  if (!(options.beta >= 0.f) || !std::isfinite(options.beta))
    throw std::invalid_argument("ItemNeighboursOptions: beta must be finite and >= 0");
  const CsrMatrix by_item = by_user.Transposed();
  const uint32_t n = by_user.cols;
  ItemNeighbours out;
  out.options = options;
  out.num_items = n;
  // pop^-exponent per item (0 for an item nobody took: it has no row and is nobody's neighbour).
  auto inverse_power = [&](float e) {
    std::vector<double> v(n, 0.0);
    for (uint32_t i = 0; i < n; ++i) {
      const double p = by_item.RowLength(i);
      if (p > 0) v[i] = std::pow(p, -static_cast<double>(e));
    }
    return v;
  };
  const std::vector<double> inv_a = inverse_power(options.alpha), inv_b = inverse_power(options.beta);

  // Rows computed in parallel into per-row buffers, then concatenated in item order.
  std::vector<std::vector<uint32_t>> row_items(n);
  std::vector<std::vector<float>> row_weights(n);
  ParallelFor(n, ResolveThreads(threads), [&](size_t begin, size_t end) {
    std::vector<uint32_t> count(n, 0);
    std::vector<uint32_t> touched, order;
    std::vector<float> w;
    for (size_t i = begin; i < end; ++i) {
      touched.clear();
      for (uint32_t u : by_item.RowIndices(static_cast<uint32_t>(i))) {
        for (uint32_t j : by_user.RowIndices(u)) {
          if (j == i) continue;
          if (count[j]++ == 0) touched.push_back(j);
        }
      }
      w.resize(touched.size());
      for (size_t t = 0; t < touched.size(); ++t)
        w[t] = static_cast<float>(count[touched[t]] * inv_a[i] * inv_b[touched[t]]);
      order.resize(touched.size());
      std::iota(order.begin(), order.end(), 0u);
      const size_t keep = std::min(options.max_neighbours, touched.size());
      // Largest weight first, ties by ascending item: independent of the visiting order.
      auto better = [&](uint32_t a, uint32_t b) { return w[a] != w[b] ? w[a] > w[b] : touched[a] < touched[b]; };
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), better);
      order.resize(keep);
      std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return touched[a] < touched[b]; });
      for (uint32_t t : order) {
        row_items[i].push_back(touched[t]);
        row_weights[i].push_back(w[t]);
      }
      for (uint32_t j : touched) count[j] = 0;
    }
  }, 16);
  out.indptr.assign(static_cast<size_t>(n) + 1, 0);
  for (uint32_t i = 0; i < n; ++i) out.indptr[i + 1] = out.indptr[i] + row_items[i].size();
  out.items.reserve(out.indptr[n]);
  out.weights.reserve(out.indptr[n]);
  for (uint32_t i = 0; i < n; ++i) {
    out.items.insert(out.items.end(), row_items[i].begin(), row_items[i].end());
    out.weights.insert(out.weights.end(), row_weights[i].begin(), row_weights[i].end());
  }
  return out;
}

}  // namespace hybridrec
