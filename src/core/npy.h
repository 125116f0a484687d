// NumPy .npy files (format version 1.0/2.0, little-endian, C order), so model arrays are
// loadable with numpy.load. Supports float32 ('<f4'), int32 ('<i4'), int64 ('<i8'),
// uint32 ('<u4') and float64 ('<f8'); 1-D or 2-D. The reader validates the magic, header
// dictionary, dtype, shape and the exact payload size, and names the file and what is wrong.
// Thread-safe (stateless).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hybridrec {

enum class NpyDtype { kFloat32, kFloat64, kInt32, kInt64, kUInt32 };

struct NpyArray {
  NpyDtype dtype = NpyDtype::kFloat32;
  std::vector<size_t> shape;   // 1 or 2 dims
  std::string data;            // raw little-endian payload, C order
  size_t size() const { size_t n = 1; for (auto d : shape) n *= d; return n; }
};

// The .npy header (magic, version, padded dictionary) that EncodeNpy writes before the payload.
std::string EncodeNpyHeader(NpyDtype dtype, const std::vector<size_t>& shape);
// Serialises an array to .npy bytes.
std::string EncodeNpy(NpyDtype dtype, const std::vector<size_t>& shape, const void* data);
// Writes the same bytes to `path` atomically (core/file_util.h WriteFileAtomic), the payload
// straight from `data`: no copy of a large array is made.
Status WriteNpy(const std::filesystem::path& path, NpyDtype dtype, const std::vector<size_t>& shape, const void* data);
// The header of a .npy file: dtype, shape and where the payload starts.
struct NpyHeader {
  NpyDtype dtype = NpyDtype::kFloat32;
  std::vector<size_t> shape;
  size_t data_offset = 0;  // bytes before the payload
  size_t payload_bytes = 0;  // elements x item size
};
// Bytes of a .npy file's prefix needed to know the header's length (then read data_offset
// bytes and call ParseNpyHeader).
inline constexpr size_t kNpyPrefixBytes = 12;
// Parses the header at the start of `b`, which must hold at least the whole header (the
// payload need not follow). Errors as DecodeNpy's.
Result<NpyHeader> ParseNpyHeader(std::string_view b, std::string_view name);
// The header length (bytes before the payload) from the first kNpyPrefixBytes bytes (fewer
// are enough for version 1), or an error naming `name`.
Result<size_t> NpyHeaderLength(std::string_view prefix, std::string_view name);
// Parses .npy bytes; `name` is used in error messages (usually the file path).
Result<NpyArray> DecodeNpy(std::string_view bytes, std::string_view name);

// How ReadNpyStream delivers a file's payload.
struct NpyStreamOptions {
  // When set, the payload is read straight into `dest`, which holds `dest_bytes` bytes; they
  // must equal the payload's size (elements x item size), else the read fails before any
  // payload byte is read. When null, each chunk is read into a buffer of ReadNpyStream's own.
  void* dest = nullptr;
  size_t dest_bytes = 0;
  // Called with each chunk of the payload in order, once it is read: `offset` is its byte
  // offset in the payload, `bytes` a whole number of items. A non-OK status stops the read
  // and is returned. May be empty.
  std::function<Status(size_t offset, const void* data, size_t bytes)> on_chunk;
  // Sees every byte read from the file, in file order: the header, then each payload chunk
  // (e.g. to hash the file in the same pass). When the read succeeds it has seen the whole
  // file. May be empty.
  std::function<void(const void* data, size_t bytes)> observe;
  // Largest chunk, rounded down to whole items (at least one).
  size_t chunk_bytes = size_t{8} << 20;
  // Names where the expected shape comes from in the mismatch message: "shape (4, 6) does not
  // match the <shape_source> (8, 3)".
  std::string_view shape_source = "expected";
};

// Reads the .npy file at `path`, which must have dtype `dtype` and shape `shape` exactly, in
// one pass and in chunks (the whole file is never held in memory): parses the header, checks
// dtype, shape and the file's size, then streams the payload as `options` says. Errors
// (Corruption, or Unsupported for a format this reader does not handle) name the file and
// what is wrong: cannot open, bad or truncated header, unexpected dtype, shape mismatch,
// payload shorter or longer than dtype and shape need.
Status ReadNpyStream(const std::filesystem::path& path, NpyDtype dtype, const std::vector<size_t>& shape,
                     const NpyStreamOptions& options);

// Convenience typed wrappers.
Status WriteNpyFloat32(const std::filesystem::path& path, const float* data, size_t rows, size_t cols);
Status WriteNpyInt64(const std::filesystem::path& path, const int64_t* data, size_t n);
// Reads a 2-D float32 array; `expect_rows`/`expect_cols` of SIZE_MAX mean "any".
Result<std::vector<float>> ReadNpyFloat32(const std::filesystem::path& path, size_t* rows, size_t* cols,
                                          size_t expect_rows = SIZE_MAX, size_t expect_cols = SIZE_MAX);
Result<std::vector<int64_t>> ReadNpyInt64(const std::filesystem::path& path, size_t expect_n = SIZE_MAX);

}  // namespace hybridrec
