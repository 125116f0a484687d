// A trained model directory: one folder per model version holding manifest.json plus
// the artefacts (id maps, factor matrices, embeddings, index, ...). The manifest records the
// format version, creation time, dataset fingerprint, all hyper-parameters and the sha256 and
// size of every other file.
//
// ModelDirWriter stages files in a sibling temp directory and renames it into place on Commit,
// so a crash never leaves a half-written model under the final name. ModelDir::Open verifies
// the manifest and every checksum before anything is used, and refuses a damaged, incomplete
// or future-format model with a message naming the file.
//
// Thread-safety: a ModelDirWriter is used by one thread; an opened ModelDir is immutable.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "core/status.h"

namespace hybridrec {

inline constexpr int kModelFormatVersion = 1;
inline constexpr std::string_view kManifestName = "manifest.json";

class ModelDirWriter {
 public:
  // Prepares a staging directory next to `final_dir` (same filesystem, so rename is atomic).
  static Result<ModelDirWriter> Create(const std::filesystem::path& final_dir);
  ModelDirWriter(ModelDirWriter&&) noexcept;
  ModelDirWriter& operator=(ModelDirWriter&&) noexcept;
  ModelDirWriter(const ModelDirWriter&) = delete;
  ModelDirWriter& operator=(const ModelDirWriter&) = delete;
  // Removes the staging directory unless Commit succeeded.
  ~ModelDirWriter();

  // Where callers may write files directly (e.g. a FAISS index); every regular file found
  // there at Commit time is checksummed into the manifest.
  const std::filesystem::path& staging_dir() const { return staging_; }
  // Writes `bytes` to staging_dir()/name.
  Status AddFile(const std::string& name, std::string_view bytes);
  Status AddJson(const std::string& name, const nlohmann::json& value);
  // Writes an array as a .npy file, the payload straight from `data` (core/npy.h WriteNpy).
  Status AddNpy(const std::string& name, NpyDtype dtype, const std::vector<size_t>& shape, const void* data);

  // Writes manifest.json = `manifest` + {"format", "format_version", "created", "files"},
  // fsyncs, and renames the staging directory to the final name. An existing model at the final
  // name is replaced (moved aside first, then removed).
  Status Commit(nlohmann::json manifest);

 private:
  ModelDirWriter(std::filesystem::path final_dir, std::filesystem::path staging)
      : final_(std::move(final_dir)), staging_(std::move(staging)) {}
  std::filesystem::path final_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

class ModelDir {
 public:
  // Reads and verifies the manifest and the size of every listed file, and the checksum of
  // every listed file except those named in `verify_when_read`: the caller reads those with
  // ReadNpy, which checks their checksum in the same pass as it reads them (so a large array
  // is read once, not twice). A name in `verify_when_read` that is never read is never
  // verified: list only the files the caller reads.
  static Result<ModelDir> Open(const std::filesystem::path& dir, const std::vector<std::string>& verify_when_read = {});

  const std::filesystem::path& path() const { return dir_; }
  const nlohmann::json& manifest() const { return manifest_; }
  std::filesystem::path File(std::string_view name) const { return dir_ / std::string(name); }
  bool HasFile(std::string_view name) const;
  // Reads a listed JSON file; errors name the file.
  Result<nlohmann::json> ReadJson(std::string_view name) const;

  // Reads a listed .npy file of `dtype` and `shape` straight into a vector of T (whose size must
  // be the dtype's: int32 may be read as uint32). One pass: the file is read in chunks into the
  // vector while its SHA-256 is computed and, for a file Open deferred, compared with the
  // manifest. Errors (Corruption) name the file and what is wrong.
  template <typename T>
  Result<std::vector<T>> ReadNpy(std::string_view name, NpyDtype dtype, const std::vector<size_t>& shape) const {
    size_t n = 1;
    for (size_t d : shape) n *= d;
    std::vector<T> out(n);
    HR_RETURN_IF_ERROR(ReadNpyInto(name, dtype, shape, out.data(), n * sizeof(T)));
    return out;
  }

 private:
  Status ReadNpyInto(std::string_view name, NpyDtype dtype, const std::vector<size_t>& shape, void* dest,
                     size_t dest_bytes) const;
  std::vector<std::string> deferred_;  // files whose checksum ReadNpy verifies
  std::filesystem::path dir_;
  nlohmann::json manifest_;
};

// Creation time as ISO 8601 UTC, e.g. "2026-11-29T08:00:00Z".
std::string UtcNowIso8601();

}  // namespace hybridrec
