// SafetensorsFile: a read-only, memory-mapped Hugging Face .safetensors file.
//
// Format: an 8-byte little-endian header length N, N bytes of JSON mapping tensor names to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the byte after the
// header; an optional "__metadata__" entry is ignored), then the raw little-endian data.
// Open validates the whole header up front: dtype known (F32, F16, BF16, I64), every shape
// dimension non-negative, offsets inside the file, end - begin == product(shape) * dtype
// size, and no two tensors overlapping. Errors name the file and the tensor or byte offset.
//
// Ownership: the mapping lives as long as the object (move-only). Thread-safety: immutable
// after Open; all const methods are safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace hybridrec {

enum class SafetensorsDType { kF32, kF16, kBF16, kI64 };

// "F32", "F16", "BF16", "I64".
const char* DTypeName(SafetensorsDType dtype);
size_t DTypeSize(SafetensorsDType dtype);

struct SafetensorsTensor {
  std::string name;
  SafetensorsDType dtype = SafetensorsDType::kF32;
  std::vector<int64_t> shape;
  size_t file_offset = 0;  // absolute byte offset of the data in the file
  size_t byte_size = 0;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  static Result<SafetensorsFile> Open(const std::filesystem::path& file);

  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::filesystem::path& path() const { return path_; }
  // Tensors in header order of their data offsets.
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  // nullptr when absent.
  const SafetensorsTensor* Find(const std::string& name) const;
  // The raw bytes of a tensor of this file.
  std::span<const std::byte> Bytes(const SafetensorsTensor& t) const;
  // The tensor as float32 (F16 and BF16 are widened exactly). I64 is refused.
  Result<std::vector<float>> ReadFloat(const SafetensorsTensor& t) const;

 private:
  SafetensorsFile() = default;
  void Unmap();

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;  // whole-file mapping
  size_t size_ = 0;
  std::vector<SafetensorsTensor> tensors_;
};

// IEEE binary16 / bfloat16 bit patterns to float (exact).
float HalfToFloat(uint16_t h);
float BFloat16ToFloat(uint16_t b);

}  // namespace hybridrec
