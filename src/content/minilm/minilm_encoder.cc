#include "content/minilm/minilm_encoder.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>

#include "core/file_util.h"

namespace hybridrec {

namespace {
constexpr const char* kHowToGet =
    "; get the model folder with `hybridrec fetch-model all-MiniLM-L6-v2` (or use --encoder lsa)";
constexpr const char* kSavedName = "minilm.json";
}  // namespace

bool MiniLmEncoder::HasModelFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const char* f : {"config.json", "vocab.txt", "model.safetensors"})
    if (!std::filesystem::is_regular_file(dir / f, ec)) return false;
  return true;
}

Result<std::unique_ptr<MiniLmEncoder>> MiniLmEncoder::Load(const std::filesystem::path& dir,
                                                           MiniLmEncoderOptions options) {
  std::error_code ec;
  for (const char* f : {"config.json", "vocab.txt", "model.safetensors"})
    if (!std::filesystem::is_regular_file(dir / f, ec))
      return Status::NotFound((dir / f).string() + " is missing" + kHowToGet);
  if (options.batch_size < 1) return Status::InvalidArgument("MiniLmEncoderOptions.batch_size must be >= 1");
  HR_ASSIGN_OR_RETURN(BertConfig config, BertConfig::Load(dir / "config.json"));
  WordPieceOptions wp;
  wp.max_len = std::min(options.max_len, config.max_position_embeddings);
  HR_ASSIGN_OR_RETURN(WordPieceTokenizer tok, WordPieceTokenizer::Load(dir / "vocab.txt", wp));
  if (tok.vocab_size() != config.vocab_size)
    return Status::Corruption((dir / "vocab.txt").string() + " has " + std::to_string(tok.vocab_size()) +
                              " tokens but config.json says vocab_size " + std::to_string(config.vocab_size));
  HR_ASSIGN_OR_RETURN(BertModel model, BertModel::Load(config, dir / "model.safetensors"));
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  if (ec) abs = dir;
  return std::unique_ptr<MiniLmEncoder>(
      new MiniLmEncoder(abs.lexically_normal(), options, std::move(tok), std::move(model)));
}

Result<std::unique_ptr<MiniLmEncoder>> MiniLmEncoder::LoadSaved(const std::filesystem::path& dir,
                                                                MiniLmEncoderOptions options) {
  const auto file = dir / kSavedName;
  std::ifstream in(file);
  if (!in) return Status::NotFound("cannot open " + file.string());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {  // parse errors and numbers overflowing a double
    return Status::Corruption(file.string() + ": malformed JSON: " + e.what());
  }
  if (!j.contains("model_dir") || !j["model_dir"].is_string())
    return Status::Corruption(file.string() + ": missing string field 'model_dir'");
  if (j.contains("max_len") && j["max_len"].is_number_integer()) options.max_len = j["max_len"].get<int>();
  auto r = Load(j["model_dir"].get<std::string>(), options);
  if (!r.ok()) return r.status().WithContext("loading the MiniLM model referenced by " + file.string());
  return r;
}

std::unique_ptr<MiniLmEncoder> MiniLmEncoder::FromParts(WordPieceTokenizer tokenizer, BertModel model,
                                                        MiniLmEncoderOptions options, std::filesystem::path dir) {
  if (tokenizer.vocab_size() != model.config().vocab_size)
    throw std::invalid_argument("MiniLmEncoder::FromParts: tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                                " tokens, model expects " + std::to_string(model.config().vocab_size));
  if (options.batch_size < 1) throw std::invalid_argument("MiniLmEncoder::FromParts: batch_size must be >= 1");
  return std::unique_ptr<MiniLmEncoder>(new MiniLmEncoder(std::move(dir), options, std::move(tokenizer), std::move(model)));
}

void MiniLmEncoder::EncodeIds(std::span<const std::vector<int32_t>> ids, float* out) const {
  ForwardOptions fo;
  fo.threads = options_.threads;
  model_.Forward(ids, out, fo);
}

Status MiniLmEncoder::Encode(std::span<const std::string> texts, std::vector<float>& out) const {
  const size_t d = static_cast<size_t>(dimension());
  out.assign(texts.size() * d, 0.0f);
  std::vector<std::vector<int32_t>> ids(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) ids[i] = tokenizer_.Encode(texts[i]);
  // Sort by length so each batch holds similar lengths (attention cost is per sequence).
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  const size_t bs = static_cast<size_t>(options_.batch_size);
  std::vector<std::vector<int32_t>> batch;
  std::vector<float> emb;
  for (size_t b = 0; b < order.size(); b += bs) {
    const size_t e = std::min(order.size(), b + bs);
    batch.clear();
    for (size_t i = b; i < e; ++i) batch.push_back(std::move(ids[order[i]]));
    emb.resize(batch.size() * d);
    EncodeIds(batch, emb.data());
    for (size_t i = b; i < e; ++i) std::copy_n(emb.data() + (i - b) * d, d, out.data() + order[i] * d);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> MiniLmEncoder::Save(const std::filesystem::path& dir) const {
  nlohmann::json j;
  j["encoder"] = "minilm";
  j["model_dir"] = dir_.string();
  j["max_len"] = tokenizer_.options().max_len;
  j["dimension"] = dimension();
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / kSavedName, j.dump(2) + "\n"));
  return std::vector<std::string>{kSavedName};
}

}  // namespace hybridrec
