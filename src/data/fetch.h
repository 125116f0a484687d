// Fetching the MovieLens reference data sets (`hybridrec fetch-data`). Thread-compatible: two
// concurrent fetches into the same destination are not coordinated.
//
// Sources, in order: an explicit mirror directory, else the environment variable
// HYBRIDREC_DATA_MIRROR, else the official GroupLens zip
// (https://files.grouplens.org/datasets/movielens/<name>.zip, downloaded with `curl -fL` and
// extracted with `unzip`, both run as child processes). A mirror directory holds one
// sub-directory per data set (`<mirror>/ml-100k/u.data`, ...), like ../shared/data.
//
// Every known file of the data set is checked against its sha256 (table in fetch.cc); a
// mismatch is an error naming the file and both hashes. Files are staged in a temporary
// directory beside the destination and moved into `<dest>/<name>/` only once all are verified.
// Idempotent: when `<dest>/<name>/` already holds all known files with the right hashes,
// nothing is copied or downloaded.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hybridrec {

struct KnownFile {
  std::string_view name;    // file name inside the data set directory
  std::string_view sha256;  // lower-case hex
};

// The data sets FetchDataset knows: "ml-100k", "ml-latest-small".
std::vector<std::string> KnownDatasets();

// The files checked for `name`; empty for an unknown name.
std::span<const KnownFile> KnownDatasetFiles(std::string_view name);

// Checks that `dir` holds every known file of `name` with the right sha256. The error names
// the first missing or mismatching file (with expected and actual hash).
Status VerifyDataset(std::string_view name, const std::filesystem::path& dir);

struct FetchOptions {
  std::optional<std::filesystem::path> mirror;  // explicit mirror directory
  bool mirror_from_env = true;                  // else use $HYBRIDREC_DATA_MIRROR when set and non-empty
  // Where <name>.zip is downloaded from when there is no mirror (any URL curl accepts).
  std::string url_base = "https://files.grouplens.org/datasets/movielens";
};

// Makes `<dest>/<name>/` hold the verified data set and returns that path. Progress lines go
// to `log`. Errors: unknown name (InvalidArgument), missing mirror or mirror file (NotFound),
// hash mismatch (Corruption), curl/unzip failure or file system errors (IOError).
Result<std::filesystem::path> FetchDataset(const std::string& name, const std::filesystem::path& dest,
                                           const FetchOptions& options, std::ostream& log);

// Same with `mirror` as FetchOptions::mirror and the other options at their defaults.
Result<std::filesystem::path> FetchDataset(const std::string& name, const std::filesystem::path& dest,
                                           const std::optional<std::filesystem::path>& mirror, std::ostream& log);

}  // namespace hybridrec
