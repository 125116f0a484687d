#include "content/encoder_factory.h"

#include <cstdlib>

namespace hybridrec {

Result<EncoderChoice> ParseEncoderChoice(std::string_view name) {
  if (name == "auto") return EncoderChoice::kAuto;
  if (name == "minilm") return EncoderChoice::kMiniLm;
  if (name == "lsa") return EncoderChoice::kLsa;
  return Status::InvalidArgument("unknown encoder '" + std::string(name) + "' (expected minilm, lsa or auto)");
}

std::filesystem::path DefaultMiniLmDir() {
  if (const char* env = std::getenv("HYBRIDREC_MINILM_DIR"); env != nullptr && *env != '\0') return env;
  return std::filesystem::path("models") / "all-MiniLM-L6-v2";
}

namespace {

Result<EncoderSelection> FitLsa(const EncoderOptions& options, std::span<const std::string> corpus,
                                std::string message) {
  HR_ASSIGN_OR_RETURN(auto lsa, LsaEncoder::Fit(corpus, options.lsa));
  message += " (d = " + std::to_string(lsa->dimension()) + ", vocabulary " +
             std::to_string(lsa->vocabulary_size()) + " terms)";
  return EncoderSelection{std::move(lsa), std::move(message)};
}

}  // namespace

Result<EncoderSelection> MakeEncoder(const EncoderOptions& options, std::span<const std::string> corpus) {
  const std::filesystem::path dir = options.minilm_dir.empty() ? DefaultMiniLmDir() : options.minilm_dir;
  switch (options.choice) {
    case EncoderChoice::kLsa:
      return FitLsa(options, corpus, "encoder: lsa (TF-IDF + truncated SVD)");
    case EncoderChoice::kMiniLm: {
      HR_ASSIGN_OR_RETURN(auto m, MiniLmEncoder::Load(dir, options.minilm));
      return EncoderSelection{std::move(m), "encoder: minilm from " + dir.string()};
    }
    case EncoderChoice::kAuto:
      break;
  }
  if (MiniLmEncoder::HasModelFiles(dir)) {
    HR_ASSIGN_OR_RETURN(auto m, MiniLmEncoder::Load(dir, options.minilm));
    return EncoderSelection{std::move(m), "encoder: minilm from " + dir.string()};
  }
  return FitLsa(options, corpus,
                "encoder: lsa fallback, because " + (dir / "model.safetensors").string() +
                    " is missing; for MiniLM run `hybridrec fetch-model all-MiniLM-L6-v2` (or pass "
                    "--minilm-dir DIR)");
}

Result<std::unique_ptr<TextEncoder>> LoadEncoder(const std::filesystem::path& model_dir) {
  std::error_code ec;
  if (std::filesystem::exists(model_dir / LsaEncoder::kConfigFile, ec)) {
    HR_ASSIGN_OR_RETURN(auto lsa, LsaEncoder::Load(model_dir));
    return std::unique_ptr<TextEncoder>(std::move(lsa));
  }
  if (std::filesystem::exists(model_dir / "minilm.json", ec)) {
    HR_ASSIGN_OR_RETURN(auto m, MiniLmEncoder::LoadSaved(model_dir));
    return std::unique_ptr<TextEncoder>(std::move(m));
  }
  return Status::NotFound(model_dir.string() + ": no saved encoder (expected " + LsaEncoder::kConfigFile +
                          " or minilm.json); run `hybridrec embed` to create one");
}

}  // namespace hybridrec
