#include "data/dataset.h"

namespace hybridrec {

namespace {
void AppendJoined(std::string& out, const std::vector<std::string>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ", ";
    out += parts[i];
  }
}
}  // namespace

std::string Dataset::ItemText(uint32_t item) const {
  const Item& it = item_info[item];
  std::string out = it.title;
  if (!it.genres.empty()) {
    out += ". Genres: ";
    AppendJoined(out, it.genres);
  }
  if (!it.tags.empty()) {
    out += ". Tags: ";
    AppendJoined(out, it.tags);
  }
  if (!it.description.empty()) {
    out += ". ";
    out += it.description;
  }
  return out;
}

}  // namespace hybridrec
