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
