// TrainedModel: everything `hybridrec train` produces, saved to and loaded from one model
// directory (model/model_dir.h). Files:
//   manifest.json          format version, created time, dataset fingerprint, all parameters,
//                          encoder name and dimension, sha256 + size of every file below
//   users.json, items.json external ids (and item title/genres/tags), index = internal id
//   user_factors.npy       X, float32 (num_users, k)
//   item_factors.npy       Y, float32 (num_items, k)
//   popularity.npy         float32 (num_items,)
//   history_indptr.npy     int64 (num_users + 1,)   the training interactions as CSR, so the
//   history_items.npy      int32 (nnz,)             service and `recommend` can exclude seen
//   history_strength.npy   float32 (nnz,)           items and fold users in again
//   history_timestamp.npy  int64 (nnz,)             seconds since the epoch (only when the
//                                                   dataset has timestamps): recency order
//   item_embeddings.npy, item_index.faiss, content_items.json and the encoder's files
//                          (content layer, when trained with an encoder)
//   item_factor_index.faiss  the collaborative candidates' index (index/mips.h) over the factors
//                          of the items with training interactions (ids = item indices), when
//                          train built one (large catalogues); manifest "collab_index"
// The manifest's "params.ranker" holds the fusion parameters (N, T, w_max, ...) used by
// `recommend`, `similar` and the service by default.
//
// Thread-safety: a loaded TrainedModel is immutable; const use from many threads is safe.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "content/content_model.h"
#include "ranking/hybrid_ranker.h"
#include "core/status.h"
#include "data/csr_matrix.h"
#include "data/dataset.h"

namespace hybridrec {

inline constexpr const char* kFactorIndexFile = "item_factor_index.faiss";

struct TrainedModel {
  nlohmann::json manifest;             // as read (or as written)
  IdMap users;
  IdMap items;
  std::vector<Item> item_info;
  CsrMatrix history;                   // users x items, raw strengths of the training data
  std::vector<int64_t> history_timestamps;  // per entry of `history` (empty: the model has none)
  std::vector<uint32_t> history_recent;     // per row of `history`: its items most recent first (idem)
  std::unique_ptr<AlsModel> als;
  std::unique_ptr<PopularityModel> popularity;
  std::unique_ptr<ContentModel> content;  // null when the model was trained without an encoder
  // Inner-product index over the trained item factors, MIPS-transformed (index/mips.h): the
  // ranker's collaborative candidates on large catalogues. Null when the model has none.
  std::unique_ptr<VectorIndex> factor_index;
  RankerOptions ranker;                   // fusion defaults stored with the model
  // Item co-occurrence table of `history` for ranker.cooccurrence.neighbour_options(), built at load when
  // ranker.cooccurrence.weight > 0 (else null).
  std::shared_ptr<const ItemNeighbours> neighbours;

  // The co-occurrence table for `options`: null when their signal is off, `neighbours` when
  // built with the same parameters, else a new one built from `history`.
  std::shared_ptr<const ItemNeighbours> NeighboursFor(const RankerOptions& options) const;

  // A ranker over this model's parts (valid while the model lives).
  std::unique_ptr<HybridRanker> MakeRanker(const RankerOptions& options) const;

  // The user's training items, most recent first (UserQuery::recent); empty without timestamps.
  std::span<const uint32_t> RecentItems(uint32_t user) const;

  uint32_t num_users() const { return users.size(); }
  uint32_t num_items() const { return items.size(); }
};

// Fingerprint of a dataset: sha256 over its interactions (external ids, strength, timestamp)
// and item ids, so a model can say which data it was trained on.
std::string DatasetFingerprint(const Dataset& dataset);

// What a saved model records of its training interactions. Computed while they are held, so
// that a caller may free the interaction list before the model is saved.
struct DatasetRecord {
  std::string fingerprint;                 // DatasetFingerprint
  size_t interactions = 0;                 // dataset.interactions.size()
  bool has_timestamps = false;
  std::vector<int64_t> entry_timestamps;   // per entry of the history matrix; empty without timestamps
};
DatasetRecord RecordDataset(const Dataset& dataset, const CsrMatrix& history);

// Writes the model atomically to `dir` (replacing an existing model there). `extra_manifest`
// is merged into the manifest (e.g. {"params": {...}, "timings": {...}}). factor_index (may be
// null): the collaborative candidates' index, saved as item_factor_index.faiss.
Status SaveTrainedModel(const std::filesystem::path& dir, const Dataset& dataset, const CsrMatrix& history,
                        const AlsModel& als, const PopularityModel& popularity, const ContentModel* content,
                        const RankerOptions& ranker, const nlohmann::json& extra_manifest,
                        const VectorIndex* factor_index = nullptr);
// The same with the interactions' record taken before (dataset.interactions is not read, and
// may have been freed).
Status SaveTrainedModel(const std::filesystem::path& dir, const Dataset& dataset, const DatasetRecord& record,
                        const CsrMatrix& history, const AlsModel& als, const PopularityModel& popularity,
                        const ContentModel* content, const RankerOptions& ranker,
                        const nlohmann::json& extra_manifest, const VectorIndex* factor_index = nullptr);

// Opens and verifies a model directory and loads every array, checking shapes against the
// manifest. Errors name the file at fault.
Result<TrainedModel> LoadTrainedModel(const std::filesystem::path& dir);

}  // namespace hybridrec
