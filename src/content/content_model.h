// ContentModel: the content half of a trained model: the text encoder, the catalogue's
// item embeddings (n x d, unit rows) and a vector index over them, plus the item ids and
// titles needed to answer `search` / `similar`. Built from a Dataset, saved to and reloaded
// from a model directory.
//
// Files written by SaveContentModel (all inside one directory):
//   item_embeddings.npy  float32 [n, d]
//   item_index.faiss     the VectorIndex (FAISS format, ids = item indices)
//   content_items.json   {"ids": [external ids by item index], "titles": [...]}
//   encoder files        whatever TextEncoder::Save writes (lsa_*.{json,txt,npy} or minilm.json)
//
// Thread-safety: a built/loaded ContentModel is safe for concurrent const use (search).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "content/encoder_factory.h"
#include "content/text_encoder.h"
#include "data/dataset.h"
#include "index/index_factory.h"
#include "index/vector_index.h"

namespace hybridrec {

struct ContentModelOptions {
  EncoderOptions encoder;  // which encoder (auto by default)
  IndexOptions index;      // which index (auto: flat below 50,000 items)
  size_t batch_size = 256; // texts per Encode call (granularity of progress reports)
};

struct ContentModel {
  std::unique_ptr<TextEncoder> encoder;
  std::unique_ptr<VectorIndex> index;
  std::vector<float> embeddings;        // num_items() x dimension(), row-major
  std::vector<std::string> item_ids;    // external id of each item index
  std::vector<std::string> titles;      // title of each item index

  size_t num_items() const { return item_ids.size(); }
  int dimension() const { return encoder ? encoder->dimension() : 0; }

  static constexpr const char* kEmbeddingsFile = "item_embeddings.npy";
  static constexpr const char* kIndexFile = "item_index.faiss";
  static constexpr const char* kItemsFile = "content_items.json";
};

struct ContentHit {
  uint32_t item = 0;   // item index
  float score = 0.f;   // cosine similarity
};

// (done, total) texts embedded so far; called after each batch.
using EmbedProgress = std::function<void(size_t done, size_t total)>;

// Embeds every item's text (Dataset::ItemText) and indexes the vectors. `message` (optional)
// receives the encoder's one-line selection message. InvalidArgument on an empty catalogue.
Result<ContentModel> BuildContentModel(const Dataset& data, const ContentModelOptions& options,
                                       std::string* message = nullptr, const EmbedProgress& progress = {});

// Writes the files listed above into dir (created). Returns their names.
Result<std::vector<std::string>> SaveContentModel(const ContentModel& model, const std::filesystem::path& dir);

// Reopens a saved content model, checking that embeddings, index, items and encoder agree
// (sizes and dimension). ef_search > 0 overrides a saved HNSW's search depth.
Result<ContentModel> LoadContentModel(const std::filesystem::path& dir, int ef_search = 0);

// k items closest to `text`, best first. Empty when the text encodes to a zero vector (for LSA:
// none of its words is in the vocabulary). REQUIRES: k >= 1.
Result<std::vector<ContentHit>> SearchByText(const ContentModel& model, std::string_view text, int k);
// The same over any encoder and index of its vectors (e.g. a catalogue grown after training);
// hit ids are the index's ids.
Result<std::vector<ContentHit>> SearchByText(const TextEncoder& encoder, const VectorIndex& index,
                                             std::string_view text, int k);

// k items closest to item `item` (itself excluded), best first.
// REQUIRES: item < num_items(), k >= 1 (std::invalid_argument otherwise).
std::vector<ContentHit> SimilarItems(const ContentModel& model, uint32_t item, int k);

}  // namespace hybridrec
