// Helpers shared by the event store implementations.
#pragma once

#include <string>
#include <vector>

namespace hybridrec::store {

// A new random store id: 32 hex digits from std::random_device.
std::string NewStoreId();

// Genres / tags are stored as a JSON array of strings; anything else reads as empty.
std::string JsonListText(const std::vector<std::string>& values);
std::vector<std::string> ParseJsonList(const std::string& text);

}  // namespace hybridrec::store
