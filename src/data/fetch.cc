#include "data/fetch.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/file_util.h"

extern char** environ;

namespace hybridrec {
namespace fs = std::filesystem;

namespace {

// sha256 of the files as distributed by GroupLens (the copies under ../shared/data match them).
constexpr std::array<KnownFile, 21> kMl100k = {{
    {"README", "4883b8cf340ed0059971b33f56ad3adc88a40792108ebca3d24aafc4c82e8b52"},
    {"u.data", "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"},
    {"u.genre", "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb"},
    {"u.info", "5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b"},
    {"u.item", "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"},
    {"u.occupation", "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d"},
    {"u.user", "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"},
    {"u1.base", "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a"},
    {"u1.test", "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950"},
    {"u2.base", "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e"},
    {"u2.test", "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3"},
    {"u3.base", "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d"},
    {"u3.test", "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d"},
    {"u4.base", "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca"},
    {"u4.test", "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9"},
    {"u5.base", "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485"},
    {"u5.test", "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634"},
    {"ua.base", "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2"},
    {"ua.test", "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42"},
    {"ub.base", "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881"},
    {"ub.test", "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da"},
}};

constexpr std::array<KnownFile, 5> kMlLatestSmall = {{
    {"README.txt", "63d22ac138e80fae37021797ed8e1b9424b5239dc576a137422adf783ae3f404"},
    {"links.csv", "97ad18e4e56a09363c65676b6cb3482ce3e2cea2372a24620c1599c843325f31"},
    {"movies.csv", "5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07"},
    {"ratings.csv", "aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646"},
    {"tags.csv", "92a9f8bb7916dceef6151209845788c3643f794dfa79d1feaec7121b5960399d"},
}};

// Removes a staging directory on every exit path.
class TempDir {
 public:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `argv` (PATH lookup) and waits. The child inherits stdout/stderr, so curl's and unzip's
// own messages reach the user.
Status RunProgram(const std::vector<std::string>& argv, std::string_view hint) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (rc != 0) {
    return Status::IOError("cannot run '" + argv[0] + "': " + std::strerror(rc) + "; install it (" + std::string(hint) +
                           ")");
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::IOError("waitpid for '" + argv[0] + "' failed: " + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return Status::IOError("cannot run '" + argv[0] + "' (not found); install it (" + std::string(hint) + ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(status));
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    return Status::IOError("'" + cmd + "' " + how);
  }
  return Status::Ok();
}

// Checks one file against its known hash. `shown` is the path named in messages.
Status VerifyFile(const fs::path& path, const KnownFile& f, const fs::path& shown) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::NotFound(shown.string() + ": missing");
  HR_ASSIGN_OR_RETURN(const std::string got, Sha256File(path));
  if (got != f.sha256)
    return Status::Corruption(shown.string() + ": sha256 mismatch: expected " + std::string(f.sha256) + ", got " + got +
                              "; the copy is damaged or a different version of the data set");
  return Status::Ok();
}

// Moves the verified files from `staged` into `target` (created if needed), replacing any
// older copies; extra files (e.g. the zip's scripts) come along.
Status Install(const fs::path& staged, const fs::path& target) {
  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) return Status::IOError(target.string() + ": cannot create directory: " + ec.message());
  for (const auto& entry : fs::directory_iterator(staged, ec)) {
    if (!entry.is_regular_file()) continue;
    fs::rename(entry.path(), target / entry.path().filename(), ec);
    if (ec)
      return Status::IOError(target.string() + ": cannot move " + entry.path().filename().string() +
                             " into place: " + ec.message());
  }
  if (ec) return Status::IOError(staged.string() + ": cannot list: " + ec.message());
  return Status::Ok();
}

}  // namespace

std::vector<std::string> KnownDatasets() { return {"ml-100k", "ml-latest-small"}; }

std::span<const KnownFile> KnownDatasetFiles(std::string_view name) {
  if (name == "ml-100k") return kMl100k;
  if (name == "ml-latest-small") return kMlLatestSmall;
  return {};
}

Status VerifyDataset(std::string_view name, const fs::path& dir) {
  const auto files = KnownDatasetFiles(name);
  if (files.empty()) return Status::InvalidArgument("unknown data set '" + std::string(name) + "'");
  for (const auto& f : files) HR_RETURN_IF_ERROR(VerifyFile(dir / f.name, f, dir / f.name));
  return Status::Ok();
}

Result<fs::path> FetchDataset(const std::string& name, const fs::path& dest, const FetchOptions& options,
                              std::ostream& log) {
  const auto files = KnownDatasetFiles(name);
  if (files.empty())
    return Status::InvalidArgument("unknown data set '" + name + "'; expected ml-100k or ml-latest-small");
  const fs::path target = dest / name;
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    const Status st = VerifyDataset(name, target);
    if (st.ok()) {
      log << name << ": already present and verified in " << target.string() << "\n";
      return target;
    }
    log << name << ": existing copy incomplete or changed (" << st.message() << "); fetching again\n";
  }
  std::optional<fs::path> mirror = options.mirror;
  if (!mirror && options.mirror_from_env) {
    if (const char* env = std::getenv("HYBRIDREC_DATA_MIRROR"); env && *env) mirror = fs::path(env);
  }
  fs::create_directories(dest, ec);
  if (ec) return Status::IOError(dest.string() + ": cannot create directory: " + ec.message());
  TempDir tmp(dest / ("." + name + ".fetch-" + std::to_string(::getpid())));
  fs::remove_all(tmp.path(), ec);
  fs::create_directories(tmp.path(), ec);
  if (ec) return Status::IOError(tmp.path().string() + ": cannot create directory: " + ec.message());

  fs::path staged;
  if (mirror) {
    const fs::path src = *mirror / name;
    if (!fs::is_directory(src, ec))
      return Status::NotFound("mirror " + mirror->string() + " has no " + name +
                              "/ directory; a mirror holds one "
                              "sub-directory per data set (e.g. " +
                              (*mirror / name / files[0].name).string() + ")");
    log << name << ": copying " << files.size() << " files from mirror " << src.string() << "\n";
    staged = tmp.path();
    for (const auto& f : files) {
      const fs::path from = src / f.name;
      if (!fs::is_regular_file(from, ec)) return Status::NotFound(from.string() + ": missing from the mirror");
      fs::copy_file(from, staged / f.name, fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IOError(from.string() + ": cannot copy: " + ec.message());
      // Hash the copy (what will be used), but name the mirror file: that is what to fix.
      HR_RETURN_IF_ERROR(VerifyFile(staged / f.name, f, from));
    }
  } else {
    const std::string url = options.url_base + "/" + name + ".zip";
    const fs::path zip = tmp.path() / (name + ".zip");
    log << name << ": downloading " << url << "\n";
    const Status got = RunProgram({"curl", "-fsSL", "--retry", "2", "--connect-timeout", "30", "-o", zip.string(), url},
                                  "e.g. apt-get install curl");
    if (!got.ok())
      return Status::IOError("download of " + url + " failed: " + got.message() +
                             "; check the network, or copy the data set from a local mirror with --mirror DIR "
                             "(or HYBRIDREC_DATA_MIRROR)");
    HR_RETURN_IF_ERROR(
        RunProgram({"unzip", "-q", "-o", zip.string(), "-d", tmp.path().string()}, "e.g. apt-get install unzip")
            .WithContext("extracting " + zip.string()));
    staged = tmp.path() / name;
    if (!fs::is_directory(staged, ec)) return Status::Corruption(url + ": the zip has no " + name + "/ directory");
    for (const auto& f : files)
      HR_RETURN_IF_ERROR(VerifyFile(staged / f.name, f, fs::path(name + ".zip") / name / f.name));
  }
  log << name << ": " << files.size() << " files verified (sha256)\n";
  HR_RETURN_IF_ERROR(Install(staged, target));
  log << name << ": data set ready in " << target.string() << "\n";
  return target;
}

Result<fs::path> FetchDataset(const std::string& name, const fs::path& dest, const std::optional<fs::path>& mirror,
                              std::ostream& log) {
  FetchOptions options;
  options.mirror = mirror;
  return FetchDataset(name, dest, options, log);
}

}  // namespace hybridrec
