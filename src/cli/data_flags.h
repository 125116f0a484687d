// Flags shared by the commands that load a dataset (train, evaluate): the binary dataset cache
// (data/dataset_cache.h).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace hybridrec::cli {

inline void AddDatasetCacheFlags(CLI::App* sub, bool& no_cache, std::string& cache_dir) {
  sub->add_flag("--no-cache", no_cache,
                "parse the data files even when a cached copy of the parsed dataset exists, and write none "
                "(inputs of 64 MiB or more are cached by default)");
  sub->add_option("--cache-dir", cache_dir,
                  "where parsed datasets are cached (default $HYBRIDREC_CACHE_DIR, else "
                  "$XDG_CACHE_HOME/hybridrec/datasets, else ~/.cache/hybridrec/datasets)");
}

}  // namespace hybridrec::cli
