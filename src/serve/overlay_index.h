// OverlayIndex: a VectorIndex that is an immutable base index (the trained model's FAISS index,
// not owned) plus the vectors added since (items posted to the service), searched exactly.
// The added vectors are a view (not owned, not copied): rows with ids first_id, first_id + 1, ...
// in the snapshot's catalogue storage (snapshot.h), so each snapshot of a growing catalogue gets
// its overlay in O(1). Search asks both and merges the two top-k lists (ties by ascending id),
// so the service can grow the catalogue without copying or mutating the trained index.
// Thread-safety: immutable; Search is safe from many threads.
#pragma once

#include <span>

#include "index/vector_index.h"

namespace hybridrec::serve {

class OverlayIndex final : public VectorIndex {
 public:
  // REQUIRES: base != nullptr and the added rows (added.size() a multiple of the dimension)
  // outlive this index.
  OverlayIndex(const VectorIndex* base, std::span<const float> added, int64_t first_id);

  std::string kind() const override { return base_->kind() + "+overlay"; }
  int dimension() const override { return base_->dimension(); }
  int64_t size() const override { return base_->size() + added_rows_; }
  // A view cannot grow: the snapshot builds a new overlay over more rows instead.
  Status Add(std::span<const float> vectors, std::span<const int64_t> ids) override;
  void Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const override;
  // Not persisted: the service replays added items from its event store instead.
  Status Save(const std::filesystem::path& file) const override;

 private:
  const VectorIndex* base_;
  std::span<const float> added_;
  int64_t added_rows_;
  int64_t first_id_;
};

}  // namespace hybridrec::serve
