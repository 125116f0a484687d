// Grid search of the hybrid's fusion options (RankerOptions: N, T, w_max, each signal's options)
// on a validation split carved from train; `train --tune` stores the winners in the model, where
// they are the defaults of every request.
//
// One HybridRecommender is fitted on Split::validation_train; each trial only rebuilds its ranker
// (HybridRecommender::SetRankerOptions) and scores Split::validation (never the test part). The
// base options are trial 0, so the winner is never worse on validation than the base; ties keep
// the earlier trial. Deterministic for a split and options. Thread-safety: reentrant.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collab/als.h"
#include "core/status.h"
#include "data/dataset.h"
#include "eval/split.h"
#include "ranking/hybrid_ranker.h"

namespace hybridrec {

// The trials: every combination of the axes' values (the last axis varies fastest), each
// applied to a copy of the base options. No axes: the base alone.
struct FusionGrid {
  std::vector<GridAxis> axes;
  size_t size() const;  // number of combinations
};

// The default grid for a protocol: the ranker's axes and each signal's (DefaultGridAxes in
// ranking/ranker_options.h):
// all: N {100, 200} x T {1, 5, 10, 20, 50} x w_max {0.5, 0.7, 0.85, 1};
// random / global-random: the popularity blend off or (0.5, T);
// temporal: blend off or mix {0.3, 0.5} lasting for every history (popularity T 1000) or fading
//   with T; the recent-items signal off, or from the last 3, 5 or 10 items;
// cold-users: N = 200, blend mix {0, 0.1, 0.3, 0.5} fading at 50 interactions, fold-in lambda
//   {base, 100}, the recent-items signal off or (5 items, weight 1, lambda 100), the item
//   co-occurrence signal off or weight {0.5, 1, 1.5, 2, 3} x beta {0, 0.3};
// cold-items: w_max also 0.3, no blend, the content-to-factor map off / on with ridge {1, 10}.
FusionGrid DefaultFusionGrid(SplitProtocol protocol, const RankerOptions& base);

struct FusionTuneOptions {
  RankerOptions base;     // trial 0 and the values of the axes the grid leaves empty
  FusionGrid grid;        // e.g. DefaultFusionGrid(protocol, base)
  std::vector<RankerOptions> trials;  // tried after the grid's trials, as they are
  AlsOptions als;         // the hybrid's collaborative model (fitted once on validation_train)
  int threads = 0;        // ALS and scoring threads (0 = all hardware threads)
  bool quiet = true;      // progress line on a terminal when false
  // Validation folds: fold 0 is the split's validation part; each further fold applies the
  // protocol again, with another seed, to the same tuning data (split.train, or for a
  // MakeTuningSplit split validation_train + validation + validation_revealed) and fits its own
  // hybrid. Trials are ranked by the user-weighted mean over folds: fewer, noisier validation
  // users (cold-users holds out 10% of users) pick more stable settings. 1 = the split only.
  size_t folds = 1;
  // Selection metric: recall@k for cold-items (its target metric, k = 20), else NDCG@k (k = 10);
  // 0 = that protocol default.
  size_t k = 0;
};

struct FusionTrial {
  RankerOptions ranker;
  double metric = 0;  // the selection metric (see FusionTuneResult::metric_name)
  double ndcg = 0, recall = 0;
};

struct FusionTuneResult {
  std::string metric_name;      // e.g. "ndcg@10" or "recall@20"
  size_t validation_users = 0;      // over all folds
  size_t folds = 1;
  std::vector<FusionTrial> trials;  // trial 0 = base
  size_t best = 0;

  const RankerOptions& best_options() const { return trials[best].ranker; }
  // {"metric","validation_users","trials":n,"base_<metric>","best_<metric>","best":{ranker}}
  nlohmann::ordered_json ToJson() const;
};

// REQUIRES split.options.validation and a non-empty validation part (InvalidArgument otherwise);
// embeddings num_items x dim (may be empty: collab only). Fit errors are returned.
Result<FusionTuneResult> TuneFusion(const Dataset& dataset, const Split& split, std::span<const float> embeddings,
                                    int dim, const FusionTuneOptions& options);

// A Split whose validation_train / validation (and validation_revealed) are the train / test
// parts of `protocol` applied to ALL of the dataset (its train / test fields stay empty): the
// tuning data of `hybridrec train --tune`, which has no test part of its own.
Result<Split> MakeTuningSplit(const Dataset& dataset, SplitOptions options);

}  // namespace hybridrec
