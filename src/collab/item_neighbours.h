// Item co-occurrence neighbours (item-kNN): for every item i, the items j that the same training
// users interacted with, weighted
//     w_ij = C_ij / (pop_i^alpha * pop_j^beta),
// with C_ij the number of users who interacted with both i and j and pop_i the number of users
// who interacted with i. Only the max_neighbours largest weights of each row are kept (ties by
// ascending j), stored as CSR with ascending j within a row.
//
// Used by the ranker's co-occurrence signal (RankerOptions::cooccurrence_*): a user with history
// H scores item j as sum_{i in H} w_ij. With a handful of items (the cold-users protocol) this
// "users who took these also took" signal ranks better than a factor folded in from five items
// alpha discounts popular history items, beta popular targets.
//
// Cost: O(sum over users of |row|^2) time, O(max_neighbours x items) memory. Deterministic
// whatever the thread count (each row is computed independently). Thread-safety: the table is
// immutable after BuildItemNeighbours; const use from many threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "data/csr_matrix.h"

namespace hybridrec {

struct ItemNeighboursOptions {
  size_t max_neighbours = 50;   // kept per item (>= 1)
  float alpha = 0.5f;           // exponent of the history item's popularity (>= 0)
  float beta = 0.f;             // exponent of the target item's popularity (>= 0)
  bool operator==(const ItemNeighboursOptions&) const = default;
};

struct ItemNeighbours {
  ItemNeighboursOptions options;
  uint32_t num_items = 0;
  std::vector<uint64_t> indptr;  // num_items + 1
  std::vector<uint32_t> items;   // neighbour j, ascending within a row
  std::vector<float> weights;    // w_ij, > 0

  std::span<const uint32_t> Items(uint32_t i) const {
    return {items.data() + indptr[i], static_cast<size_t>(indptr[i + 1] - indptr[i])};
  }
  std::span<const float> Weights(uint32_t i) const {
    return {weights.data() + indptr[i], static_cast<size_t>(indptr[i + 1] - indptr[i])};
  }
  size_t MemoryBytes() const {
    return indptr.size() * sizeof(uint64_t) + items.size() * sizeof(uint32_t) + weights.size() * sizeof(float);
  }
};

// `by_user`: users x items training matrix; every stored entry counts as one interaction
// (strengths are ignored). Throws std::invalid_argument for invalid options.
ItemNeighbours BuildItemNeighbours(const CsrMatrix& by_user, const ItemNeighboursOptions& options, int threads = 0);

}  // namespace hybridrec
