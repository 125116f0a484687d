// Sparse interaction matrices. CsrMatrix is compressed sparse rows; the item-major (CSC) view
// of a user x item matrix is stored as the CSR of its transpose, so both ALS half-steps stream
// contiguous memory. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/dataset.h"

namespace hybridrec {

struct CsrMatrix {
  uint32_t rows = 0;
  uint32_t cols = 0;
  std::vector<uint64_t> indptr;   // size rows + 1
  std::vector<uint32_t> indices;  // column index per non-zero, sorted ascending within a row
  std::vector<float> values;      // value per non-zero

  uint64_t nnz() const { return indices.size(); }
  std::span<const uint32_t> RowIndices(uint32_t r) const {
    return {indices.data() + indptr[r], static_cast<size_t>(indptr[r + 1] - indptr[r])};
  }
  std::span<const float> RowValues(uint32_t r) const {
    return {values.data() + indptr[r], static_cast<size_t>(indptr[r + 1] - indptr[r])};
  }
  uint32_t RowLength(uint32_t r) const { return static_cast<uint32_t>(indptr[r + 1] - indptr[r]); }
  size_t MemoryBytes() const {
    return indptr.size() * sizeof(uint64_t) + indices.size() * sizeof(uint32_t) + values.size() * sizeof(float);
  }

  // Transpose (CSR -> CSC view). Deterministic; O(nnz).
  CsrMatrix Transposed() const;
};

// Both orientations of one user x item matrix.
struct InteractionMatrix {
  CsrMatrix by_user;  // users x items (CSR)
  CsrMatrix by_item;  // items x users (CSC of by_user)
  uint32_t num_users() const { return by_user.rows; }
  uint32_t num_items() const { return by_user.cols; }
};

// Builds the matrix from interactions (duplicate pairs are summed). Values are raw strengths.
// Timestamp of every entry of `by_user` (aligned with by_user.indices), from the interactions
// (one per (user, item) pair, as a loaded Dataset has); 0 for an entry none of them matches.
std::vector<int64_t> EntryTimestamps(const CsrMatrix& by_user, std::span<const Interaction> interactions);

// Each row's column indices ordered most recent first by the per-entry timestamps (ties by
// ascending column), aligned with by_user.indptr: row u's list is
// [indptr[u], indptr[u + 1]). REQUIRES: timestamps.size() == by_user.nnz().
std::vector<uint32_t> RowsMostRecentFirst(const CsrMatrix& by_user, std::span<const int64_t> timestamps);

InteractionMatrix BuildInteractionMatrix(uint32_t num_users, uint32_t num_items,
                                         std::span<const Interaction> interactions);

}  // namespace hybridrec
