// MiniLmEncoder: the TextEncoder "minilm" — sentence-transformers/all-MiniLM-L6-v2 (or any
// BERT checkpoint in the same Hugging Face folder layout) run natively: WordPieceTokenizer +
// BertModel (mean pooling, L2-normalised rows).
//
// Model folder: config.json, vocab.txt, model.safetensors (F32/F16/BF16).
// Thread-safety: immutable after Load; Encode is const and safe to call concurrently.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "content/minilm/bert_model.h"
#include "content/minilm/wordpiece_tokenizer.h"
#include "content/text_encoder.h"
#include "core/status.h"

namespace hybridrec {

struct MiniLmEncoderOptions {
  int max_len = 256;      // tokens per text including [CLS]/[SEP]; capped at max_position_embeddings
  int batch_size = 64;    // texts per forward pass (texts are sorted by length first)
  int threads = 0;        // 0 = all hardware threads
};

class MiniLmEncoder : public TextEncoder {
 public:
  // Loads `dir`/{config.json, vocab.txt, model.safetensors}. Errors name the missing file
  // and say how to get it (`hybridrec fetch-model all-MiniLM-L6-v2`).
  static Result<std::unique_ptr<MiniLmEncoder>> Load(const std::filesystem::path& dir,
                                                     MiniLmEncoderOptions options = {});
  // Loads what Save wrote (minilm.json pointing to the model folder).
  static Result<std::unique_ptr<MiniLmEncoder>> LoadSaved(const std::filesystem::path& dir,
                                                          MiniLmEncoderOptions options = {});
  // Assembles an encoder from parts (e.g. a random-weight model for benchmarks).
  // REQUIRES: tokenizer.vocab_size() == model.config().vocab_size.
  static std::unique_ptr<MiniLmEncoder> FromParts(WordPieceTokenizer tokenizer, BertModel model,
                                                  MiniLmEncoderOptions options = {},
                                                  std::filesystem::path dir = {});
  // True when `dir` holds the three files Load needs.
  static bool HasModelFiles(const std::filesystem::path& dir);

  std::string name() const override { return "minilm"; }
  int dimension() const override { return model_.config().hidden_size; }
  // Output order = input order. Internally texts are sorted by token count and cut into
  // batches of options.batch_size, which limits wasted work on mixed lengths.
  Status Encode(std::span<const std::string> texts, std::vector<float>& out) const override;
  // Writes minilm.json: {"encoder": "minilm", "model_dir": <absolute folder>, "max_len": n}.
  Result<std::vector<std::string>> Save(const std::filesystem::path& dir) const override;

  // Token ids the model would see for `text`.
  std::vector<int32_t> Tokenize(std::string_view text) const { return tokenizer_.Encode(text); }
  // Forward pass on pre-tokenised sequences (one batch), out = ids.size() x dimension().
  void EncodeIds(std::span<const std::vector<int32_t>> ids, float* out) const;

  const WordPieceTokenizer& tokenizer() const { return tokenizer_; }
  const BertModel& model() const { return model_; }
  const std::filesystem::path& model_dir() const { return dir_; }

 private:
  MiniLmEncoder(std::filesystem::path dir, MiniLmEncoderOptions options, WordPieceTokenizer tok, BertModel model)
      : dir_(std::move(dir)), options_(options), tokenizer_(std::move(tok)), model_(std::move(model)) {}

  std::filesystem::path dir_;
  MiniLmEncoderOptions options_;
  WordPieceTokenizer tokenizer_;
  BertModel model_;
};

}  // namespace hybridrec
