#include "content/minilm/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace hybridrec {

const char* DTypeName(SafetensorsDType dtype) {
  switch (dtype) {
    case SafetensorsDType::kF32: return "F32";
    case SafetensorsDType::kF16: return "F16";
    case SafetensorsDType::kBF16: return "BF16";
    case SafetensorsDType::kI64: return "I64";
  }
  return "?";
}

size_t DTypeSize(SafetensorsDType dtype) {
  switch (dtype) {
    case SafetensorsDType::kF32: return 4;
    case SafetensorsDType::kF16: return 2;
    case SafetensorsDType::kBF16: return 2;
    case SafetensorsDType::kI64: return 8;
  }
  return 0;
}

int64_t SafetensorsTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal half: normalise into a float
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3FFu) << 13);
    }
  } else if (exp == 0x1F) {  // inf / NaN
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

float BFloat16ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

namespace {

Status Bad(const std::filesystem::path& file, const std::string& what) {
  return Status::Corruption(file.string() + ": " + what +
                            " (the file is truncated or not a .safetensors file; download it again)");
}

}  // namespace

Result<SafetensorsFile> SafetensorsFile::Open(const std::filesystem::path& file) {
  SafetensorsFile f;
  f.path_ = file;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + file.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError("cannot stat " + file.string() + ": " + std::strerror(err));
  }
  f.size_ = static_cast<size_t>(st.st_size);
  if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return Status::IOError("cannot mmap " + file.string() + ": " + std::strerror(err));
    }
    f.data_ = static_cast<const std::byte*>(p);
  }
  ::close(fd);

  if (f.size_ < 8)
    return Bad(file, "file is " + std::to_string(f.size_) + " bytes, shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<uint64_t>(f.data_[i]);
  if (header_len > f.size_ - 8)
    return Bad(file, "header length " + std::to_string(header_len) + " at byte offset 0 runs past the end of the " +
                         std::to_string(f.size_) + "-byte file");
  const size_t data_start = 8 + static_cast<size_t>(header_len);
  const size_t data_size = f.size_ - data_start;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(f.data_ + 8),
                                   reinterpret_cast<const char*>(f.data_ + data_start));
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based within the header text; the header starts at file offset 8.
    return Bad(file, "malformed JSON header at byte offset " + std::to_string(8 + (e.byte > 0 ? e.byte - 1 : 0)) +
                         ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range 406, a number too large for a double (found by fuzz/fuzz_safetensors.cc)
    return Bad(file, std::string("malformed JSON header (starts at byte offset 8): ") + e.what());
  }
  if (!header.is_object()) return Bad(file, "JSON header at byte offset 8 is not an object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    auto fail = [&](const std::string& what) { return Bad(file, "tensor '" + name + "': " + what); };
    if (!v.is_object()) return fail("header entry is not an object");
    SafetensorsTensor t;
    t.name = name;
    if (!v.contains("dtype") || !v["dtype"].is_string()) return fail("missing string field 'dtype'");
    const std::string dt = v["dtype"].get<std::string>();
    if (dt == "F32") t.dtype = SafetensorsDType::kF32;
    else if (dt == "F16") t.dtype = SafetensorsDType::kF16;
    else if (dt == "BF16") t.dtype = SafetensorsDType::kBF16;
    else if (dt == "I64") t.dtype = SafetensorsDType::kI64;
    else
      return Status::Unsupported(file.string() + ": tensor '" + name + "' has dtype " + dt +
                                 "; supported: F32, F16, BF16 (and I64 for ignored tensors)");
    if (!v.contains("shape") || !v["shape"].is_array()) return fail("missing array field 'shape'");
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return fail("shape has a non-integer or negative dimension");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / dim) return fail("shape is too large");
      numel *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2 ||
        !v["data_offsets"][0].is_number_unsigned() || !v["data_offsets"][1].is_number_unsigned())
      return fail("'data_offsets' must be two non-negative integers");
    const uint64_t begin = v["data_offsets"][0].get<uint64_t>();
    const uint64_t end = v["data_offsets"][1].get<uint64_t>();
    if (begin > end) return fail("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] are reversed");
    if (end > data_size)
      return fail("data_offsets end " + std::to_string(end) + " (file byte offset " + std::to_string(data_start + end) +
                  ") is past the end of the " + std::to_string(f.size_) + "-byte file");
    if (end - begin != numel * DTypeSize(t.dtype))
      return fail("data_offsets span " + std::to_string(end - begin) + " bytes but shape x " + dt + " needs " +
                  std::to_string(numel * DTypeSize(t.dtype)));
    t.file_offset = data_start + static_cast<size_t>(begin);
    t.byte_size = static_cast<size_t>(end - begin);
    f.tensors_.push_back(std::move(t));
  }
  std::sort(f.tensors_.begin(), f.tensors_.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) { return a.file_offset < b.file_offset; });
  for (size_t i = 1; i < f.tensors_.size(); ++i) {
    const auto& prev = f.tensors_[i - 1];
    const auto& cur = f.tensors_[i];
    if (prev.byte_size > 0 && cur.file_offset < prev.file_offset + prev.byte_size)
      return Bad(file, "tensors '" + prev.name + "' and '" + cur.name + "' overlap at file byte offset " +
                           std::to_string(cur.file_offset));
  }
  return f;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept
    : path_(std::move(other.path_)), data_(other.data_), size_(other.size_), tensors_(std::move(other.tensors_)) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    Unmap();
    path_ = std::move(other.path_);
    data_ = other.data_;
    size_ = other.size_;
    tensors_ = std::move(other.tensors_);
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { Unmap(); }

void SafetensorsFile::Unmap() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

const SafetensorsTensor* SafetensorsFile::Find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

std::span<const std::byte> SafetensorsFile::Bytes(const SafetensorsTensor& t) const {
  return {data_ + t.file_offset, t.byte_size};
}

Result<std::vector<float>> SafetensorsFile::ReadFloat(const SafetensorsTensor& t) const {
  const std::span<const std::byte> b = Bytes(t);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  switch (t.dtype) {
    case SafetensorsDType::kF32:
      if (n > 0) std::memcpy(out.data(), b.data(), n * 4);
      break;
    case SafetensorsDType::kF16:
    case SafetensorsDType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, b.data() + 2 * i, 2);
        out[i] = t.dtype == SafetensorsDType::kF16 ? HalfToFloat(h) : BFloat16ToFloat(h);
      }
      break;
    case SafetensorsDType::kI64:
      return Status::Unsupported(path_.string() + ": tensor '" + t.name +
                                 "' is I64; only F32, F16 and BF16 tensors can be used as weights");
  }
  return out;
}

}  // namespace hybridrec
