// Dataset loaders for the three supported on-disk layouts. Thread-safe (no shared
// state); each call reads its files once into memory.
//
// Layouts, detected from the files present in the directory (or named in LoadOptions::format):
//   ml-100k        u.data (tab-separated: user item rating timestamp, no header) and u.item
//                  (pipe-separated, latin-1: id|title|release|video release|url|19 genre flags;
//                  titles are converted to UTF-8). Genre names come from u.genre when present,
//                  else the standard 19 names. Item order: as in u.item.
//   movielens-csv  ratings.csv (userId,movieId,rating,timestamp), movies.csv (movieId,title,genres
//                  with genres "A|B", "(no genres listed)" meaning none) and optional tags.csv
//                  (userId,movieId,tag,timestamp) whose tags are attached to the items,
//                  de-duplicated case-insensitively (ASCII case), first spelling kept. Item
//                  order: as in movies.csv.
//   generic        interactions.csv (user,item,strength[,timestamp]) and optional items.csv
//                  (item,title[,genres][,text]; a header naming the third column "text",
//                  "description" or "tags" is honoured, else the third is genres "A|B").
//                  Without items.csv the catalogue is the items of interactions.csv in
//                  first-seen order with the id as title. With items.csv its order is kept.
// Compressed input: any of these files may instead be given as its gzip (NAME.gz) or zstd
// (NAME.zst) copy, read when the plain file is absent; it is decompressed into memory, and
// messages name the compressed file with line numbers of its decompressed text.
// CSV files have a header row, may use CRLF line ends, RFC 4180 quoting and a UTF-8 BOM, and
// must be UTF-8. Users are indexed in first-seen order of the interaction file.
//
// Validation (each failure names the file, line and field and says what to do):
//   - strength/rating must be a finite number > 0 (an observed pair has r > 0);
//     timestamps must be integers;
//   - every row must have the header's column count;
//   - an interaction (or tag) for an item absent from the item file is an error;
//   - invalid UTF-8, unterminated quotes, missing or empty files are errors.
// With LoadOptions::skip_bad_rows, bad rows are skipped, counted in LoadReport::rows_skipped
// and described (the first few) in LoadReport::warnings; unterminated quotes and missing or
// empty files stay fatal.
// Duplicate (user, item) rows are merged into the first one: strengths summed, latest
// timestamp kept; counted in LoadReport::duplicates_merged. Interactions keep file order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"

namespace hybridrec {

struct LoadOptions {
  std::string format = "auto";  // "auto" | "ml-100k" | "movielens-csv" | "generic"
  bool skip_bad_rows = false;   // skip (and count) malformed rows instead of failing
  size_t max_warnings = 20;     // at most this many row messages are kept in LoadReport::warnings
  bool quiet = true;            // false: progress of each file on stderr (core/progress.h)
};

// Returns the layout found in `dir` ("ml-100k", "movielens-csv" or "generic"), or NotFound
// with a message listing the files each layout needs.
Result<std::string> DetectFormat(const std::filesystem::path& dir);

Result<Dataset> LoadDataset(const std::filesystem::path& dir, const LoadOptions& options = {});

// The input files LoadDataset(dir, options) reads, in the order it reads them: those of the
// layout options.format names (DetectFormat's for "auto"), each as the loader resolves it
// (NAME, else NAME.gz, else NAME.zst); an optional file (u.genre, tags.csv, items.csv) only when
// present, a required one even when missing (under its plain name; the load then fails naming
// it). Errors as LoadDataset's for an unknown format or a directory with no known layout. The
// dataset cache fingerprints exactly these files (data/dataset_cache.h).
Result<std::vector<std::filesystem::path>> DatasetInputFiles(const std::filesystem::path& dir,
                                                             const LoadOptions& options = {});

// Merges duplicate (user, item) pairs into their first occurrence (strength summed, latest
// timestamp kept), preserving order; adds the count to report.duplicates_merged. LoadDataset
// calls it; so does anything that appends interactions to a loaded dataset.
void MergeDuplicateInteractions(Dataset& ds);

// The pieces of the generic layout on their own, for inputs split into several files (the
// distributed trainer's shards, dist/shards.h). LoadItemCatalogue reads an items.csv into a
// dataset with no users or interactions. AppendInteractionsFile parses one interactions file
// (header "user,item,strength[,timestamp]") into `ds`, whose items are fixed (an unknown item is
// an error naming file, line and field); new users are added in first-seen order; sets
// ds.has_timestamps from this file's header. Duplicates are not merged (call
// MergeDuplicateInteractions once all files are in).
Result<Dataset> LoadItemCatalogue(const std::filesystem::path& items_csv, const LoadOptions& options = {});
Status AppendInteractionsFile(const std::filesystem::path& path, const LoadOptions& options, Dataset& ds);

}  // namespace hybridrec
