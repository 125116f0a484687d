// Dataset: a catalogue of items with their text, the users, and the observed interactions,
// as loaded from one of the supported layouts (data/loader.h). Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/id_map.h"

namespace hybridrec {

struct Item {
  std::string title;                 // UTF-8
  std::vector<std::string> genres;   // e.g. {"Animation", "Children's"}
  std::vector<std::string> tags;     // free-text tags (ml-latest-small tags.csv), deduplicated
  std::string description;           // free text (generic layout's optional text column)
};

// One observed (user, item) pair. Strength > 0 and finite. Duplicate pairs in a file are
// merged at load time (strengths summed, latest timestamp kept) so each pair appears once.
struct Interaction {
  uint32_t user = 0;
  uint32_t item = 0;
  float strength = 0.f;
  int64_t timestamp = 0;  // seconds since epoch; 0 when the layout has none
};

struct LoadReport {
  size_t rows_read = 0;           // interaction rows parsed
  size_t duplicates_merged = 0;   // rows folded into an earlier (user, item) row
  size_t rows_skipped = 0;        // only with LoadOptions::skip_bad_rows
  std::vector<std::string> warnings;
};

struct Dataset {
  std::string name;     // e.g. "ml-100k" or the directory name
  std::string format;   // "ml-100k" | "movielens-csv" | "generic"
  IdMap users;
  IdMap items;
  std::vector<Item> item_info;  // indexed by internal item index; size() == items.size()
  std::vector<Interaction> interactions;
  bool has_timestamps = false;
  LoadReport report;

  uint32_t num_users() const { return users.size(); }
  uint32_t num_items() const { return items.size(); }

  // Item text for the content layer: "Title. Genres: A, B. Tags: x, y. <description>".
  std::string ItemText(uint32_t item) const;
};

}  // namespace hybridrec
