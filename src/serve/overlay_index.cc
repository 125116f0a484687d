#include "serve/overlay_index.h"

#include <algorithm>

namespace hybridrec::serve {

void OverlayIndex::Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const {
  if (added_.size() == 0) {
    base_->Search(queries, k, out);
    return;
  }
  std::vector<SearchHit> a, b;
  base_->Search(queries, k, a);
  added_.Search(queries, k, b);
  const size_t n = queries.size() / static_cast<size_t>(dimension());
  const size_t ks = static_cast<size_t>(k);
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
