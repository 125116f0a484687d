#include "data/id_map.h"

namespace hybridrec {

uint32_t IdMap::GetOrAdd(std::string_view id) {
  if (auto it = index_.find(id); it != index_.end()) return it->second;
  const auto idx = static_cast<uint32_t>(ids_.size());
  ids_.emplace_back(id);
  index_.emplace(ids_.back(), idx);
  return idx;
}

std::optional<uint32_t> IdMap::Find(std::string_view id) const {
  if (auto it = index_.find(id); it != index_.end()) return it->second;
  return std::nullopt;
}

}  // namespace hybridrec
