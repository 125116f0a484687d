#include "data/csr_matrix.h"

#include <algorithm>
#include <cmath>
#include <string>
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

Status CsrView::Validate() const {
  const auto ptr = [&](uint32_t r) -> int64_t {
    return indptr_64 ? static_cast<const int64_t*>(indptr)[r]
                     : static_cast<int64_t>(static_cast<const int32_t*>(indptr)[r]);
  };
  if (indptr == nullptr || (nnz > 0 && (indices == nullptr || values == nullptr)))
    return Status::InvalidArgument("CSR matrix: missing indptr, indices or data array");
  if (ptr(0) != 0)
    return Status::InvalidArgument("CSR matrix: indptr[0] is " + std::to_string(ptr(0)) + ", must be 0");
  if (ptr(rows) < 0 || static_cast<uint64_t>(ptr(rows)) != nnz)
    return Status::InvalidArgument("CSR matrix: indptr[-1] is " + std::to_string(ptr(rows)) + " but there are " +
                                   std::to_string(nnz) + " stored entries");
  for (uint32_t r = 0; r < rows; ++r) {
    const int64_t b = ptr(r), e = ptr(r + 1);
    if (e < b)
      return Status::InvalidArgument("CSR matrix: indptr decreases at row " + std::to_string(r) + " (" +
                                     std::to_string(b) + " then " + std::to_string(e) + ")");
    for (int64_t t = b; t < e; ++t) {
      const auto c = static_cast<int32_t>(indices[t]);
      if (c < 0 || static_cast<uint32_t>(c) >= cols)
        return Status::InvalidArgument("CSR matrix: row " + std::to_string(r) + " has column index " +
                                       std::to_string(c) + ", outside [0, " + std::to_string(cols) + ")");
      if (t > b && indices[t] <= indices[t - 1])
        return Status::InvalidArgument("CSR matrix: row " + std::to_string(r) +
                                       " has unsorted or duplicate column indices; call sum_duplicates() "
                                       "(which also sorts them) on the matrix first");
      const float v = Value(static_cast<uint64_t>(t));
      if (!std::isfinite(v) || v < 0.f)
        return Status::InvalidArgument("CSR matrix: entry (" + std::to_string(r) + ", " + std::to_string(c) +
                                       ") is " + std::to_string(v) +
                                       "; strengths must be finite and >= 0 (remove or clip negative entries)");
    }
  }
  return Status::Ok();
}

CsrMatrix CsrView::ToMatrix() const {
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.indptr.resize(static_cast<size_t>(rows) + 1);
  for (uint32_t r = 0; r <= rows; ++r) m.indptr[r] = RowBegin(r);
  m.indices.assign(indices, indices + nnz);
  m.values.resize(nnz);
  for (uint64_t t = 0; t < nnz; ++t) m.values[t] = Value(t);
  return m;
}

CsrMatrix CsrView::Transposed() const {
  CsrMatrix t;
  t.rows = cols;
  t.cols = rows;
  t.indptr.assign(static_cast<size_t>(cols) + 1, 0);
  for (uint64_t k = 0; k < nnz; ++k) ++t.indptr[indices[k] + 1];
  for (uint32_t c = 0; c < cols; ++c) t.indptr[c + 1] += t.indptr[c];
  t.indices.resize(nnz);
  t.values.resize(nnz);
  std::vector<uint64_t> pos(t.indptr.begin(), t.indptr.end() - 1);
  for (uint32_t r = 0; r < rows; ++r) {
    for (uint64_t k = RowBegin(r), e = RowEnd(r); k < e; ++k) {
      const uint64_t p = pos[indices[k]]++;
      t.indices[p] = r;
      t.values[p] = Value(k);
    }
  }
  return t;
}

CsrMatrix BuildUserMatrix(uint32_t num_users, uint32_t num_items, std::span<const Interaction> interactions) {
  // A counting sort by user (no n-long permutation: at 10^8 interactions that would be 0.8 GB
  // more than the matrices), then each row sorted by item. The row sort is stable, so duplicate
  // pairs are summed in input order.
  CsrMatrix m;
  m.rows = num_users;
  m.cols = num_items;
  m.indptr.assign(static_cast<size_t>(num_users) + 1, 0);
  for (const Interaction& x : interactions) {
    if (x.user >= num_users || x.item >= num_items)
      throw std::invalid_argument("BuildInteractionMatrix: interaction (" + std::to_string(x.user) + ", " +
                                  std::to_string(x.item) + ") outside " + std::to_string(num_users) + " users x " +
                                  std::to_string(num_items) + " items");
    ++m.indptr[x.user + 1];
  }
  for (uint32_t u = 0; u < num_users; ++u) m.indptr[u + 1] += m.indptr[u];
  m.indices.resize(interactions.size());
  m.values.resize(interactions.size());
  {
    std::vector<uint64_t> pos(m.indptr.begin(), m.indptr.end() - 1);
    for (const Interaction& x : interactions) {
      const uint64_t p = pos[x.user]++;
      m.indices[p] = x.item;
      m.values[p] = x.strength;
    }
  }
  std::vector<std::pair<uint32_t, float>> row;
  uint64_t w = 0;
  uint64_t b = 0;
  for (uint32_t u = 0; u < num_users; ++u) {
    const uint64_t e = m.indptr[u + 1];
    bool ascending = true;
    for (uint64_t k = b + 1; k < e && ascending; ++k) ascending = m.indices[k - 1] < m.indices[k];
    if (ascending) {
      for (uint64_t k = b; k < e; ++k, ++w) {
        m.indices[w] = m.indices[k];
        m.values[w] = m.values[k];
      }
    } else {
      row.clear();
      for (uint64_t k = b; k < e; ++k) row.emplace_back(m.indices[k], m.values[k]);
      std::stable_sort(row.begin(), row.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      const uint64_t row_start = w;
      for (const auto& [item, value] : row) {
        if (w > row_start && m.indices[w - 1] == item) {
          m.values[w - 1] += value;  // duplicate pair: summed
          continue;
        }
        m.indices[w] = item;
        m.values[w] = value;
        ++w;
      }
    }
    b = e;
    m.indptr[u + 1] = w;
  }
  if (w != m.indices.size()) {
    m.indices.resize(w);
    m.values.resize(w);
    m.indices.shrink_to_fit();
    m.values.shrink_to_fit();
  }
  return m;
}

InteractionMatrix BuildInteractionMatrix(uint32_t num_users, uint32_t num_items,
                                         std::span<const Interaction> interactions) {
  InteractionMatrix im;
  im.by_user = BuildUserMatrix(num_users, num_items, interactions);
  im.by_item = im.by_user.Transposed();
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
