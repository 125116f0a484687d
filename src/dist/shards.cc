#include "dist/shards.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

namespace hybridrec::dist {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kPrefix = "interactions-";
constexpr std::string_view kSuffix = ".csv";

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

Status WriteAll(const fs::path& path, const std::string& text) {
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) return Status::IOError(path.string() + ": cannot open for writing");
  if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size() || std::fflush(f.get()) != 0)
    return Status::IOError(path.string() + ": write failed (disk full?)");
  return Status::Ok();
}

}  // namespace

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Result<std::vector<fs::path>> ListShardFiles(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::NotFound(dir.string() + ": not a directory (expected a shard directory with items.csv and "
                                           "interactions-*.csv files; `hybridrec-mpi shard` writes one)");
  if (!fs::exists(dir / "items.csv", ec))
    return Status::NotFound((dir / "items.csv").string() + ": no such file (a shard directory needs the catalogue)");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > kPrefix.size() + kSuffix.size() && name.starts_with(kPrefix) && name.ends_with(kSuffix))
      files.push_back(e.path());
  }
  if (ec) return Status::IOError(dir.string() + ": cannot list the directory: " + ec.message());
  if (files.empty())
    return Status::NotFound(dir.string() + ": no interactions-*.csv shard files");
  std::sort(files.begin(), files.end());
  return files;
}

std::pair<size_t, size_t> FilesOfRank(size_t files, int rank, int ranks) {
  const auto r = static_cast<size_t>(rank), n = static_cast<size_t>(ranks);
  return {files * r / n, files * (r + 1) / n};
}

Result<Dataset> ReadShards(const fs::path& dir, std::span<const fs::path> files, const LoadOptions& options) {
  HR_ASSIGN_OR_RETURN(Dataset ds, LoadItemCatalogue(dir / "items.csv", options));
  fs::path clean = dir.lexically_normal();
  if (!clean.has_filename()) clean = clean.parent_path();
  ds.name = clean.filename().string();
  bool first = true, timestamps = false;
  for (const fs::path& f : files) {
    HR_RETURN_IF_ERROR(AppendInteractionsFile(f, options, ds));
    if (!first && ds.has_timestamps != timestamps)
      return Status::InvalidArgument(f.string() + ":1: " + (ds.has_timestamps ? "has" : "lacks") +
                                     " a timestamp column unlike " + files[0].string() +
                                     "; every shard needs the same header");
    timestamps = ds.has_timestamps;
    first = false;
  }
  MergeDuplicateInteractions(ds);
  return ds;
}

std::vector<uint32_t> BalancedBoundaries(std::span<const uint64_t> weights, int parts) {
  const auto n = static_cast<uint32_t>(weights.size());
  std::vector<uint32_t> b(static_cast<size_t>(parts) + 1, n);
  b[0] = 0;
  uint64_t total = 0;
  for (uint64_t w : weights) total += w;
  uint64_t sum = 0;
  uint32_t i = 0;
  for (int p = 1; p < parts; ++p) {
    // Boundary p: the first index where the running sum reaches p/parts of the total (and at
    // least one row per part while rows remain, so small inputs still spread).
    const long double target = static_cast<long double>(total) * p / parts;
    while (i < n && (static_cast<long double>(sum) < target || i < b[static_cast<size_t>(p) - 1] + 1)) sum += weights[i++];
    b[static_cast<size_t>(p)] = i;
  }
  return b;
}

Status WriteShards(const Dataset& d, int shards, const fs::path& dir, const fs::path& items_csv) {
  if (shards < 1) return Status::InvalidArgument("shards must be >= 1");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": cannot create: " + ec.message());
  if (!items_csv.empty()) {
    fs::copy_file(items_csv, dir / "items.csv", fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::IOError((dir / "items.csv").string() + ": cannot copy " + items_csv.string() + ": " + ec.message());
  } else {
    std::string text = "item,title,genres\n";
    for (uint32_t i = 0; i < d.num_items(); ++i) {
      std::string genres;
      for (const auto& g : d.item_info[i].genres) genres += (genres.empty() ? "" : "|") + g;
      text += CsvField(d.items.Id(i)) + "," + CsvField(d.item_info[i].title) + "," + CsvField(genres) + "\n";
    }
    HR_RETURN_IF_ERROR(WriteAll(dir / "items.csv", text));
  }
  // Each user's interactions, in file order (counting sort by user).
  const uint32_t nu = d.num_users();
  std::vector<uint64_t> start(static_cast<size_t>(nu) + 1, 0);
  for (const auto& x : d.interactions) ++start[x.user + 1];
  std::vector<uint64_t> weight(nu);
  for (uint32_t u = 0; u < nu; ++u) weight[u] = start[u + 1];
  for (uint32_t u = 0; u < nu; ++u) start[u + 1] += start[u];
  std::vector<uint64_t> order(d.interactions.size());
  {
    std::vector<uint64_t> pos(start.begin(), start.end() - 1);
    for (uint64_t t = 0; t < d.interactions.size(); ++t) order[pos[d.interactions[t].user]++] = t;
  }
  const std::vector<uint32_t> bounds = BalancedBoundaries(weight, shards);
  for (int s = 0; s < shards; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "interactions-%05d.csv", s);
    const fs::path path = dir / name;
    File f(std::fopen(path.c_str(), "wb"));
    if (!f) return Status::IOError(path.string() + ": cannot open for writing");
    std::fputs(d.has_timestamps ? "user,item,strength,timestamp\n" : "user,item,strength\n", f.get());
    std::string line;
    char num[64];
    for (uint32_t u = bounds[static_cast<size_t>(s)]; u < bounds[static_cast<size_t>(s) + 1]; ++u) {
      const std::string uid = CsvField(d.users.Id(u));
      for (uint64_t t = start[u]; t < start[u + 1]; ++t) {
        const Interaction& x = d.interactions[order[t]];
        // Ids are written as bytes (they may hold any UTF-8, NUL included), numbers so that
        // they read back to the same float / integer.
        line = uid;
        line += ',';
        line += CsvField(d.items.Id(x.item));
        std::snprintf(num, sizeof num, ",%.9g", static_cast<double>(x.strength));
        line += num;
        if (d.has_timestamps) {
          std::snprintf(num, sizeof num, ",%" PRId64, x.timestamp);
          line += num;
        }
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), f.get());
      }
    }
    if (std::fflush(f.get()) != 0 || std::ferror(f.get())) return Status::IOError(path.string() + ": write failed (disk full?)");
  }
  return Status::Ok();
}

}  // namespace hybridrec::dist
