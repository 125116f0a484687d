// LsaEncoder: the no-download text encoder (the fallback). Latent semantic analysis:
// TF-IDF over word unigrams and bigrams (sublinear tf 1 + log tf, smoothed idf
// log((1 + n) / (1 + df)) + 1, terms kept when they occur in at least min_df documents, rows
// L2-normalised), projected onto the top d right singular vectors of the document-term matrix
// (randomised SVD, Halko, Martinsson & Tropp 2011: Gaussian test matrix, power iterations with
// QR re-orthonormalisation, seeded so the model is reproducible), then rows L2-normalised.
// A document's embedding is x V_d (= the row of U_d S_d for a training document).
//
// Tokenisation (LsaTerms): Unicode lower-casing (utf8proc); words are maximal runs of letters,
// digits and combining marks; an apostrophe inside a word is dropped ("children's" ->
// "childrens"); words of one character are ignored; bigrams join two words separated only by
// whitespace (punctuation such as ". , : ( )" ends a phrase, so "Toy Story (1995). Genres:"
// yields the bigram "toy story" but not "1995 genres"). Invalid UTF-8 bytes act as
// separators (no error: item text comes from validated loaders and queries from users).
//
// A text with no known term (e.g. a query of unseen words) encodes to an all-zero row, which
// scores 0 against every item.
//
// Thread-safety: immutable after Fit/Load; Encode is const and safe from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "content/text_encoder.h"

namespace hybridrec {

struct LsaOptions {
  int dim = 128;           // output dimension d; capped by the rank of the TF-IDF matrix
  uint64_t seed = 42;      // seed of the Gaussian test matrix
  int min_df = 2;          // minimum document frequency of a kept term
  bool bigrams = true;     // add word bigrams to the unigrams
  int power_iters = 4;     // randomised SVD power iterations (accuracy on slowly decaying spectra)
  int oversample = 10;     // extra random directions beyond d (Halko et al. recommend 5-10)
};

// The terms (unigrams, then bigrams "w1 w2") of one text, in text order, with repeats.
std::vector<std::string> LsaTerms(std::string_view text, bool bigrams);

class LsaEncoder final : public TextEncoder {
 public:
  // Fits vocabulary, idf and projection on `texts` (the item catalogue).
  // InvalidArgument when no term reaches min_df (e.g. fewer than min_df documents) or the
  // options are out of range (dim < 1, min_df < 1, power_iters < 0, oversample < 0).
  static Result<std::unique_ptr<LsaEncoder>> Fit(std::span<const std::string> texts, const LsaOptions& options);
  // Reads what Save wrote; errors name the file and the field at fault.
  static Result<std::unique_ptr<LsaEncoder>> Load(const std::filesystem::path& dir);

  std::string name() const override { return "lsa"; }
  int dimension() const override { return dim_; }
  Status Encode(std::span<const std::string> texts, std::vector<float>& out) const override;
  // Writes lsa_config.json, lsa_vocab.txt (one term per line, line i = column i),
  // lsa_idf.npy (float32 [V]) and lsa_projection.npy (float32 [V, d]) into dir (created).
  Result<std::vector<std::string>> Save(const std::filesystem::path& dir) const override;

  const LsaOptions& options() const { return options_; }
  size_t vocabulary_size() const { return vocab_.size(); }
  const std::vector<std::string>& vocabulary() const { return vocab_; }
  // Singular values of the kept components, descending.
  const std::vector<double>& singular_values() const { return singular_values_; }
  // Unit TF-IDF row of one text over the fitted vocabulary, as (column, weight) pairs sorted
  // by column (empty when no term is known). Exposed for tests and diagnostics.
  void TfidfRow(const std::string& text, std::vector<std::pair<uint32_t, float>>& row) const;

  // File names inside the model directory.
  static constexpr const char* kConfigFile = "lsa_config.json";
  static constexpr const char* kVocabFile = "lsa_vocab.txt";
  static constexpr const char* kIdfFile = "lsa_idf.npy";
  static constexpr const char* kProjectionFile = "lsa_projection.npy";

 private:
  LsaEncoder() = default;
  void BuildLookup();

  LsaOptions options_;
  int dim_ = 0;
  std::vector<std::string> vocab_;                      // sorted terms
  std::unordered_map<std::string, uint32_t> lookup_;    // term -> column
  std::vector<float> idf_;                              // [V]
  std::vector<float> projection_;                       // [V, d] row-major
  std::vector<double> singular_values_;                 // [d]
};

}  // namespace hybridrec
