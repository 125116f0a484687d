#include "data/dataset_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <random>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/npy.h"

namespace hybridrec {
namespace fs = std::filesystem;

namespace {

// Bump when the entry layout or the loader's output for the same input changes.
constexpr int kCacheVersion = 1;
constexpr std::string_view kStringsMagic = "HRSTR1\n";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// Fingerprint of the input and options, and the total size of the input files: the files are
// those the loader reads for `dir` and `options` (DatasetInputFiles); a missing one is simply
// not part of it. Errors as the loader's when it finds no layout to read.
Result<std::string> Fingerprint(const fs::path& dir, const LoadOptions& options, uint64_t& total_bytes) {
  total_bytes = 0;
  HR_ASSIGN_OR_RETURN(const std::vector<fs::path> inputs, DatasetInputFiles(dir, options));
  nlohmann::json j = {{"version", kCacheVersion},
                      {"format", options.format},
                      {"skip_bad_rows", options.skip_bad_rows},
                      {"max_warnings", options.max_warnings}};
  std::error_code ec;
  const fs::path abs = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  // Paths as raw bytes: a file name need not be valid UTF-8, which a JSON string must be.
  auto bytes = [](const std::string& t) { return nlohmann::json::binary(std::vector<uint8_t>(t.begin(), t.end())); };
  j["dir"] = bytes(abs.string());
  nlohmann::json files = nlohmann::json::array();
  for (const fs::path& p : inputs) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    total_bytes += static_cast<uint64_t>(st.st_size);
    files.push_back({bytes(p.filename().string()), static_cast<int64_t>(st.st_size),
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
  }
  j["files"] = std::move(files);
  return Sha256Hex(j.dump()).substr(0, 32);
}

void PutU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void PutU64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

void PutStrings(std::string& out, const std::vector<std::string>& v) {
  PutU64(out, v.size());
  for (const std::string& s : v) {
    PutU32(out, static_cast<uint32_t>(s.size()));
    out += s;
  }
}

// Reads the sections written by PutStrings, checking every length against what is left.
class StringsReader {
 public:
  explicit StringsReader(std::string_view data) : data_(data) {}
  bool Magic() {
    if (data_.substr(0, kStringsMagic.size()) != kStringsMagic) return false;
    pos_ = kStringsMagic.size();
    return true;
  }
  bool Read(std::vector<std::string>& out, uint64_t expect) {
    uint64_t n = 0;
    if (!Get(n) || n != expect) return false;
    out.clear();
    out.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t len = 0;
      if (!Get(len) || data_.size() - pos_ < len) return false;
      out.emplace_back(data_.substr(pos_, len));
      pos_ += len;
    }
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  template <typename T>
  bool Get(T& v) {
    if (data_.size() - pos_ < sizeof v) return false;
    std::memcpy(&v, data_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

Status WriteEntry(const Dataset& d, const fs::path& dir) {
  const size_t n = d.interactions.size();
  std::vector<uint32_t> user(n), item(n);
  std::vector<float> strength(n);
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; ++i) {
    const Interaction& x = d.interactions[i];
    user[i] = x.user;
    item[i] = x.item;
    strength[i] = x.strength;
    ts[i] = x.timestamp;
  }
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / "interactions_user.npy", EncodeNpy(NpyDtype::kUInt32, {n}, user.data())));
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / "interactions_item.npy", EncodeNpy(NpyDtype::kUInt32, {n}, item.data())));
  HR_RETURN_IF_ERROR(
      WriteFileAtomic(dir / "interactions_strength.npy", EncodeNpy(NpyDtype::kFloat32, {n}, strength.data())));
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / "interactions_timestamp.npy", EncodeNpy(NpyDtype::kInt64, {n}, ts.data())));
  const size_t ni = d.item_info.size();
  std::vector<int32_t> counts(ni * 2);
  std::vector<std::string> titles(ni), descriptions(ni), genres, tags;
  for (size_t i = 0; i < ni; ++i) {
    const Item& it = d.item_info[i];
    titles[i] = it.title;
    descriptions[i] = it.description;
    counts[2 * i] = static_cast<int32_t>(it.genres.size());
    counts[2 * i + 1] = static_cast<int32_t>(it.tags.size());
    genres.insert(genres.end(), it.genres.begin(), it.genres.end());
    tags.insert(tags.end(), it.tags.begin(), it.tags.end());
  }
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / "item_counts.npy", EncodeNpy(NpyDtype::kInt32, {ni, 2}, counts.data())));
  std::string strings(kStringsMagic);
  PutStrings(strings, d.users.ids());
  PutStrings(strings, d.items.ids());
  PutStrings(strings, titles);
  PutStrings(strings, descriptions);
  PutStrings(strings, genres);
  PutStrings(strings, tags);
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / "strings.bin", strings));
  nlohmann::json meta = {{"version", kCacheVersion},
                         {"name", d.name},
                         {"format", d.format},
                         {"users", d.num_users()},
                         {"items", d.num_items()},
                         {"interactions", n},
                         {"genres", genres.size()},
                         {"tags", tags.size()},
                         {"has_timestamps", d.has_timestamps},
                         {"report",
                          {{"rows_read", d.report.rows_read},
                           {"duplicates_merged", d.report.duplicates_merged},
                           {"rows_skipped", d.report.rows_skipped},
                           {"warnings", d.report.warnings}}}};
  // meta.json last: an entry without it is incomplete and never read.
  // Warnings quote the input, which need not be valid UTF-8: such bytes are written as U+FFFD.
  return WriteFileAtomic(dir / "meta.json", meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Streams an array written by EncodeNpy, `n` elements of T, to fn(first, count, values) in
// chunks (no copy of the whole array); false when the header or the size is not what was
// written or fn returns false. Reading in chunks straight into the dataset keeps a cached load
// near the speed of reading the files.
template <typename T, typename Fn>
bool ReadColumn(const fs::path& path, NpyDtype dtype, size_t n, Fn&& fn, size_t cols = 0) {
  NpyStreamOptions read;
  read.chunk_bytes = (size_t{1} << 20) * sizeof(T);
  read.on_chunk = [&fn, &path](size_t offset, const void* data, size_t bytes) {
    if (fn(offset / sizeof(T), bytes / sizeof(T), static_cast<const T*>(data))) return Status::Ok();
    return Status::Corruption(path.string() + ": a value out of range");
  };
  // A 2-D array (cols > 0) of n elements in all: n / cols rows.
  return ReadNpyStream(path, dtype, cols > 0 ? std::vector<size_t>{n / cols, cols} : std::vector<size_t>{n}, read).ok();
}

template <typename T>
bool ReadArray(const fs::path& path, NpyDtype dtype, size_t n, std::vector<T>& out, size_t cols = 0) {
  out.resize(n);
  return ReadColumn<T>(
      path, dtype, n,
      [&](size_t first, size_t count, const T* v) {
        std::memcpy(out.data() + first, v, count * sizeof(T));
        return true;
      },
      cols);
}

// The dataset of a complete entry, or false when anything is missing or inconsistent.
bool ReadEntry(const fs::path& dir, Dataset& d) {
  auto meta_text = ReadFile(dir / "meta.json");
  if (!meta_text.ok()) return false;
  try {
    const nlohmann::json meta = nlohmann::json::parse(*meta_text);
    if (meta.at("version").get<int>() != kCacheVersion) return false;
    const size_t n = meta.at("interactions").get<size_t>();
    const size_t nu = meta.at("users").get<size_t>(), ni = meta.at("items").get<size_t>();
    const size_t ng = meta.at("genres").get<size_t>(), nt = meta.at("tags").get<size_t>();
    std::vector<int32_t> counts;
    if (!ReadArray(dir / "item_counts.npy", NpyDtype::kInt32, ni * 2, counts, 2)) return false;
    std::vector<Interaction> interactions(n);
    const bool columns_ok =
        ReadColumn<uint32_t>(dir / "interactions_user.npy", NpyDtype::kUInt32, n,
                             [&](size_t first, size_t count, const uint32_t* v) {
                               for (size_t i = 0; i < count; ++i) {
                                 if (v[i] >= nu) return false;
                                 interactions[first + i].user = v[i];
                               }
                               return true;
                             }) &&
        ReadColumn<uint32_t>(dir / "interactions_item.npy", NpyDtype::kUInt32, n,
                             [&](size_t first, size_t count, const uint32_t* v) {
                               for (size_t i = 0; i < count; ++i) {
                                 if (v[i] >= ni) return false;
                                 interactions[first + i].item = v[i];
                               }
                               return true;
                             }) &&
        ReadColumn<float>(dir / "interactions_strength.npy", NpyDtype::kFloat32, n,
                          [&](size_t first, size_t count, const float* v) {
                            for (size_t i = 0; i < count; ++i) interactions[first + i].strength = v[i];
                            return true;
                          }) &&
        ReadColumn<int64_t>(dir / "interactions_timestamp.npy", NpyDtype::kInt64, n,
                            [&](size_t first, size_t count, const int64_t* v) {
                              for (size_t i = 0; i < count; ++i) interactions[first + i].timestamp = v[i];
                              return true;
                            });
    if (!columns_ok) return false;
    auto strings = ReadFile(dir / "strings.bin");
    if (!strings.ok()) return false;
    StringsReader r(*strings);
    std::vector<std::string> users, items, titles, descriptions, genres, tags;
    if (!r.Magic() || !r.Read(users, nu) || !r.Read(items, ni) || !r.Read(titles, ni) ||
        !r.Read(descriptions, ni) || !r.Read(genres, ng) || !r.Read(tags, nt) || !r.AtEnd())
      return false;
    Dataset out;
    out.name = meta.at("name").get<std::string>();
    out.format = meta.at("format").get<std::string>();
    out.has_timestamps = meta.at("has_timestamps").get<bool>();
    const nlohmann::json& rep = meta.at("report");
    out.report.rows_read = rep.at("rows_read").get<size_t>();
    out.report.duplicates_merged = rep.at("duplicates_merged").get<size_t>();
    out.report.rows_skipped = rep.at("rows_skipped").get<size_t>();
    out.report.warnings = rep.at("warnings").get<std::vector<std::string>>();
    for (const std::string& u : users) out.users.GetOrAdd(u);
    for (const std::string& i : items) out.items.GetOrAdd(i);
    if (out.users.size() != nu || out.items.size() != ni) return false;  // duplicate ids: not ours
    out.item_info.resize(ni);
    size_t g = 0, t = 0;
    for (size_t i = 0; i < ni; ++i) {
      Item& it = out.item_info[i];
      it.title = std::move(titles[i]);
      it.description = std::move(descriptions[i]);
      const auto cg = static_cast<size_t>(counts[2 * i]), ct = static_cast<size_t>(counts[2 * i + 1]);
      if (counts[2 * i] < 0 || counts[2 * i + 1] < 0 || cg > ng - g || ct > nt - t) return false;
      it.genres.assign(std::make_move_iterator(genres.begin() + static_cast<std::ptrdiff_t>(g)),
                       std::make_move_iterator(genres.begin() + static_cast<std::ptrdiff_t>(g + cg)));
      it.tags.assign(std::make_move_iterator(tags.begin() + static_cast<std::ptrdiff_t>(t)),
                     std::make_move_iterator(tags.begin() + static_cast<std::ptrdiff_t>(t + ct)));
      g += cg;
      t += ct;
    }
    if (g != ng || t != nt) return false;
    out.interactions = std::move(interactions);
    d = std::move(out);
    return true;
  } catch (const std::exception&) {
    return false;  // malformed meta.json
  }
}

}  // namespace

fs::path DefaultDatasetCacheDir() {
  if (std::string v = Env("HYBRIDREC_CACHE_DIR"); !v.empty()) return fs::path(v);
  if (std::string v = Env("XDG_CACHE_HOME"); !v.empty()) return fs::path(v) / "hybridrec" / "datasets";
  if (std::string v = Env("HOME"); !v.empty()) return fs::path(v) / ".cache" / "hybridrec" / "datasets";
  std::error_code ec;
  return fs::temp_directory_path(ec) / "hybridrec-cache" / "datasets";
}

Result<CachedDataset> LoadDatasetCached(const fs::path& dir, const LoadOptions& options,
                                        const DatasetCacheOptions& cache) {
  CachedDataset out;
  uint64_t total = 0;
  const Result<std::string> fingerprint = cache.enabled ? Fingerprint(dir, options, total) : std::string();
  if (!cache.enabled || !fingerprint.ok() || total < cache.min_bytes) {
    HR_ASSIGN_OR_RETURN(out.dataset, LoadDataset(dir, options));
    return out;
  }
  const fs::path root = cache.dir.empty() ? DefaultDatasetCacheDir() : cache.dir;
  const std::string& key = *fingerprint;
  const fs::path entry = root / key;
  std::error_code ec;
  if (fs::exists(entry / "meta.json", ec)) {
    const auto t0 = std::chrono::steady_clock::now();
    if (ReadEntry(entry, out.dataset)) {
      out.from_cache = true;
      out.entry = entry;
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2f", s);
      out.note = "read the parsed dataset from the cache " + entry.string() + " in " + buf +
                 " s (the input files are unchanged; --no-cache parses them again)";
      return out;
    }
    out.note = "the cache entry " + entry.string() + " was unreadable; parsed the files again and replaced it";
  }
  HR_ASSIGN_OR_RETURN(out.dataset, LoadDataset(dir, options));
  // Write into a private temporary directory, then rename it into place.
  std::random_device rd;
  const fs::path tmp = root / (key + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(tmp, ec);
  Status st = ec ? Status::IOError(tmp.string() + ": cannot create: " + ec.message()) : WriteEntry(out.dataset, tmp);
  if (st.ok()) {
    fs::remove_all(entry, ec);  // an unreadable old entry
    fs::rename(tmp, entry, ec);
    if (ec && !fs::exists(entry / "meta.json")) st = Status::IOError(entry.string() + ": rename failed: " + ec.message());
  }
  fs::remove_all(tmp, ec);
  if (st.ok()) {
    out.entry = entry;
    if (out.note.empty())
      out.note = "cached the parsed dataset in " + entry.string() + "; the next load of these files reads it";
  } else {
    out.note = "could not write the dataset cache (" + st.message() +
               "); loading works without it (set HYBRIDREC_CACHE_DIR or --cache-dir to a writable directory)";
  }
  return out;
}

}  // namespace hybridrec
