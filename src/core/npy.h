// NumPy .npy files (format version 1.0/2.0, little-endian, C order), so model arrays are
// loadable with numpy.load. Supports float32 ('<f4'), int32 ('<i4'), int64 ('<i8'),
// uint32 ('<u4') and float64 ('<f8'); 1-D or 2-D. The reader validates the magic, header
// dictionary, dtype, shape and the exact payload size, and names the file and what is wrong.
// Thread-safe (stateless).
#pragma once

#include <cstdint>
#include <filesystem>
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

// Convenience typed wrappers.
Status WriteNpyFloat32(const std::filesystem::path& path, const float* data, size_t rows, size_t cols);
Status WriteNpyInt64(const std::filesystem::path& path, const int64_t* data, size_t n);
// Reads a 2-D float32 array; `expect_rows`/`expect_cols` of SIZE_MAX mean "any".
Result<std::vector<float>> ReadNpyFloat32(const std::filesystem::path& path, size_t* rows, size_t* cols,
                                          size_t expect_rows = SIZE_MAX, size_t expect_cols = SIZE_MAX);
Result<std::vector<int64_t>> ReadNpyInt64(const std::filesystem::path& path, size_t expect_n = SIZE_MAX);

}  // namespace hybridrec
