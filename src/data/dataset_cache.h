// A binary cache of loaded datasets, so that the second load of the same input files reads
// arrays instead of parsing text (25 million CSV rows take seconds to parse; their arrays load
// at disk or page-cache speed).
//
// A cache entry is a directory named by a fingerprint of the input: the loader's cache format
// version, the load options, the dataset directory's absolute path, and the name, size and
// modification time of every input file the loader reads there (DatasetInputFiles in
// data/loader.h: plain, .gz or .zst as the loader resolves it). Editing, replacing, adding or
// removing a file the load reads therefore misses the cache and the dataset is parsed again;
// files the load does not read do not matter. An entry holds:
//   interactions_user.npy (uint32), interactions_item.npy (uint32), interactions_strength.npy
//   (float32), interactions_timestamp.npy (int64)  — the loaded (merged) interaction list;
//   strings.bin  — user ids, item ids, titles, descriptions, genres and tags (length-prefixed);
//   item_counts.npy (int32, items x 2)  — genres and tags per item;
//   meta.json  — name, format, sizes, has_timestamps and the load report.
// Entries are written into a temporary directory and renamed into place, so a crash or two
// processes loading the same data at once never leave a torn entry. An entry that cannot be
// read (damaged, truncated, wrong sizes) is ignored and replaced; a cache directory that
// cannot be written only costs the speed-up (a note says why). The cache never changes what
// is loaded: a cached load gives the same Dataset as parsing.
//
// Thread-safety: reentrant; concurrent loads of the same data are safe (last rename wins, and
// both entries are identical).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/status.h"
#include "data/dataset.h"
#include "data/loader.h"

namespace hybridrec {

struct DatasetCacheOptions {
  bool enabled = true;
  std::filesystem::path dir;           // root of the cache; empty: DefaultDatasetCacheDir()
  uint64_t min_bytes = uint64_t{64} << 20;  // inputs smaller than this in total are not cached
};

// $HYBRIDREC_CACHE_DIR, else $XDG_CACHE_HOME/hybridrec/datasets, else
// $HOME/.cache/hybridrec/datasets, else <temp dir>/hybridrec-cache/datasets.
std::filesystem::path DefaultDatasetCacheDir();

struct CachedDataset {
  Dataset dataset;
  bool from_cache = false;
  std::filesystem::path entry;  // the cache entry read or written (empty when none)
  std::string note;             // one line for the user: what the cache did, or why it could not
};

// LoadDataset(dir, options) through the cache. Errors are the loader's (a damaged cache entry
// is never an error).
Result<CachedDataset> LoadDatasetCached(const std::filesystem::path& dir, const LoadOptions& options,
                                        const DatasetCacheOptions& cache = {});

}  // namespace hybridrec
