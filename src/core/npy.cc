#include "core/npy.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/file_util.h"

namespace hybridrec {
namespace {

const char kMagic[] = "\x93NUMPY";

std::string_view DescrOf(NpyDtype d) {
  switch (d) {
    case NpyDtype::kFloat32: return "<f4";
    case NpyDtype::kFloat64: return "<f8";
    case NpyDtype::kInt32: return "<i4";
    case NpyDtype::kInt64: return "<i8";
    case NpyDtype::kUInt32: return "<u4";
  }
  return "?";
}
size_t ItemSize(NpyDtype d) {
  return (d == NpyDtype::kFloat64 || d == NpyDtype::kInt64) ? 8 : 4;
}

std::string ShapeText(const std::vector<size_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + ")";
}

// Extracts the value text following 'key': in a Python dict literal header.
bool FindKey(std::string_view h, std::string_view key, std::string_view* rest) {
  const std::string pat = "'" + std::string(key) + "'";
  const size_t k = h.find(pat);
  if (k == std::string_view::npos) return false;
  size_t p = h.find(':', k + pat.size());
  if (p == std::string_view::npos) return false;
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  *rest = h.substr(p);
  return true;
}

}  // namespace

std::string EncodeNpyHeader(NpyDtype dtype, const std::vector<size_t>& shape) {
  std::string shp = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    shp += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) shp += ",";
    if (i + 1 < shape.size()) shp += " ";
  }
  shp += ")";
  std::string header = "{'descr': '" + std::string(DescrOf(dtype)) + "', 'fortran_order': False, 'shape': " + shp + ", }";
  // Pad so that magic(6)+ver(2)+len(2)+header is a multiple of 64, ending in '\n'.
  const size_t pre = 10;
  size_t total = pre + header.size() + 1;
  const size_t pad = (64 - total % 64) % 64;
  header.append(pad, ' ');
  header.push_back('\n');
  std::string out;
  out.append(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  const auto hl = static_cast<uint16_t>(header.size());
  out.push_back(static_cast<char>(hl & 0xFF));
  out.push_back(static_cast<char>(hl >> 8));
  out += header;
  return out;
}

std::string EncodeNpy(NpyDtype dtype, const std::vector<size_t>& shape, const void* data) {
  size_t n = 1;
  for (auto d : shape) n *= d;
  std::string out = EncodeNpyHeader(dtype, shape);
  out.reserve(out.size() + n * ItemSize(dtype));
  if (n > 0) out.append(static_cast<const char*>(data), n * ItemSize(dtype));
  return out;
}

Status WriteNpy(const std::filesystem::path& path, NpyDtype dtype, const std::vector<size_t>& shape, const void* data) {
  size_t n = 1;
  for (auto d : shape) n *= d;
  const std::string header = EncodeNpyHeader(dtype, shape);
  const std::string_view parts[2] = {header, std::string_view(n > 0 ? static_cast<const char*>(data) : "", n * ItemSize(dtype))};
  return WriteFileAtomic(path, parts);
}

Result<size_t> NpyHeaderLength(std::string_view b, std::string_view name) {
  const std::string nm(name);
  if (b.size() < 10 || std::memcmp(b.data(), kMagic, 6) != 0)
    return Status::Corruption(nm + ": not a .npy file (bad magic at byte 0)");
  const auto major = static_cast<unsigned char>(b[6]);
  size_t hlen, pre;
  if (major == 1) {
    hlen = static_cast<unsigned char>(b[8]) | (static_cast<size_t>(static_cast<unsigned char>(b[9])) << 8);
    pre = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) return Status::Corruption(nm + ": truncated .npy header");
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(b[8 + i])) << (8 * i);
    pre = 12;
  } else {
    return Status::Unsupported(nm + ": .npy format version " + std::to_string(major) + " is not supported");
  }
  return pre + hlen;
}

Result<NpyHeader> ParseNpyHeader(std::string_view b, std::string_view name) {
  const std::string nm(name);
  HR_ASSIGN_OR_RETURN(const size_t total, NpyHeaderLength(b, name));
  if (total > b.size()) return Status::Corruption(nm + ": truncated .npy header (header says " + std::to_string(total) + " bytes)");
  const size_t pre = static_cast<unsigned char>(b[6]) == 1 ? 10 : 12;
  const size_t hlen = total - pre;
  const std::string_view h = b.substr(pre, hlen);
  NpyHeader arr;
  std::string_view v;
  if (!FindKey(h, "descr", &v) || v.empty() || (v[0] != '\'' && v[0] != '"'))
    return Status::Corruption(nm + ": .npy header has no 'descr'");
  const size_t q = v.find(v[0], 1);
  if (q == std::string_view::npos) return Status::Corruption(nm + ": malformed 'descr' in .npy header");
  const std::string_view descr = v.substr(1, q - 1);
  if (descr == "<f4") arr.dtype = NpyDtype::kFloat32;
  else if (descr == "<f8") arr.dtype = NpyDtype::kFloat64;
  else if (descr == "<i4") arr.dtype = NpyDtype::kInt32;
  else if (descr == "<i8") arr.dtype = NpyDtype::kInt64;
  else if (descr == "<u4") arr.dtype = NpyDtype::kUInt32;
  else return Status::Unsupported(nm + ": dtype '" + std::string(descr) + "' is not supported");
  if (!FindKey(h, "fortran_order", &v)) return Status::Corruption(nm + ": .npy header has no 'fortran_order'");
  if (v.substr(0, 4) == "True") return Status::Unsupported(nm + ": Fortran-order arrays are not supported");
  if (v.substr(0, 5) != "False") return Status::Corruption(nm + ": malformed 'fortran_order'");
  if (!FindKey(h, "shape", &v) || v.empty() || v[0] != '(') return Status::Corruption(nm + ": .npy header has no 'shape'");
  const size_t close = v.find(')');
  if (close == std::string_view::npos) return Status::Corruption(nm + ": malformed 'shape'");
  std::string_view dims = v.substr(1, close - 1);
  while (!dims.empty()) {
    while (!dims.empty() && (dims[0] == ' ' || dims[0] == ',')) dims.remove_prefix(1);
    if (dims.empty()) break;
    size_t d = 0, k = 0;
    while (k < dims.size() && dims[k] >= '0' && dims[k] <= '9') {
      if (d > (SIZE_MAX / 10) - 10) return Status::Corruption(nm + ": shape dimension too large");
      d = d * 10 + static_cast<size_t>(dims[k] - '0');
      ++k;
    }
    if (k == 0) return Status::Corruption(nm + ": malformed 'shape'");
    arr.shape.push_back(d);
    dims.remove_prefix(k);
    if (arr.shape.size() > 2) return Status::Unsupported(nm + ": arrays with more than 2 dimensions are not supported");
  }
  if (arr.shape.empty()) return Status::Unsupported(nm + ": 0-d arrays are not supported");
  size_t n = 1;
  for (auto d : arr.shape) {
    if (d != 0 && n > SIZE_MAX / d / 8) return Status::Corruption(nm + ": shape too large");
    n *= d;
  }
  arr.data_offset = total;
  arr.payload_bytes = n * ItemSize(arr.dtype);
  return arr;
}

Result<NpyArray> DecodeNpy(std::string_view b, std::string_view name) {
  const std::string nm(name);
  HR_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(b, name));
  const size_t want = h.payload_bytes;
  const size_t have = b.size() - h.data_offset;
  if (have != want)
    return Status::Corruption(nm + ": payload is " + std::to_string(have) + " bytes, shape and dtype need " + std::to_string(want));
  NpyArray arr;
  arr.dtype = h.dtype;
  arr.shape = std::move(h.shape);
  arr.data.assign(b.data() + h.data_offset, want);
  return arr;
}

Status ReadNpyStream(const std::filesystem::path& path, NpyDtype dtype, const std::vector<size_t>& shape,
                     const NpyStreamOptions& options) {
  const std::string ps = path.string();
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::Corruption(ps + ": cannot open: " + std::strerror(errno));
  // The header: its length from the prefix, then the whole of it.
  std::string head(kNpyPrefixBytes, '\0');
  head.resize(std::fread(head.data(), 1, head.size(), f.get()));
  HR_ASSIGN_OR_RETURN(const size_t header_len, NpyHeaderLength(head, ps));
  if (header_len > (size_t{1} << 20))
    return Status::Corruption(ps + ": .npy header of " + std::to_string(header_len) + " bytes");
  if (header_len > head.size()) {
    const size_t have = head.size();
    head.resize(header_len);
    if (std::fread(head.data() + have, 1, header_len - have, f.get()) != header_len - have)
      return Status::Corruption(ps + ": truncated .npy header");
  }
  HR_ASSIGN_OR_RETURN(const NpyHeader h, ParseNpyHeader(head, ps));
  if (h.dtype != dtype)
    return Status::Corruption(ps + ": unexpected dtype '" + std::string(DescrOf(h.dtype)) + "', expected '" +
                              std::string(DescrOf(dtype)) + "'");
  if (h.shape != shape)
    return Status::Corruption(ps + ": shape " + ShapeText(h.shape) + " does not match the " +
                              std::string(options.shape_source) + " " + ShapeText(shape));
  const size_t payload = h.payload_bytes;
  if (options.dest != nullptr && options.dest_bytes != payload)
    return Status::Corruption(ps + ": payload of " + std::to_string(payload) + " bytes, expected " +
                              std::to_string(options.dest_bytes));
  auto too_short = [&](size_t have) {
    return Status::Corruption(ps + ": payload is " + std::to_string(have) + " bytes, shape and dtype need " +
                              std::to_string(payload));
  };
  struct stat st {};
  if (::fstat(::fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode)) {
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size < h.data_offset + static_cast<uint64_t>(payload))
      return too_short(size > h.data_offset ? static_cast<size_t>(size - h.data_offset) : 0);
    if (size > h.data_offset + static_cast<uint64_t>(payload))
      return Status::Corruption(ps + ": bytes after the payload (shape and dtype need " + std::to_string(payload) + ")");
  }
  if (options.observe) options.observe(head.data(), h.data_offset);

  const size_t item = ItemSize(dtype);
  const size_t chunk = std::max(item, options.chunk_bytes / item * item);
  std::unique_ptr<uint64_t[]> own;  // 8-byte aligned, so a chunk can be read as any dtype
  if (options.dest == nullptr) own.reset(new uint64_t[(std::min(chunk, std::max(payload, item)) + 7) / 8]);
  // Whatever the prefix read beyond the header is the payload's start.
  std::string_view early = std::string_view(head).substr(std::min(h.data_offset, head.size()));
  for (size_t done = 0; done < payload;) {
    const size_t want = std::min(chunk, payload - done);
    char* to = options.dest != nullptr ? static_cast<char*>(options.dest) + done : reinterpret_cast<char*>(own.get());
    size_t got = std::min(early.size(), want);
    if (got > 0) std::memcpy(to, early.data(), got);
    early.remove_prefix(got);
    got += std::fread(to + got, 1, want - got, f.get());
    if (got != want) return too_short(done + got);
    if (options.observe) options.observe(to, got);
    if (options.on_chunk) HR_RETURN_IF_ERROR(options.on_chunk(done, to, got));
    done += got;
  }
  char extra = 0;
  if (!early.empty() || std::fread(&extra, 1, 1, f.get()) != 0)
    return Status::Corruption(ps + ": bytes after the payload (shape and dtype need " + std::to_string(payload) + ")");
  return Status::Ok();
}

Status WriteNpyFloat32(const std::filesystem::path& path, const float* data, size_t rows, size_t cols) {
  return WriteNpy(path, NpyDtype::kFloat32, {rows, cols}, data);
}

Status WriteNpyInt64(const std::filesystem::path& path, const int64_t* data, size_t n) {
  return WriteNpy(path, NpyDtype::kInt64, {n}, data);
}

Result<std::vector<float>> ReadNpyFloat32(const std::filesystem::path& path, size_t* rows, size_t* cols,
                                          size_t expect_rows, size_t expect_cols) {
  HR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  HR_ASSIGN_OR_RETURN(NpyArray a, DecodeNpy(bytes, path.string()));
  if (a.dtype != NpyDtype::kFloat32) return Status::Corruption(path.string() + ": expected dtype float32 ('<f4')");
  if (a.shape.size() != 2) return Status::Corruption(path.string() + ": expected a 2-D array");
  if ((expect_rows != SIZE_MAX && a.shape[0] != expect_rows) || (expect_cols != SIZE_MAX && a.shape[1] != expect_cols))
    return Status::Corruption(path.string() + ": shape (" + std::to_string(a.shape[0]) + ", " + std::to_string(a.shape[1]) +
                              ") does not match the expected (" +
                              (expect_rows == SIZE_MAX ? std::string("*") : std::to_string(expect_rows)) + ", " +
                              (expect_cols == SIZE_MAX ? std::string("*") : std::to_string(expect_cols)) + ")");
  if (rows) *rows = a.shape[0];
  if (cols) *cols = a.shape[1];
  std::vector<float> out(a.size());
  if (!out.empty()) std::memcpy(out.data(), a.data.data(), a.data.size());
  return out;
}

Result<std::vector<int64_t>> ReadNpyInt64(const std::filesystem::path& path, size_t expect_n) {
  HR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  HR_ASSIGN_OR_RETURN(NpyArray a, DecodeNpy(bytes, path.string()));
  if (a.dtype != NpyDtype::kInt64 || a.shape.size() != 1) return Status::Corruption(path.string() + ": expected a 1-D int64 array");
  if (expect_n != SIZE_MAX && a.shape[0] != expect_n)
    return Status::Corruption(path.string() + ": has " + std::to_string(a.shape[0]) + " entries, expected " + std::to_string(expect_n));
  std::vector<int64_t> out(a.size());
  if (!out.empty()) std::memcpy(out.data(), a.data.data(), a.data.size());
  return out;
}

}  // namespace hybridrec
