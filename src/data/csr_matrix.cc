#include "data/csr_matrix.h"

#include <algorithm>
#include <numeric>

namespace hybridrec {

CsrMatrix CsrMatrix::Transposed() const {
  CsrMatrix t;
  t.rows = cols;
  t.cols = rows;
  t.indptr.assign(static_cast<size_t>(cols) + 1, 0);
  for (uint32_t c : indices) ++t.indptr[c + 1];
  for (uint32_t c = 0; c < cols; ++c) t.indptr[c + 1] += t.indptr[c];
  t.indices.resize(indices.size());
  t.values.resize(values.size());
  std::vector<uint64_t> pos(t.indptr.begin(), t.indptr.end() - 1);
  for (uint32_t r = 0; r < rows; ++r) {
    for (uint64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
      const uint64_t p = pos[indices[k]]++;
      t.indices[p] = r;  // rows visited in order, so each transposed row stays sorted
      t.values[p] = values[k];
    }
  }
  return t;
}

InteractionMatrix BuildInteractionMatrix(uint32_t num_users, uint32_t num_items,
                                         std::span<const Interaction> interactions) {
  std::vector<size_t> order(interactions.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = interactions[a];
    const auto& y = interactions[b];
    return x.user != y.user ? x.user < y.user : (x.item != y.item ? x.item < y.item : a < b);
  });
  CsrMatrix m;
  m.rows = num_users;
  m.cols = num_items;
  m.indptr.assign(static_cast<size_t>(num_users) + 1, 0);
  m.indices.reserve(interactions.size());
  m.values.reserve(interactions.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& it = interactions[order[k]];
    if (!m.indices.empty() && k > 0 && interactions[order[k - 1]].user == it.user &&
        interactions[order[k - 1]].item == it.item) {
      m.values.back() += it.strength;  // duplicate pair: summed
      continue;
    }
    m.indices.push_back(it.item);
    m.values.push_back(it.strength);
    ++m.indptr[it.user + 1];
  }
  for (uint32_t u = 0; u < num_users; ++u) m.indptr[u + 1] += m.indptr[u];
  InteractionMatrix im;
  im.by_item = m.Transposed();
  im.by_user = std::move(m);
  return im;
}

}  // namespace hybridrec
