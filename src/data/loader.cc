#include "data/loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <numeric>
#include <system_error>
#include <utility>
#include <vector>

#include "core/progress.h"
#include "core/utf8.h"
#include "data/record_reader.h"

namespace hybridrec {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSkipHint = "; fix or remove the row (or pass --skip-bad-rows)";

// The 19 genre names of ml-100k, in flag order (used when u.genre is absent).
constexpr std::array<std::string_view, 19> kMl100kGenres = {
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out.append(s.substr(0, 80));
  if (s.size() > 80) out += "...";
  out += '"';
  return out;
}

// The file an input name refers to: `path` itself, else its compressed copy `path`.gz (gzip)
// or `path`.zst (zstd), else `path` (which then does not exist).
fs::path ResolveInput(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  for (const char* ext : {".gz", ".zst"}) {
    fs::path c = path;
    c += ext;
    if (fs::exists(c, ec)) return c;
  }
  return path;
}

// `p` or its .gz / .zst copy is a file.
bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(ResolveInput(p), ec);
}

bool EndsWith(const fs::path& p, std::string_view ext) {
  const std::string s = p.string();
  return s.size() >= ext.size() && s.compare(s.size() - ext.size(), ext.size(), ext) == 0;
}

// Decompresses a whole gzip file (several concatenated members allowed) into `out`.
Status ReadGzip(const fs::path& path, std::string& out) {
  gzFile gz = ::gzopen(path.c_str(), "rb");
  if (gz == nullptr) return Status::IOError(path.string() + ": cannot open for reading");
  ::gzbuffer(gz, 1 << 20);
  std::vector<char> buf(1 << 20);
  Status st;
  while (true) {
    const int n = ::gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int code = 0;
      const char* msg = ::gzerror(gz, &code);
      st = Status::Corruption(path.string() + ": not a valid gzip file (" + std::string(msg ? msg : "read error") +
                              "); decompress it to check it, or give the uncompressed file");
      break;
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  // A truncated stream reads as an early end; gzread reports it through gzerror as Z_BUF_ERROR.
  if (st.ok()) {
    int code = 0;
    const char* msg = ::gzerror(gz, &code);
    if (code != Z_OK)
      st = Status::Corruption(path.string() + ": the gzip stream is damaged or cut short (" +
                              std::string(msg ? msg : "error") + "); recompress or re-download it");
  }
  ::gzclose(gz);
  return st;
}

// Decompresses a whole zstd file (several frames allowed) into `out`.
Status ReadZstd(const fs::path& path, std::string& out) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IOError(path.string() + ": cannot open for reading");
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(), &ZSTD_freeDStream);
  if (!ds) return Status::IOError(path.string() + ": cannot start the zstd decoder (out of memory?)");
  ZSTD_initDStream(ds.get());
  std::vector<char> in_buf(ZSTD_DStreamInSize()), out_buf(ZSTD_DStreamOutSize());
  size_t last = 0;  // 0 when the last frame is complete
  bool any = false;
  while (true) {
    const size_t n = std::fread(in_buf.data(), 1, in_buf.size(), f.get());
    if (n == 0) break;
    any = true;
    ZSTD_inBuffer in{in_buf.data(), n, 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer ob{out_buf.data(), out_buf.size(), 0};
      last = ZSTD_decompressStream(ds.get(), &ob, &in);
      if (ZSTD_isError(last))
        return Status::Corruption(path.string() + ": not a valid zstd file (" + ZSTD_getErrorName(last) +
                                  "); decompress it to check it, or give the uncompressed file");
      out.append(out_buf.data(), ob.pos);
    }
  }
  if (std::ferror(f.get())) return Status::IOError(path.string() + ": read error");
  if (!any) return Status::Corruption(path.string() + ": empty file, not a zstd stream");
  // Flush what the decoder still holds.
  while (last != 0) {
    ZSTD_inBuffer in{nullptr, 0, 0};
    ZSTD_outBuffer ob{out_buf.data(), out_buf.size(), 0};
    last = ZSTD_decompressStream(ds.get(), &ob, &in);
    if (ZSTD_isError(last))
      return Status::Corruption(path.string() + ": damaged zstd stream (" + ZSTD_getErrorName(last) + ")");
    out.append(out_buf.data(), ob.pos);
    if (ob.pos == 0 && last != 0)
      return Status::Corruption(path.string() +
                                ": the zstd stream is cut short; recompress or re-download it");
  }
  return Status::Ok();
}

// A whole input file: memory-mapped read-only when plain (no copy; the loaders parse from
// memory), decompressed into memory when it is a .gz or .zst file.
class InputFile {
 public:
  InputFile() = default;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  InputFile(InputFile&& o) noexcept
      : path_(std::move(o.path_)), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
        owned_(std::move(o.owned_)), compressed_(o.compressed_) {}
  InputFile& operator=(InputFile&&) = delete;
  ~InputFile() {
    if (data_) ::munmap(data_, size_);
  }
  // `path`, or its compressed copy path.gz / path.zst when only that exists. Missing and empty
  // files are errors that say what the layout needs.
  static Result<InputFile> Open(const fs::path& name, std::string_view what) {
    const fs::path path = ResolveInput(name);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::error_code ec;
      if (!fs::exists(path, ec))
        return Status::NotFound(path.string() + ": no such file (expected " + std::string(what) +
                                "; a .gz or .zst copy of it is read too)");
      return Status::IOError(path.string() + ": cannot open for reading");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::InvalidArgument(path.string() + ": not a regular file");
    }
    InputFile f;
    f.path_ = path;
    if (EndsWith(path, ".gz") || EndsWith(path, ".zst")) {
      ::close(fd);
      f.compressed_ = true;
      try {
        HR_RETURN_IF_ERROR(EndsWith(path, ".gz") ? ReadGzip(path, f.owned_) : ReadZstd(path, f.owned_));
      } catch (const std::bad_alloc&) {
        return Status::IOError(path.string() + ": not enough memory to decompress it");
      }
    } else if (st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        return Status::IOError(path.string() + ": cannot map the file into memory");
      }
      ::madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
      f.data_ = p;
      f.size_ = static_cast<size_t>(st.st_size);
      ::close(fd);
    } else {
      ::close(fd);
    }
    std::string_view v = f.view();
    if (v.substr(0, 3) == "\xEF\xBB\xBF") v.remove_prefix(3);
    if (v.find_first_not_of(" \t\r\n") == std::string_view::npos)
      return Status::InvalidArgument(path.string() + ": file is empty; expected " + std::string(what));
    return f;
  }
  std::string_view view() const {
    return compressed_ ? std::string_view(owned_) : std::string_view(static_cast<const char*>(data_), size_);
  }
  // The file actually read (name it in messages).
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  void* data_ = nullptr;
  size_t size_ = 0;
  std::string owned_;  // decompressed contents
  bool compressed_ = false;
};

// IdMap in front of a direct index for canonical decimal ids ("0", "17", not "017" or "+1"),
// the common case (MovieLens, synth): one array load instead of a string hash per row. The
// string form of such an id is unique, so both paths agree with the IdMap. Misses fall back to
// the IdMap, so ids kept out of the direct index (too large) are still found.
class IdLookup {
 public:
  explicit IdLookup(IdMap& map) : map_(map) {
    for (uint32_t i = 0; i < map_.size(); ++i) Remember(map_.Id(i), i);
  }
  std::optional<uint32_t> Find(std::string_view id) const {
    const int64_t n = Number(id);
    if (n >= 0 && static_cast<size_t>(n) < direct_.size() && direct_[static_cast<size_t>(n)] != kNone)
      return direct_[static_cast<size_t>(n)];
    return map_.Find(id);
  }
  uint32_t GetOrAdd(std::string_view id) {
    if (auto f = Find(id)) return *f;
    const uint32_t idx = map_.GetOrAdd(id);
    Remember(id, idx);
    return idx;
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // The value of a canonical decimal id of at most 9 digits, else -1.
  static int64_t Number(std::string_view s) {
    if (s.empty() || s.size() > 9 || (s[0] == '0' && s.size() > 1)) return -1;
    int64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  void Remember(std::string_view id, uint32_t idx) {
    const int64_t n = Number(id);
    // Keep the index within a small multiple of the number of ids (sparse ids use the map).
    const size_t limit = std::max<size_t>(size_t{1} << 20, 16 * (static_cast<size_t>(map_.size()) + 1));
    if (n < 0 || static_cast<size_t>(n) >= limit) return;
    const auto k = static_cast<size_t>(n);
    if (k >= direct_.size()) direct_.resize(std::min(limit, std::max(k + 1, direct_.size() * 2)), kNone);
    direct_[k] = idx;
  }
  IdMap& map_;
  std::vector<uint32_t> direct_;
};

bool ParseDouble(std::string_view s, double& out) {
  s = Trim(s);
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseInt64(std::string_view s, int64_t& out) {
  s = Trim(s);
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string> SplitGenres(std::string_view s) {
  std::vector<std::string> out;
  s = Trim(s);
  if (s.empty() || s == "(no genres listed)") return out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t bar = s.find('|', start);
    if (bar == std::string_view::npos) bar = s.size();
    const std::string_view g = Trim(s.substr(start, bar - start));
    if (!g.empty() && std::find(out.begin(), out.end(), g) == out.end()) out.emplace_back(g);
    start = bar + 1;
  }
  return out;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Per-file parsing context: owns the row-error policy (fail, or skip and count).
class FileParser {
 public:
  FileParser(const fs::path& path, std::string_view data, RecordReaderOptions ro, const LoadOptions& options,
             LoadReport& report)
      : reader_(data, path.string(), ro), options_(options), report_(report),
        progress_("reading " + path.filename().string() + " (bytes)", data.size(),
                  options.quiet || data.size() < (size_t{64} << 20)) {}

  // Next good record; returns kEnd at the end, or sets `status` on a fatal error.
  bool Next(std::vector<std::string_view>& fields, Status& status) {
    while (true) {
      switch (reader_.Next(fields)) {
        case RecordReader::Outcome::kRecord:
          if ((++records_ & 0xFFFF) == 0) progress_.Update(reader_.offset());
          return true;
        case RecordReader::Outcome::kEnd:
          return false;
        case RecordReader::Outcome::kFatal:
          status = Status::Corruption(reader_.error());
          return false;
        case RecordReader::Outcome::kBadRow:
          status = RowError(reader_.error());
          if (!status.ok()) return false;
          continue;
      }
    }
  }

  // Message prefix "<file>:<line>: ".
  std::string Where() const { return reader_.file_label() + ":" + std::to_string(reader_.line()) + ": "; }

  // Reports a bad row: an error when not skipping, else counted (returns OK).
  Status RowError(const std::string& message) {
    if (!options_.skip_bad_rows) return Status::InvalidArgument(message + std::string(kSkipHint));
    ++report_.rows_skipped;
    if (report_.warnings.size() < options_.max_warnings) report_.warnings.push_back("skipped " + message);
    return Status::Ok();
  }
  Status FieldError(std::string_view field, std::string_view value, std::string_view what) {
    return RowError(Where() + "field '" + std::string(field) + "': " + Quote(value) + " " + std::string(what));
  }
  Status ColumnCountError(size_t expected, size_t found, std::string_view columns) {
    return RowError(Where() + "expected " + std::to_string(expected) + " fields (" + std::string(columns) +
                    "), found " + std::to_string(found));
  }

  // Parses a strength: finite and > 0. Returns false (with `status` set when fatal) if bad.
  bool Strength(std::string_view field, std::string_view s, float& out, Status& status) {
    double v = 0;
    if (!ParseDouble(s, v)) {
      status = FieldError(field, s, "is not a number");
      return false;
    }
    if (!std::isfinite(v) || !std::isfinite(static_cast<float>(v))) {
      status = FieldError(field, s, "is not a finite number");
      return false;
    }
    if (v <= 0) {
      status = FieldError(field, s, "must be > 0 (an observed interaction needs a positive strength)");
      return false;
    }
    out = static_cast<float>(v);
    return true;
  }
  bool Timestamp(std::string_view field, std::string_view s, int64_t& out, Status& status) {
    if (!ParseInt64(s, out)) {
      status = FieldError(field, s, "is not an integer timestamp (seconds since the epoch)");
      return false;
    }
    return true;
  }

  const std::string& label() const { return reader_.file_label(); }

 private:
  RecordReader reader_;
  const LoadOptions& options_;
  LoadReport& report_;
  Progress progress_;  // files under 64 MiB parse in well under a second: no progress for them
  size_t records_ = 0;
};

// Accumulates interactions; users get dense ids in first-seen order. Caches the last user,
// since interaction files are usually grouped by user.
class InteractionSink {
 public:
  // `text` is the interaction file; its line count bounds the number of rows.
  InteractionSink(Dataset& ds, std::string_view text) : ds_(ds), users_(ds.users) {
    ds_.interactions.reserve(ds_.interactions.size() + static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) +
                             1);
  }
  void Add(std::string_view user, uint32_t item, float strength, int64_t ts) {
    if (!have_last_ || user != last_user_) {
      last_index_ = users_.GetOrAdd(user);
      last_user_.assign(user);
      have_last_ = true;
    }
    ds_.interactions.push_back({last_index_, item, strength, ts});
    ++ds_.report.rows_read;
  }

 private:
  Dataset& ds_;
  IdLookup users_;
  std::string last_user_;
  uint32_t last_index_ = 0;
  bool have_last_ = false;
};

}  // namespace

// Bucket by user (counting sort), then sort each user's few items: O(nnz log deg) and no hash table.
void MergeDuplicateInteractions(Dataset& ds) {
  auto& xs = ds.interactions;
  const uint32_t nu = ds.num_users();
  std::vector<uint64_t> start(static_cast<size_t>(nu) + 1, 0);
  for (const auto& x : xs) ++start[x.user + 1];
  for (uint32_t u = 0; u < nu; ++u) start[u + 1] += start[u];
  std::vector<uint32_t> order(xs.size());
  {
    std::vector<uint64_t> pos(start.begin(), start.end() - 1);
    for (size_t k = 0; k < xs.size(); ++k) order[pos[xs[k].user]++] = static_cast<uint32_t>(k);
  }
  std::vector<char> removed;
  size_t merged = 0;
  for (uint32_t u = 0; u < nu; ++u) {
    auto* b = order.data() + start[u];
    auto* e = order.data() + start[u + 1];
    std::sort(b, e, [&](uint32_t a, uint32_t c) { return xs[a].item != xs[c].item ? xs[a].item < xs[c].item : a < c; });
    for (auto* p = b + 1; p < e; ++p) {
      if (xs[*p].item != xs[*(p - 1)].item) continue;
      if (removed.empty()) removed.assign(xs.size(), 0);
      // *(p-1) is the first occurrence or was already merged into it; find the first.
      auto* first = p - 1;
      while (removed[*first]) --first;
      xs[*first].strength += xs[*p].strength;
      xs[*first].timestamp = std::max(xs[*first].timestamp, xs[*p].timestamp);
      removed[*p] = 1;
      ++merged;
    }
  }
  if (merged == 0) return;
  size_t w = 0;
  for (size_t k = 0; k < xs.size(); ++k)
    if (!removed[k]) xs[w++] = xs[k];
  xs.resize(w);
  ds.report.duplicates_merged += merged;
}

namespace {

// ---------------------------------------------------------------------------------------------
// ml-100k

Result<std::vector<std::string>> LoadMl100kGenres(const fs::path& dir, const LoadOptions& options, LoadReport& report) {
  std::vector<std::string> names(kMl100kGenres.begin(), kMl100kGenres.end());
  const fs::path path = dir / "u.genre";
  if (!Exists(path)) return names;
  HR_ASSIGN_OR_RETURN(const InputFile file, InputFile::Open(path, "lines 'genre|index'"));
  FileParser parser(file.path(), file.view(), {'|', false, false}, options, report);
  std::vector<std::string_view> f;
  Status st;
  std::vector<std::string> from_file(names.size());
  while (parser.Next(f, st)) {
    int64_t idx = -1;
    if (f.size() != 2 || !ParseInt64(f[1], idx) || idx < 0 || idx >= static_cast<int64_t>(names.size()))
      return Status::Corruption(parser.Where() +
                                "expected 'name|index' with index 0-18; fix u.genre or delete it "
                                "to use the standard genre names");
    from_file[static_cast<size_t>(idx)] = Latin1ToUtf8(Trim(f[0]));
  }
  HR_RETURN_IF_ERROR(st);
  for (size_t i = 0; i < names.size(); ++i)
    if (!from_file[i].empty()) names[i] = from_file[i];
  return names;
}

Status LoadMl100k(const fs::path& dir, const LoadOptions& options, Dataset& ds) {
  HR_ASSIGN_OR_RETURN(const std::vector<std::string> genres, LoadMl100kGenres(dir, options, ds.report));
  {
    const fs::path path = dir / "u.item";
    HR_ASSIGN_OR_RETURN(const InputFile file,
                        InputFile::Open(path, "pipe-separated items id|title|release|video|url|19 flags"));
    // u.item is latin-1, so no UTF-8 check; no quoting (titles may contain '"').
    FileParser parser(file.path(), file.view(), {'|', false, false}, options, ds.report);
    std::vector<std::string_view> f;
    Status st;
    constexpr size_t kFields = 5 + 19;
    while (parser.Next(f, st)) {
      if (f.size() != kFields) {
        HR_RETURN_IF_ERROR(
            parser.ColumnCountError(kFields, f.size(), "id|title|release|video release|url|19 genre flags"));
        continue;
      }
      const std::string_view id = Trim(f[0]);
      if (id.empty()) {
        HR_RETURN_IF_ERROR(parser.FieldError("movie id", f[0], "is empty"));
        continue;
      }
      if (ds.items.Find(id)) {
        HR_RETURN_IF_ERROR(parser.FieldError("movie id", id, "appears twice in u.item"));
        continue;
      }
      Item item;
      item.title = Latin1ToUtf8(Trim(f[1]));
      bool ok = true;
      for (size_t g = 0; g < 19; ++g) {
        const std::string_view flag = Trim(f[5 + g]);
        if (flag == "1") {
          item.genres.push_back(genres[g]);
        } else if (flag != "0") {
          HR_RETURN_IF_ERROR(parser.FieldError("genre flag " + std::to_string(g), flag, "is not 0 or 1"));
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      ds.items.GetOrAdd(id);
      ds.item_info.push_back(std::move(item));
    }
    HR_RETURN_IF_ERROR(st);
  }
  const fs::path path = dir / "u.data";
  HR_ASSIGN_OR_RETURN(const InputFile file, InputFile::Open(path, "tab-separated rows 'user item rating timestamp'"));
  FileParser parser(file.path(), file.view(), {'\t', false, true}, options, ds.report);
  InteractionSink sink(ds, file.view());
  IdLookup items(ds.items);
  std::vector<std::string_view> f;
  Status st;
  while (parser.Next(f, st)) {
    if (f.size() != 4) {
      HR_RETURN_IF_ERROR(parser.ColumnCountError(4, f.size(), "user<TAB>item<TAB>rating<TAB>timestamp"));
      continue;
    }
    const std::string_view user = Trim(f[0]);
    if (user.empty()) {
      HR_RETURN_IF_ERROR(parser.FieldError("user", f[0], "is empty"));
      continue;
    }
    const auto item = items.Find(Trim(f[1]));
    if (!item) {
      HR_RETURN_IF_ERROR(parser.FieldError("item", f[1], "is not in u.item"));
      continue;
    }
    float strength = 0;
    int64_t ts = 0;
    if (!parser.Strength("rating", f[2], strength, st) || !parser.Timestamp("timestamp", f[3], ts, st)) {
      HR_RETURN_IF_ERROR(st);
      continue;
    }
    sink.Add(user, *item, strength, ts);
  }
  HR_RETURN_IF_ERROR(st);
  ds.has_timestamps = true;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// CSV layouts

// Reads the header row; checks its column count is within [min_cols, max_cols].
Status ReadHeader(FileParser& parser, std::vector<std::string>& header, size_t min_cols, size_t max_cols,
                  std::string_view expected) {
  std::vector<std::string_view> f;
  Status st;
  if (!parser.Next(f, st)) {
    HR_RETURN_IF_ERROR(st);
    return Status::InvalidArgument(parser.label() + ": no header row; expected '" + std::string(expected) + "'");
  }
  if (f.size() < min_cols || f.size() > max_cols)
    return Status::InvalidArgument(parser.Where() + "header has " + std::to_string(f.size()) + " columns; expected '" +
                                   std::string(expected) + "'");
  header.clear();
  for (auto s : f) header.push_back(AsciiLower(Trim(s)));
  return Status::Ok();
}

// Items file (movies.csv or generic items.csv) into ds.items / ds.item_info.
Status LoadItemsCsv(const fs::path& path, bool movielens, const LoadOptions& options, Dataset& ds) {
  const std::string_view expected = movielens ? "movieId,title,genres" : "item,title[,genres][,text]";
  HR_ASSIGN_OR_RETURN(const InputFile file,
                      InputFile::Open(path, "a header row '" + std::string(expected) + "' and one row per item"));
  FileParser parser(file.path(), file.view(), {}, options, ds.report);
  std::vector<std::string> header;
  HR_RETURN_IF_ERROR(ReadHeader(parser, header, movielens ? 3 : 2, movielens ? 3 : 4, expected));
  // Roles of columns 3 and 4 (generic layout): genres unless the header says otherwise.
  enum class Role { kGenres, kText, kTags };
  std::vector<Role> roles;
  for (size_t c = 2; c < header.size(); ++c) {
    const std::string& h = header[c];
    if (h == "text" || h == "description")
      roles.push_back(Role::kText);
    else if (h == "tags")
      roles.push_back(Role::kTags);
    else if (h == "genres" || h == "genre")
      roles.push_back(Role::kGenres);
    else
      roles.push_back(c == 2 ? Role::kGenres : Role::kText);
  }
  std::vector<std::string_view> f;
  Status st;
  while (parser.Next(f, st)) {
    if (f.size() != header.size()) {
      HR_RETURN_IF_ERROR(parser.ColumnCountError(header.size(), f.size(), expected));
      continue;
    }
    const std::string_view id = Trim(f[0]);
    if (id.empty()) {
      HR_RETURN_IF_ERROR(parser.FieldError(header[0], f[0], "is empty"));
      continue;
    }
    if (ds.items.Find(id)) {
      HR_RETURN_IF_ERROR(parser.FieldError(header[0], id, "appears twice in the item file"));
      continue;
    }
    Item item;
    item.title = std::string(Trim(f[1]));
    for (size_t c = 2; c < f.size(); ++c) {
      switch (roles[c - 2]) {
        case Role::kGenres:
          item.genres = SplitGenres(f[c]);
          break;
        case Role::kTags:
          item.tags = SplitGenres(f[c]);
          break;
        case Role::kText:
          item.description = std::string(Trim(f[c]));
          break;
      }
    }
    ds.items.GetOrAdd(id);
    ds.item_info.push_back(std::move(item));
  }
  return st;
}

// Interaction file (ratings.csv or generic interactions.csv). When `items_fixed`, items must
// already be in ds.items; otherwise new items are added with their id as title.
Status LoadInteractionsCsv(const fs::path& path, bool movielens, bool items_fixed, const LoadOptions& options,
                           Dataset& ds) {
  const std::string_view expected = movielens ? "userId,movieId,rating,timestamp" : "user,item,strength[,timestamp]";
  HR_ASSIGN_OR_RETURN(const InputFile file,
                      InputFile::Open(path, "a header row '" + std::string(expected) + "' and interaction rows"));
  FileParser parser(file.path(), file.view(), {}, options, ds.report);
  std::vector<std::string> header;
  HR_RETURN_IF_ERROR(ReadHeader(parser, header, movielens ? 4 : 3, 4, expected));
  {
    double v = 0;
    if (ParseDouble(header[2], v))
      return Status::InvalidArgument(path.string() +
                                     ":1: the first row looks like data, not a header; add a header "
                                     "row '" +
                                     std::string(expected) + "'");
  }
  const std::string item_file = movielens ? "movies.csv" : "items.csv";
  const size_t cols = header.size();
  ds.has_timestamps = cols == 4;
  InteractionSink sink(ds, file.view());
  IdLookup items(ds.items);
  std::vector<std::string_view> f;
  Status st;
  while (parser.Next(f, st)) {
    if (f.size() != cols) {
      HR_RETURN_IF_ERROR(parser.ColumnCountError(cols, f.size(), expected));
      continue;
    }
    const std::string_view user = Trim(f[0]);
    const std::string_view item_id = Trim(f[1]);
    if (user.empty() || item_id.empty()) {
      HR_RETURN_IF_ERROR(parser.FieldError(user.empty() ? header[0] : header[1], "", "is empty"));
      continue;
    }
    std::optional<uint32_t> item = items.Find(item_id);
    if (!item) {
      if (items_fixed) {
        HR_RETURN_IF_ERROR(parser.FieldError(header[1], item_id, "is not in " + item_file));
        continue;
      }
    }
    float strength = 0;
    int64_t ts = 0;
    if (!parser.Strength(header[2], f[2], strength, st) || (cols == 4 && !parser.Timestamp(header[3], f[3], ts, st))) {
      HR_RETURN_IF_ERROR(st);
      continue;
    }
    if (!item) {
      item = items.GetOrAdd(item_id);
      ds.item_info.push_back(Item{std::string(item_id), {}, {}, {}});
    }
    sink.Add(user, *item, strength, ts);
  }
  return st;
}

Status LoadTagsCsv(const fs::path& path, const LoadOptions& options, Dataset& ds) {
  constexpr std::string_view expected = "userId,movieId,tag,timestamp";
  HR_ASSIGN_OR_RETURN(const InputFile file, InputFile::Open(path, "a header row 'userId,movieId,tag,timestamp'"));
  FileParser parser(file.path(), file.view(), {}, options, ds.report);
  std::vector<std::string> header;
  HR_RETURN_IF_ERROR(ReadHeader(parser, header, 3, 4, expected));
  std::vector<std::vector<std::string>> lowered(ds.item_info.size());  // per item, for de-duplication
  IdLookup items(ds.items);
  std::vector<std::string_view> f;
  Status st;
  while (parser.Next(f, st)) {
    if (f.size() != header.size()) {
      HR_RETURN_IF_ERROR(parser.ColumnCountError(header.size(), f.size(), expected));
      continue;
    }
    const auto item = items.Find(Trim(f[1]));
    if (!item) {
      HR_RETURN_IF_ERROR(parser.FieldError(header[1], f[1], "is not in movies.csv"));
      continue;
    }
    const std::string_view tag = Trim(f[2]);
    if (tag.empty()) continue;
    std::string low = AsciiLower(tag);
    auto& seen = lowered[*item];
    if (std::find(seen.begin(), seen.end(), low) != seen.end()) continue;
    seen.push_back(std::move(low));
    ds.item_info[*item].tags.emplace_back(tag);
  }
  return st;
}

}  // namespace

Result<std::string> DetectFormat(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::NotFound(dir.string() +
                            ": no such directory; pass a dataset directory (e.g. run "
                            "'hybridrec fetch-data ml-100k' first)");
  if (Exists(dir / "u.data") && Exists(dir / "u.item")) return std::string("ml-100k");
  if (Exists(dir / "ratings.csv") && Exists(dir / "movies.csv")) return std::string("movielens-csv");
  if (Exists(dir / "interactions.csv")) return std::string("generic");
  return Status::NotFound(dir.string() +
                          ": no known dataset layout; expected u.data + u.item (ml-100k), "
                          "ratings.csv + movies.csv (MovieLens CSV) or interactions.csv [+ items.csv] (generic)");
}

namespace {

// The layout LoadDataset reads: the one `format` names, or the one DetectFormat finds for "auto".
Result<std::string> LayoutOf(const fs::path& dir, const std::string& format) {
  if (format == "auto") return DetectFormat(dir);
  if (format != "ml-100k" && format != "movielens-csv" && format != "generic")
    return Status::InvalidArgument("unknown dataset format '" + format +
                                   "'; expected auto, ml-100k, movielens-csv or generic");
  return format;
}

}  // namespace

Result<std::vector<fs::path>> DatasetInputFiles(const fs::path& dir, const LoadOptions& options) {
  HR_ASSIGN_OR_RETURN(const std::string format, LayoutOf(dir, options.format));
  // Each layout's files in the order LoadDataset reads them; the bool marks an optional file.
  std::vector<std::pair<const char*, bool>> names;
  if (format == "ml-100k") names = {{"u.genre", true}, {"u.item", false}, {"u.data", false}};
  else if (format == "movielens-csv") names = {{"movies.csv", false}, {"ratings.csv", false}, {"tags.csv", true}};
  else names = {{"items.csv", true}, {"interactions.csv", false}};
  std::vector<fs::path> files;
  for (const auto& [name, optional] : names)
    if (!optional || Exists(dir / name)) files.push_back(ResolveInput(dir / name));
  return files;
}

Result<Dataset> LoadDataset(const fs::path& dir, const LoadOptions& options) {
  HR_ASSIGN_OR_RETURN(const std::string format, LayoutOf(dir, options.format));
  Dataset ds;
  ds.format = format;
  fs::path clean = dir.lexically_normal();
  if (!clean.has_filename()) clean = clean.parent_path();
  ds.name = clean.filename().string();
  if (ds.name.empty() || ds.name == ".") ds.name = fs::absolute(dir).lexically_normal().filename().string();
  if (format == "ml-100k") {
    HR_RETURN_IF_ERROR(LoadMl100k(dir, options, ds));
  } else if (format == "movielens-csv") {
    HR_RETURN_IF_ERROR(LoadItemsCsv(dir / "movies.csv", true, options, ds));
    HR_RETURN_IF_ERROR(LoadInteractionsCsv(dir / "ratings.csv", true, true, options, ds));
    if (Exists(dir / "tags.csv")) HR_RETURN_IF_ERROR(LoadTagsCsv(dir / "tags.csv", options, ds));
  } else {
    const bool have_items = Exists(dir / "items.csv");
    if (have_items) HR_RETURN_IF_ERROR(LoadItemsCsv(dir / "items.csv", false, options, ds));
    HR_RETURN_IF_ERROR(LoadInteractionsCsv(dir / "interactions.csv", false, have_items, options, ds));
  }
  if (ds.interactions.empty())
    return Status::InvalidArgument(dir.string() + ": the interaction file has no usable rows" +
                                   (ds.report.rows_skipped
                                        ? " (" + std::to_string(ds.report.rows_skipped) + " bad rows skipped)"
                                        : std::string()));
  MergeDuplicateInteractions(ds);
  if (ds.report.rows_skipped > ds.report.warnings.size())
    ds.report.warnings.push_back("... " + std::to_string(ds.report.rows_skipped - ds.report.warnings.size()) +
                                 " more bad rows skipped");
  return ds;
}

Result<Dataset> LoadItemCatalogue(const fs::path& items_csv, const LoadOptions& options) {
  Dataset ds;
  ds.format = "generic";
  HR_RETURN_IF_ERROR(LoadItemsCsv(items_csv, false, options, ds));
  return ds;
}

Status AppendInteractionsFile(const fs::path& path, const LoadOptions& options, Dataset& ds) {
  return LoadInteractionsCsv(path, false, true, options, ds);
}

}  // namespace hybridrec
