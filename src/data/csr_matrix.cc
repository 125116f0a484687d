#include "data/csr_matrix.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

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

std::vector<int64_t> EntryTimestamps(const CsrMatrix& by_user, std::span<const Interaction> interactions) {
  std::vector<int64_t> ts(by_user.nnz(), 0);
  for (const Interaction& x : interactions) {
    if (x.user >= by_user.rows || x.item >= by_user.cols) continue;
    const auto row = by_user.RowIndices(x.user);
    const auto it = std::lower_bound(row.begin(), row.end(), x.item);
    if (it == row.end() || *it != x.item) continue;
    ts[by_user.indptr[x.user] + static_cast<size_t>(it - row.begin())] = x.timestamp;
  }
  return ts;
}

std::vector<uint32_t> RowsMostRecentFirst(const CsrMatrix& by_user, std::span<const int64_t> timestamps) {
  if (timestamps.size() != by_user.nnz())
    throw std::invalid_argument("RowsMostRecentFirst: one timestamp per entry expected");
  std::vector<uint32_t> out(by_user.indices.begin(), by_user.indices.end());
  std::vector<size_t> pos;
  for (uint32_t u = 0; u < by_user.rows; ++u) {
    const size_t b = by_user.indptr[u], e = by_user.indptr[u + 1];
    pos.resize(e - b);
    std::iota(pos.begin(), pos.end(), b);
    // Columns ascend within a row, so a stable sort keeps ties by ascending column.
    std::stable_sort(pos.begin(), pos.end(), [&](size_t x, size_t y) { return timestamps[x] > timestamps[y]; });
    for (size_t t = 0; t < pos.size(); ++t) out[b + t] = by_user.indices[pos[t]];
  }
  return out;
}

}  // namespace hybridrec
