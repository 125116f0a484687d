#include "store/store_util.h"

#include <nlohmann/json.hpp>
#include <random>

namespace hybridrec::store {

std::string NewStoreId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    const uint32_t r = rd();
    for (int b = 0; b < 8; ++b) id.push_back(kHex[(r >> (4 * b)) & 15]);
  }
  return id;
}

std::string JsonListText(const std::vector<std::string>& values) {
  return nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> ParseJsonList(const std::string& text) {
  std::vector<std::string> out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace hybridrec::store
