// Input of the distributed trainer (dist/mpi): a shard directory holds the catalogue,
// items.csv (generic layout, data/loader.h), and the interactions split by user into files
// named interactions-*.csv, each with the generic header "user,item,strength[,timestamp]".
// Every user's rows are in one file only, and the files in name order list the users in the
// order a single-process run numbers them (so `train --data` on the concatenation and the
// distributed run give the same factors). Rank r of R reads only its block of files: files
// [r*F/R, (r+1)*F/R) of the F in name order; a rank may get none.
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "data/loader.h"

namespace hybridrec::dist {

// One RFC 4180 CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
std::string CsvField(std::string_view s);

// The shard files of `dir` (interactions-*.csv), in name order. NotFound when there is no
// items.csv or no shard file, naming the directory and what it needs.
Result<std::vector<std::filesystem::path>> ListShardFiles(const std::filesystem::path& dir);

// [first, last) of the `files` shard files that rank `rank` of `ranks` reads.
std::pair<size_t, size_t> FilesOfRank(size_t files, int rank, int ranks);

// Reads the catalogue `dir`/items.csv and then `files` in order into one dataset: users
// numbered in first-seen order, duplicate (user, item) rows merged as LoadDataset does. Every
// error names the file, line and field. All files must agree on the timestamp column. A rank
// with no files gets a dataset with the catalogue and no users.
Result<Dataset> ReadShards(const std::filesystem::path& dir, std::span<const std::filesystem::path> files,
                           const LoadOptions& options = {});

// Splits [0, weights.size()) into `parts` contiguous ranges of about equal total weight
// (greedy on the running sum). Returns parts + 1 non-decreasing boundaries, first 0, last size.
std::vector<uint32_t> BalancedBoundaries(std::span<const uint64_t> weights, int parts);

// Writes `d` as a shard directory: items.csv (copied from `items_csv` when given, else written
// as item,title,genres from the catalogue) and `shards` files interactions-NNNNN.csv holding
// contiguous ranges of users in index order, balanced by interactions. Creates `dir`.
Status WriteShards(const Dataset& d, int shards, const std::filesystem::path& dir,
                   const std::filesystem::path& items_csv = {});

}  // namespace hybridrec::dist
