// Sparse interaction matrices. CsrMatrix is compressed sparse rows; the item-major (CSC) view
// of a user x item matrix is stored as the CSR of its transpose, so both ALS half-steps stream
// contiguous memory. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
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

// A read-only view of a CSR matrix whose arrays live elsewhere (a SciPy matrix's buffers, a
// memory-mapped file): 32- or 64-bit row pointers, 32-bit column indices, float32 or float64
// values. Nothing is copied; the arrays must outlive the view and stay unchanged while it is
// used. Row r's entries are [RowBegin(r), RowEnd(r)).
struct CsrView {
  uint32_t rows = 0;
  uint32_t cols = 0;
  uint64_t nnz = 0;
  const void* indptr = nullptr;    // rows + 1 entries: int32 or (indptr_64) int64
  bool indptr_64 = false;
  const uint32_t* indices = nullptr;  // nnz column indices (int32 data reads the same when >= 0)
  const void* values = nullptr;    // nnz values: float32 or (values_64) float64
  bool values_64 = false;

  static CsrView Of(const CsrMatrix& m) {
    return {m.rows, m.cols, m.nnz(), m.indptr.data(), true, m.indices.data(), m.values.data(), false};
  }
  uint64_t RowBegin(uint32_t r) const {
    return indptr_64 ? static_cast<const uint64_t*>(indptr)[r]
                     : static_cast<uint64_t>(static_cast<const uint32_t*>(indptr)[r]);
  }
  uint64_t RowEnd(uint32_t r) const { return RowBegin(r + 1); }
  std::span<const uint32_t> RowIndices(uint32_t r) const {
    const uint64_t b = RowBegin(r);
    return {indices + b, static_cast<size_t>(RowEnd(r) - b)};
  }
  uint32_t RowLength(uint32_t r) const { return static_cast<uint32_t>(RowEnd(r) - RowBegin(r)); }
  float Value(uint64_t t) const {
    return values_64 ? static_cast<float>(static_cast<const double*>(values)[t]) : static_cast<const float*>(values)[t];
  }

  // Checks what the algorithms rely on, in O(rows + nnz): row pointers start at 0, never
  // decrease (read as signed: a negative one is refused) and end at nnz; column indices are
  // below cols and strictly increasing within each row (sorted, no duplicates); values are
  // finite and >= 0. The message names the row or entry at fault and what to do.
  Status Validate() const;
  // An owned copy, values as float32.
  CsrMatrix ToMatrix() const;
  // The transpose as an owned matrix (same order as CsrMatrix::Transposed). O(nnz).
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

// The user x item matrix of raw strengths and its transpose; duplicate (user, item) pairs are
// summed (in input order). Throws std::invalid_argument for an interaction outside
// num_users x num_items. Memory: the two matrices and one row at a time.
InteractionMatrix BuildInteractionMatrix(uint32_t num_users, uint32_t num_items,
                                         std::span<const Interaction> interactions);
// Its by_user half alone (by_item is by_user.Transposed()), for a caller that frees the
// interactions before building the transpose.
CsrMatrix BuildUserMatrix(uint32_t num_users, uint32_t num_items, std::span<const Interaction> interactions);

}  // namespace hybridrec
