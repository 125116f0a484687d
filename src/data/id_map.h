// IdMap: external string ids <-> dense internal indices [0, size()).
// Indices are assigned in first-seen order, so loading the same file gives the same map.
// Thread-compatible: concurrent const use is safe; mutation needs external synchronisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hybridrec {

class IdMap {
 public:
  // Returns the index of `id`, adding it if new.
  uint32_t GetOrAdd(std::string_view id);
  std::optional<uint32_t> Find(std::string_view id) const;
  // REQUIRES: index < size()
  const std::string& Id(uint32_t index) const { return ids_[index]; }
  uint32_t size() const { return static_cast<uint32_t>(ids_.size()); }
  const std::vector<std::string>& ids() const { return ids_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> ids_;
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> index_;
};

}  // namespace hybridrec
