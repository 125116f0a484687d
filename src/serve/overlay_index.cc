#include "serve/overlay_index.h"

#include <algorithm>
#include <stdexcept>

#include "index/brute_force_index.h"

namespace hybridrec::serve {

OverlayIndex::OverlayIndex(const VectorIndex* base, std::span<const float> added, int64_t first_id)
    : base_(base), added_(added), added_rows_(0), first_id_(first_id) {
  if (base_ == nullptr) throw std::invalid_argument("OverlayIndex: no base index");
  const auto d = static_cast<size_t>(base_->dimension());
  if (d == 0 || added_.size() % d != 0)
    throw std::invalid_argument("OverlayIndex: the added rows are not a multiple of the dimension");
  added_rows_ = static_cast<int64_t>(added_.size() / d);
}

Status OverlayIndex::Add(std::span<const float>, std::span<const int64_t>) {
  return Status::Unsupported("OverlayIndex is a view over the snapshot's rows; build a new one to grow it");
}

void OverlayIndex::Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const {
  if (added_rows_ == 0) {
    base_->Search(queries, k, out);
    return;
  }
  if (k < 1) throw std::invalid_argument("OverlayIndex::Search: k must be >= 1");
  const int dim = dimension();
  if (queries.size() % static_cast<size_t>(dim) != 0)
    throw std::invalid_argument("OverlayIndex::Search: query buffer is not a multiple of the dimension");
  const size_t n = queries.size() / static_cast<size_t>(dim);
  const size_t ks = static_cast<size_t>(k);
  std::vector<SearchHit> a, b(n * ks);
  base_->Search(queries, k, a);
  for (size_t q = 0; q < n; ++q)
    ExactTopKRange(queries.data() + q * static_cast<size_t>(dim), added_.data(), first_id_, added_rows_, dim, k,
                   b.data() + q * ks);
  out.assign(n * ks, SearchHit{});
  auto better = [](const SearchHit& x, const SearchHit& y) {
    if (x.id < 0) return false;
    if (y.id < 0) return true;
    return x.score != y.score ? x.score > y.score : x.id < y.id;
  };
  for (size_t q = 0; q < n; ++q) {
    const SearchHit* pa = a.data() + q * ks;
    const SearchHit* pb = b.data() + q * ks;
    size_t i = 0, j = 0;
    for (size_t r = 0; r < ks; ++r) {
      const bool take_a = j >= ks || (i < ks && !better(pb[j], pa[i]));
      out[q * ks + r] = take_a ? pa[i++] : pb[j++];
    }
  }
}

Status OverlayIndex::Save(const std::filesystem::path& file) const {
  return Status::Unsupported(file.string() + ": an overlay index is not saved; added items are replayed from the event store");
}

}  // namespace hybridrec::serve
