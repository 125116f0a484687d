// Synthetic implicit-feedback data sets for scale tests (`hybridrec synth`). Thread-safe (no
// shared state).
//
// Writes the generic layout (data/loader.h): interactions.csv "user,item,strength,timestamp"
// and items.csv "item,title,genres,tags". Ids are decimal strings 1..users and 1..items.
// - Topics (topics > 0): every item belongs to one of `topics` topics, drawn independently of
//   its popularity. A topic has its own eight words (made-up, e.g. "Kamilo") and one or two
//   characteristic genres; an item's title is two or three of its topic's words plus, for half
//   of the items, one word shared by all topics, its genres are its topic's (plus sometimes one
//   at random) and its tags are two more of its topic's words. Each user has a main and a second
//   topic, and draws a `topic_affinity` share of their interactions from the items of those
//   topics (by popularity within the topic), the rest from the whole catalogue. So text, genres
//   and behaviour all carry the same structure, which the content layer can find and the
//   collaborative layer can learn. With topics = 0 titles are "Item N", genres random, no tags,
//   and users draw from the whole catalogue only.
// - Item popularity follows a power law: the item of popularity rank r (0-based) is drawn with
//   probability proportional to (r + 1)^-zipf; ranks are assigned to item ids by a seeded
//   permutation, so id order says nothing about popularity.
// - User activity is skewed too: the user of activity rank r gets a share of nnz proportional
//   to (r + 1)^-user_zipf, at least 1 and at most `items` interactions.
// - Each user's items are distinct (drawn without replacement), so the file has exactly `nnz`
//   rows and no duplicate pairs. Strength is an integer 1-5, timestamps are spread over ~1 year.
// Deterministic: the same options give byte-identical files. Streams its output (memory is
// O(users + items), not O(nnz)); files are written under temporary names and renamed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/status.h"

namespace hybridrec {

struct SynthOptions {
  uint32_t users = 1000;   // number of users; every user gets >= 1 interaction
  uint32_t items = 500;    // number of items (some may get no interactions)
  uint64_t nnz = 20000;    // exact number of distinct (user, item) rows; users <= nnz <= users * items
  double zipf = 0.9;       // item popularity exponent (0 = uniform)
  double user_zipf = 0.5;  // user activity exponent (0 = equal activity)
  uint64_t seed = 0;
  uint32_t genres = 12;  // size of the synthetic genre vocabulary (1-3 genres per item)
  uint32_t topics = 32;  // 0: no topic structure (see above); at most 512
  double topic_affinity = 0.8;  // share of a user's interactions drawn from their topics, in [0, 1]
};

// The named shapes of `hybridrec synth --shape` (the sizes of well-known data sets, and a
// catalogue of a million items): fills users, items, nnz and topics; false for an unknown name.
// Names: "ml25m" (MovieLens 25M: 162,541 x 59,047, 25,000,095), "netflix" (Netflix Prize:
// 480,189 x 17,770, 100,480,507), "catalogue" (1,000,000 x 1,000,000, 50,000,000).
bool ApplySynthShape(const std::string& name, SynthOptions& options);
// The names ApplySynthShape knows, comma-separated (for messages).
std::string SynthShapeNames();

// Validates the options (InvalidArgument naming the bad field) and writes the two files into
// `out_dir`, creating it if needed.
Status WriteSyntheticDataset(const SynthOptions& options, const std::filesystem::path& out_dir);

}  // namespace hybridrec
