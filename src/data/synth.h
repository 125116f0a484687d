// Synthetic implicit-feedback data sets for scale tests (`hybridrec synth`). Thread-safe (no
// shared state).
//
// Writes the generic layout (data/loader.h): interactions.csv "user,item,strength,timestamp"
// and items.csv "item,title,genres". Ids are decimal strings 1..users and 1..items.
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
};

// Validates the options (InvalidArgument naming the bad field) and writes the two files into
// `out_dir`, creating it if needed.
Status WriteSyntheticDataset(const SynthOptions& options, const std::filesystem::path& out_dir);

}  // namespace hybridrec
