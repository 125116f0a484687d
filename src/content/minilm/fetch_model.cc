#include "content/minilm/fetch_model.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include "content/minilm/minilm_encoder.h"

extern char** environ;

namespace hybridrec {

namespace fs = std::filesystem;

const std::vector<std::string>& RequiredModelFiles() {
  static const std::vector<std::string> files = {"config.json", "vocab.txt", "model.safetensors"};
  return files;
}

const std::vector<std::string>& OptionalModelFiles() {
  static const std::vector<std::string> files = {
      "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "modules.json",
      "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json"};
  return files;
}

std::string ModelFileUrl(const FetchModelOptions& options, const std::string& file) {
  return options.hub_url + "/" + options.model + "/resolve/main/" + file;
}

namespace {

// Runs argv without a shell; returns the exit status (or -1 when it could not start).
int RunProgram(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

Status CopyOne(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  const fs::path part = to.string() + ".part";
  fs::copy_file(from, part, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::IOError("cannot copy " + from.string() + " to " + part.string() + ": " + ec.message());
  fs::rename(part, to, ec);
  if (ec) return Status::IOError("cannot rename " + part.string() + " to " + to.string() + ": " + ec.message());
  return Status::Ok();
}

// Downloads url to `to`; `required` only changes the wording of the error.
Status DownloadOne(const FetchModelOptions& o, const std::string& url, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  const fs::path part = to.string() + ".part";
  const int rc = RunProgram({o.curl, "-fL", "--silent", "--show-error", "--retry", "2", "-o", part.string(), url});
  if (rc != 0) {
    fs::remove(part, ec);
    if (rc == -1)
      return Status::IOError("cannot run '" + o.curl + "' to download " + url +
                             ": install curl, or copy the files from a mirror with --mirror DIR");
    return Status::IOError("downloading " + url + " failed (curl exit status " + std::to_string(rc) +
                           "); check the network or proxy, or copy the model folder from a mirror with --mirror DIR "
                           "(or HYBRIDREC_MODEL_MIRROR)");
  }
  fs::rename(part, to, ec);
  if (ec) return Status::IOError("cannot rename " + part.string() + " to " + to.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> FetchModel(const FetchModelOptions& options, std::ostream* log) {
  if (options.model != "all-MiniLM-L6-v2")
    return Status::InvalidArgument("unknown model '" + options.model + "'; supported: all-MiniLM-L6-v2");
  const fs::path dest = options.dest.empty() ? fs::path("models") / options.model : options.dest;
  std::vector<std::string> written;
  std::error_code ec;

  if (!options.mirror.empty()) {
    const fs::path& m = options.mirror;
    if (!fs::is_directory(m, ec)) return Status::NotFound("mirror folder " + m.string() + " does not exist");
    // Check everything before writing anything, so a bad mirror leaves no half-copied folder.
    if (!fs::is_regular_file(m / "model.safetensors", ec)) {
      const bool has_rest = fs::is_regular_file(m / "config.json", ec) && fs::is_regular_file(m / "vocab.txt", ec);
      return Status::NotFound(
          (m / "model.safetensors").string() + " is missing: this mirror has " +
          (has_rest ? "the tokenizer and config but not the weights"
                    : "neither the weights nor the tokenizer/config files") +
          "; download them with: hybridrec fetch-model " + options.model + " --dest " + dest.string() +
          " (without --mirror and without HYBRIDREC_MODEL_MIRROR; needs access to huggingface.co), or: curl -fL -o " +
          (dest / "model.safetensors").string() + " " + ModelFileUrl(options, "model.safetensors"));
    }
    for (const auto& f : RequiredModelFiles())
      if (!fs::is_regular_file(m / f, ec))
        return Status::NotFound((m / f).string() + " is missing: the mirror must hold config.json, vocab.txt and "
                                "model.safetensors");
    for (const auto& f : RequiredModelFiles()) {
      if (log) *log << "copying " << (m / f).string() << " -> " << (dest / f).string() << "\n";
      HR_RETURN_IF_ERROR(CopyOne(m / f, dest / f));
      written.push_back(f);
    }
    for (const auto& f : OptionalModelFiles()) {
      if (!fs::is_regular_file(m / f, ec)) continue;
      HR_RETURN_IF_ERROR(CopyOne(m / f, dest / f));
      written.push_back(f);
    }
  } else {
    for (const auto& f : RequiredModelFiles()) {
      const std::string url = ModelFileUrl(options, f);
      if (log) *log << "downloading " << url << "\n";
      HR_RETURN_IF_ERROR(DownloadOne(options, url, dest / f));
      written.push_back(f);
    }
    for (const auto& f : OptionalModelFiles()) {
      const std::string url = ModelFileUrl(options, f);
      Status st = DownloadOne(options, url, dest / f);
      if (!st.ok()) {  // side files only matter to Python tools; the encoder does not need them
        if (log) *log << "note: skipped optional " << f << ": " << st.message() << "\n";
        continue;
      }
      written.push_back(f);
    }
  }

  // Prove the folder is usable (valid safetensors, shapes matching config.json, vocab size).
  auto loaded = MiniLmEncoder::Load(dest);
  if (!loaded.ok()) return loaded.status().WithContext("fetched files in " + dest.string() + " do not load");
  if (log) *log << "model ready in " << dest.string() << " (dimension " << (*loaded)->dimension() << ")\n";
  return written;
}

}  // namespace hybridrec
