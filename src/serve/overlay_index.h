// OverlayIndex: a VectorIndex that is an immutable base index (the trained model's FAISS index,
// not owned) plus a small exact index of the vectors added since (items posted to the service).
// Search asks both and merges the two top-k lists (ties by ascending id), so the service can
// grow the catalogue without copying or mutating the trained index.
// Thread-safety: Search is const and safe from many threads; Add must not run concurrently with
// anything else (the service builds a new OverlayIndex per snapshot and never mutates a
// published one).
#pragma once

#include "index/brute_force_index.h"
#include "index/vector_index.h"

namespace hybridrec::serve {

class OverlayIndex final : public VectorIndex {
 public:
  // REQUIRES: base != nullptr, outliving this index.
  explicit OverlayIndex(const VectorIndex* base) : base_(base), added_(base->dimension()) {}

  std::string kind() const override { return base_->kind() + "+overlay"; }
  int dimension() const override { return base_->dimension(); }
  int64_t size() const override { return base_->size() + added_.size(); }
  Status Add(std::span<const float> vectors, std::span<const int64_t> ids) override {
    return added_.Add(vectors, ids);
  }
  void Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const override;
  // Not persisted: the service replays added items from its event store instead.
  Status Save(const std::filesystem::path& file) const override;

 private:
  const VectorIndex* base_;
  BruteForceIndex added_;
};

}  // namespace hybridrec::serve
