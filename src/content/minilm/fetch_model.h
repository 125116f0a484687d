// FetchModel: puts a sentence-transformers model folder (config.json, vocab.txt,
// model.safetensors and the tokenizer/sentence-transformers side files) where MiniLmEncoder
// can load it, either by copying from a local mirror folder or by downloading each file from
// the Hugging Face hub with `curl -fL`. Behind `hybridrec fetch-model`.
//
// Files are written as <name>.part and renamed once complete, so an interrupted run never
// leaves a truncated model.safetensors under its final name. After fetching, the folder is
// loaded once (MiniLmEncoder::Load) to prove it is usable.
// Thread-safety: stateless; concurrent calls must use different destinations.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "core/status.h"

namespace hybridrec {

struct FetchModelOptions {
  std::string model = "all-MiniLM-L6-v2";  // the only model supported so far
  std::filesystem::path dest;              // empty = "models/<model>"
  std::filesystem::path mirror;            // empty = download from the hub
  // Download source: <hub_url>/<model>/resolve/main/<file>.
  std::string hub_url = "https://huggingface.co/sentence-transformers";
  std::string curl = "curl";  // program used for downloads (looked up in PATH)
};

// Files the encoder needs; FetchModel fails without any of them.
const std::vector<std::string>& RequiredModelFiles();
// Tokenizer and sentence-transformers files copied/downloaded when available.
const std::vector<std::string>& OptionalModelFiles();
// Where a file of `model` is downloaded from.
std::string ModelFileUrl(const FetchModelOptions& options, const std::string& file);

// Returns the files written under the destination (relative names). Progress lines go to
// `log` when non-null. Errors: an unknown model name; a mirror without model.safetensors
// (the message says exactly that and how to download the weights); a failed download (the
// message names the URL and curl's exit status); a fetched folder that does not load.
Result<std::vector<std::string>> FetchModel(const FetchModelOptions& options, std::ostream* log = nullptr);

}  // namespace hybridrec
