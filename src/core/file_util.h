// Small file-system helpers shared by every layer. All return Status/Result with the path in
// the message; none throws. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace hybridrec {

// Reads a whole file into memory. NotFound when missing, IOError when unreadable.
Result<std::string> ReadFile(const std::filesystem::path& path);

// Writes `data` to `path` via a temporary file in the same directory, fsync and rename, so a
// crash leaves either the old file or the new one, never a torn file.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data);
// The same for a file made of `parts` written in order (e.g. a header and a large array that
// is written from where it lies, not copied into one string first).
Status WriteFileAtomic(const std::filesystem::path& path, std::span<const std::string_view> parts);

// Incremental SHA-256 (e.g. of a file while it is read for another purpose).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(const void* data, size_t size);
  // Lower-case hex digest of everything passed to Update; call once.
  std::string HexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// Lower-case hex SHA-256 of a byte string / of a file's contents.
std::string Sha256Hex(std::string_view data);
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace hybridrec
