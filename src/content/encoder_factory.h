// Choosing a TextEncoder (`--encoder minilm|lsa|auto`) and reopening a saved one.
// `auto` uses MiniLM when its model folder holds the weights (model.safetensors), else fits
// LSA on the catalogue, and reports which it used in a one-line message (on fallback, also
// how to get the MiniLM weights). Stateless and thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "content/lsa_encoder.h"
#include "content/minilm/minilm_encoder.h"
#include "content/text_encoder.h"

namespace hybridrec {

enum class EncoderChoice { kAuto, kMiniLm, kLsa };

// "auto" | "minilm" | "lsa"; InvalidArgument otherwise.
Result<EncoderChoice> ParseEncoderChoice(std::string_view name);

// The MiniLM folder used when none is given: $HYBRIDREC_MINILM_DIR when set, else
// "models/all-MiniLM-L6-v2" (relative to the working directory).
std::filesystem::path DefaultMiniLmDir();

struct EncoderOptions {
  EncoderChoice choice = EncoderChoice::kAuto;
  std::filesystem::path minilm_dir;  // empty = DefaultMiniLmDir()
  LsaOptions lsa;                    // used when LSA is fitted
  MiniLmEncoderOptions minilm;       // used when MiniLM is loaded
};

struct EncoderSelection {
  std::unique_ptr<TextEncoder> encoder;
  std::string message;  // one line: which encoder, and on fallback how to get MiniLM
};

// Builds the encoder: loads MiniLM, or fits LSA on `corpus` (the catalogue's item texts).
// Explicit `minilm` with missing files fails with the loader's message (which names the file
// and the fetch-model command); explicit `lsa` never touches the MiniLM folder.
Result<EncoderSelection> MakeEncoder(const EncoderOptions& options, std::span<const std::string> corpus);

// Reopens the encoder saved in a model directory by TextEncoder::Save (lsa_config.json for
// LSA, minilm.json for MiniLM). NotFound when the directory holds neither.
Result<std::unique_ptr<TextEncoder>> LoadEncoder(const std::filesystem::path& model_dir);

}  // namespace hybridrec
