// TextEncoder: a batch of texts in, an n x d row-major float matrix out, every row
// L2-normalised (so cosine similarity is a dot product).
// Implementations: LsaEncoder (TF-IDF + truncated SVD) and MiniLmEncoder (native BERT).
// Thread-safety: Encode is const and safe to call from several threads at once.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace hybridrec {

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  virtual std::string name() const = 0;   // "minilm" | "lsa"
  virtual int dimension() const = 0;
  // Encodes texts into out (texts.size() * dimension() floats, row-major), rows unit-norm.
  // A text with no usable content (e.g. no known words for lsa) yields a zero row.
  virtual Status Encode(std::span<const std::string> texts, std::vector<float>& out) const = 0;
  // Persists what is needed to embed new text into `dir` (e.g. lsa vocabulary and projection,
  // or a pointer to the MiniLM folder). Returns the files written (relative names).
  virtual Result<std::vector<std::string>> Save(const std::filesystem::path& dir) const = 0;
};

}  // namespace hybridrec
