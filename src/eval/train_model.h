// TrainModel: what `hybridrec train` does once its flags are parsed, as a library call (the CLI
// and the Python package share it): optionally tune ALS and the fusion on a validation split
// carved from the data (eval/pipeline.h TuneOnSplit, then the cold-item guard), embed and index
// the catalogue, fit popularity and ALS on all of the data, and write the model directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "collab/als.h"
#include "content/content_model.h"
#include "core/status.h"
#include "data/dataset.h"
#include "eval/pipeline.h"
#include "eval/split.h"
#include "index/index_factory.h"
#include "data/csr_matrix.h"
#include "ranking/ranker_options.h"

namespace hybridrec {

class AlsModel;

struct TrainModelOptions {
  AlsOptions als;                  // start of the ALS grid with tune
  RankerOptions ranker;            // fusion options (start of the fusion grid with tune)
  bool content = true;             // false: collaborative only (no encoder, no index)
  ContentModelOptions content_options;
  bool tune = false;
  SplitProtocol tune_protocol = SplitProtocol::kRandom;
  uint64_t tune_seed = 0;
  double cold_guard = kDefaultColdGuard;
  bool loss = false;               // compute the ALS loss per iteration of the final fit (manifest als_loss)
  bool quiet = true;               // progress bars on stderr when false
  nlohmann::json extra_manifest;   // top-level keys added to the manifest (e.g. "events" of train --events)
  // The inner-product index over the item factors that gives a large catalogue its collaborative
  // candidates (index/mips.h; used by the ranker above RankerOptions::brute_force_max_items
  // items). collab_index.kind: kAuto builds IVF (the best measured, see index/mips.h) when at
  // least collab_index.hnsw_threshold items have training interactions (nothing below: the
  // exact scan is as fast there), kIvf / kHnsw / kFlat always build that kind;
  // collab_index_off: never. Calibrated on up to collab_index.hnsw.calibration_queries users'
  // factors to a recall@10 of 0.98 against exact MIPS, above the content index's 0.95 because
  // the fused lists move more than the candidates do (each signal is z-scored over the candidate
  // union). Measured: the final top-10 kept 0.980 of the exact pipeline's items on the `ml25m`
  // shape (nprobe 3 of 243 lists) and 0.981 on the `catalogue` shape (nprobe 192 of 1,000); a
  // target of 0.99 took the catalogue's IVF to every list (its recall levels off near 0.985
  // there), as slow as the exact scan.
  IndexOptions collab_index = [] {
    IndexOptions o;
    o.hnsw.target_recall = 0.98;
    return o;
  }();
  bool collab_index_off = false;
  // When set, these factors (fitted elsewhere on the same users, items and interactions, e.g.
  // by the distributed trainer in dist/) are saved instead of fitting ALS here; tune must be off.
  const AlsModel* fitted_als = nullptr;
};

struct TrainModelSummary {
  AlsOptions als;                  // as trained (tuned when asked)
  RankerOptions ranker;            // as saved in the manifest
  nlohmann::json tuning;           // the manifest's "tuning" object (with tune)
  double fit_s = 0, embed_s = 0;
  std::string encoder_message;     // the encoder's selection message (e.g. the LSA fallback)
  std::string content_description; // "embedded N items with ENC (d=D, index I)", empty without content
  std::string collab_index_description;  // "collaborative index over N item factors: ...", empty without
  double collab_index_s = 0;
};

// The collaborative candidates' index (index/mips.h) over the factors of the items with
// popularity > 0 (training interactions), calibrated on an evenly spaced sample of up to
// options.hnsw.calibration_queries users with a history row; options.kind kAuto builds IVF from
// options.hnsw_threshold such items and nothing (null) below; kBrute: null.
Result<std::unique_ptr<VectorIndex>> BuildCollabIndex(const IndexOptions& options, const AlsModel& als,
                                                      std::span<const float> popularity, const CsrMatrix& history);

// Trains on `dataset` and writes the model to `out` atomically. `log` (may be null) gets the
// lines `train` prints on stderr when not quiet: the encoder message and the tuning outcome.
// Errors: the failing step's Status (a tuning error is prefixed "tuning: ").
Result<TrainModelSummary> TrainModel(const Dataset& dataset, const TrainModelOptions& options,
                                     const std::filesystem::path& out, std::ostream* log = nullptr);
// The same, for a caller done with the dataset: its interaction list is freed once the interaction
// matrices are built and tuning (if asked) is over, so that it is not held through the ALS fit and
// the save. The ids, item text and load report stay.
Result<TrainModelSummary> TrainModel(Dataset&& dataset, const TrainModelOptions& options,
                                     const std::filesystem::path& out, std::ostream* log = nullptr);

}  // namespace hybridrec
