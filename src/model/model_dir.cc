#include "model/model_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "core/file_util.h"

namespace hybridrec {
namespace fs = std::filesystem;

namespace {

void FsyncPath(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string UtcNowIso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<ModelDirWriter> ModelDirWriter::Create(const fs::path& final_dir) {
  if (final_dir.empty()) return Status::InvalidArgument("model directory path is empty");
  const fs::path abs = fs::absolute(final_dir).lexically_normal();
  const fs::path parent = abs.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return Status::IOError(parent.string() + ": cannot create directory: " + ec.message());
  const fs::path staging = parent / ("." + abs.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec) || ec)
    return Status::IOError(staging.string() + ": cannot create staging directory: " + ec.message());
  return ModelDirWriter(abs, staging);
}

ModelDirWriter::ModelDirWriter(ModelDirWriter&& o) noexcept
    : final_(std::move(o.final_)), staging_(std::move(o.staging_)), committed_(o.committed_) {
  o.committed_ = true;  // the moved-from writer owns nothing
}

ModelDirWriter& ModelDirWriter::operator=(ModelDirWriter&& o) noexcept {
  if (this != &o) {
    final_ = std::move(o.final_);
    staging_ = std::move(o.staging_);
    committed_ = o.committed_;
    o.committed_ = true;
  }
  return *this;
}

ModelDirWriter::~ModelDirWriter() {
  if (!committed_ && !staging_.empty()) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

Status ModelDirWriter::AddFile(const std::string& name, std::string_view bytes) {
  if (name.empty() || name.find('/') != std::string::npos || name == kManifestName)
    return Status::InvalidArgument("invalid model file name '" + name + "'");
  return WriteFileAtomic(staging_ / name, bytes);
}

Status ModelDirWriter::AddNpy(const std::string& name, NpyDtype dtype, const std::vector<size_t>& shape,
                              const void* data) {
  if (name.empty() || name.find('/') != std::string::npos || name == kManifestName)
    return Status::InvalidArgument("invalid model file name '" + name + "'");
  return WriteNpy(staging_ / name, dtype, shape, data);
}

Status ModelDirWriter::AddJson(const std::string& name, const nlohmann::json& value) {
  return AddFile(name, value.dump(1) + "\n");
}

Status ModelDirWriter::Commit(nlohmann::json manifest) {
  if (committed_) return Status::InvalidArgument("model directory already committed");
  nlohmann::json files = nlohmann::json::object();
  std::error_code ec;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(staging_, ec)) entries.push_back(e.path());
  if (ec) return Status::IOError(staging_.string() + ": cannot list: " + ec.message());
  std::sort(entries.begin(), entries.end());
  for (const auto& p : entries) {
    if (!fs::is_regular_file(p)) continue;
    const std::string name = p.filename().string();
    if (name == kManifestName || name.front() == '.') continue;
    HR_ASSIGN_OR_RETURN(std::string sha, Sha256File(p));
    files[name] = {{"sha256", sha}, {"bytes", fs::file_size(p)}};
    FsyncPath(p);
  }
  manifest["format"] = "hybridrec-model";
  manifest["format_version"] = kModelFormatVersion;
  if (!manifest.contains("created")) manifest["created"] = UtcNowIso8601();
  manifest["files"] = files;
  HR_RETURN_IF_ERROR(WriteFileAtomic(staging_ / std::string(kManifestName), manifest.dump(2) + "\n"));
  FsyncPath(staging_);

  fs::path old;
  if (fs::exists(final_, ec)) {
    old = final_.parent_path() / ("." + final_.filename().string() + ".old-" + std::to_string(::getpid()));
    fs::remove_all(old, ec);
    fs::rename(final_, old, ec);
    if (ec) return Status::IOError(final_.string() + ": cannot move the previous model aside: " + ec.message());
  }
  fs::rename(staging_, final_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, final_, ec);
    return Status::IOError(final_.string() + ": cannot rename staged model into place: " + ec.message());
  }
  FsyncPath(final_.parent_path());
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
  return Status::Ok();
}

Result<ModelDir> ModelDir::Open(const fs::path& dir, const std::vector<std::string>& verify_when_read) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::NotFound(dir.string() + ": model directory not found (train one with `hybridrec train`)");
  const fs::path mpath = dir / std::string(kManifestName);
  auto bytes = ReadFile(mpath);
  if (!bytes.ok()) return Status::Corruption(mpath.string() + ": cannot read the manifest: " + bytes.status().message());
  ModelDir md;
  md.dir_ = dir;
  md.manifest_ = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (md.manifest_.is_discarded() || !md.manifest_.is_object())
    return Status::Corruption(mpath.string() + ": not valid JSON");
  const auto& m = md.manifest_;
  if (!m.contains("format") || m["format"] != "hybridrec-model")
    return Status::Corruption(mpath.string() + ": not a hybridrec model manifest (field 'format')");
  if (!m.contains("format_version") || !m["format_version"].is_number_integer())
    return Status::Corruption(mpath.string() + ": field 'format_version' missing or not an integer");
  const auto version = m["format_version"].get<int64_t>();
  if (version > kModelFormatVersion)
    return Status::Unsupported(mpath.string() + ": model format version " + std::to_string(version) +
                               " is newer than this hybridrec supports (" + std::to_string(kModelFormatVersion) +
                               "); upgrade hybridrec or retrain the model");
  if (version < 1) return Status::Corruption(mpath.string() + ": invalid format_version " + std::to_string(version));
  if (!m.contains("files") || !m["files"].is_object())
    return Status::Corruption(mpath.string() + ": field 'files' missing or not an object");
  for (const auto& [name, info] : m["files"].items()) {
    if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
      return Status::Corruption(mpath.string() + ": invalid file name '" + name + "' in 'files'");
    if (!info.is_object() || !info.contains("sha256") || !info["sha256"].is_string() || !info.contains("bytes") ||
        !info["bytes"].is_number_unsigned())
      return Status::Corruption(mpath.string() + ": entry for '" + name + "' needs 'sha256' and 'bytes'");
    const fs::path p = dir / name;
    if (!fs::is_regular_file(p, ec))
      return Status::Corruption(p.string() + ": listed in the manifest but missing; the model is incomplete, retrain it");
    const auto size = fs::file_size(p, ec);
    if (size != info["bytes"].get<uint64_t>())
      return Status::Corruption(p.string() + ": size " + std::to_string(size) + " bytes, manifest says " +
                                std::to_string(info["bytes"].get<uint64_t>()) + " (truncated or replaced)");
    if (std::find(verify_when_read.begin(), verify_when_read.end(), name) != verify_when_read.end()) {
      md.deferred_.push_back(name);
      continue;
    }
    HR_ASSIGN_OR_RETURN(std::string sha, Sha256File(p));
    if (sha != info["sha256"].get<std::string>())
      return Status::Corruption(p.string() + ": checksum mismatch (sha256 " + sha + ", manifest says " +
                                info["sha256"].get<std::string>() + "); the file is damaged, retrain or restore it");
  }
  return md;
}

Status ModelDir::ReadNpyInto(std::string_view name, NpyDtype dtype, const std::vector<size_t>& shape, void* dest,
                             size_t dest_bytes) const {
  const fs::path p = File(name);
  Sha256Stream sha;
  NpyStreamOptions read;
  read.dest = dest;
  read.dest_bytes = dest_bytes;
  read.observe = [&sha](const void* data, size_t bytes) { sha.Update(data, bytes); };
  read.shape_source = "manifest's";
  HR_RETURN_IF_ERROR(ReadNpyStream(p, dtype, shape, read));
  if (std::find(deferred_.begin(), deferred_.end(), std::string(name)) != deferred_.end()) {
    const std::string got = sha.HexDigest();
    const std::string want = manifest_["files"][std::string(name)]["sha256"].get<std::string>();
    if (got != want)
      return Status::Corruption(p.string() + ": checksum mismatch (sha256 " + got + ", manifest says " + want +
                                "); the file is damaged, retrain or restore it");
  }
  return Status::Ok();
}

bool ModelDir::HasFile(std::string_view name) const {
  return manifest_.contains("files") && manifest_["files"].contains(std::string(name));
}

Result<nlohmann::json> ModelDir::ReadJson(std::string_view name) const {
  const fs::path p = File(name);
  HR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(p));
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded()) return Status::Corruption(p.string() + ": not valid JSON");
  return j;
}

}  // namespace hybridrec
