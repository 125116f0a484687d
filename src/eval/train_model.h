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
};

// Trains on `dataset` and writes the model to `out` atomically. `log` (may be null) gets the
// lines `train` prints on stderr when not quiet: the encoder message and the tuning outcome.
// Errors: the failing step's Status (a tuning error is prefixed "tuning: ").
Result<TrainModelSummary> TrainModel(const Dataset& dataset, const TrainModelOptions& options,
                                     const std::filesystem::path& out, std::ostream* log = nullptr);

}  // namespace hybridrec
