// The evaluation pipeline behind `hybridrec evaluate` and the tuning behind `hybridrec train
// --tune`: one tuning sequence shared by both commands, and one split -> tune -> fit ->
// evaluate run per seed.
//
// The tuning sequence (TuneOnSplit) runs on a split's validation part only, never on its test
// part:
// 1. the ALS grid (eval/tune.h), selected by NDCG@10. On cold-items the validation targets are
//    items ALS has never seen, so every setting would score 0 and the first one would win;
//    there ALS is tuned on a warm objective instead: a random-protocol validation split carved
//    from the tuning data (AlsTuningSplit), where NDCG@10 tells the settings apart;
// 2. the fusion grid (eval/fusion_tune.h, DefaultFusionGrid of the split's protocol) with the
//    chosen ALS options, pooling FusionFolds(protocol) validation folds;
// 3. the cold-item guard (not on cold-items, whose grid already targets new items): options
//    tuned for warm users may leave items without a trained factor out of every list (a
//    temporal winner with a popularity blend and the recent-items signal reaches them half as
//    well as the defaults). On a cold-items validation split carved from the tuning data, the
//    winner's Recall@20 is compared with the untuned model's (base ALS and fusion options); when
//    it falls below a share of it (TuningOptions::cold_guard, 95% by default), the fresh-items
//    signal's boost and content floor are raised: of the settings (ColdGuardSettings) that
//    reach that share, the one that keeps the winner's
//    metric on the protocol's own validation highest (none reaches it: the setting that reaches
//    new items best). Only items without a trained factor are touched, so warm users pay little.
//
// Deterministic for a dataset, split and options. Progress of both grids goes to stderr
// (core/progress.h) unless quiet. Thread-safety: reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collab/als.h"
#include "content/content_model.h"
#include "core/status.h"
#include "data/dataset.h"
#include "eval/evaluator.h"
#include "eval/fusion_tune.h"
#include "eval/split.h"
#include "eval/tune.h"
#include "ranking/hybrid_ranker.h"

namespace hybridrec {

inline constexpr double kDefaultColdGuard = 0.95;

struct TuningOptions {
  AlsOptions als;        // the ALS grid's fixed fields (solver, threads, seed, ...); also the
                         // chosen options' quiet / compute_loss
  AlsGrid als_grid;      // ALS values tried
  RankerOptions ranker;  // fusion grid's trial 0 and the values of the axes it leaves alone
  // Cold-users: lambda of the ALS fold-in that scores the validation users during the ALS grid
  // (< 0: each trial's training lambda).
  float fold_in_regularization = -1.f;
  // The cold-item guard (step 3): the share of the untuned model's cold-items recall the saved
  // options must keep, in [0, 1]; 0 turns the guard off.
  double cold_guard = kDefaultColdGuard;
  bool quiet = true;     // progress of the grids on stderr when false
};

// The cold-item guard's outcome (step 3 above).
struct ColdItemGuard {
  bool ran = false;
  double share = 0;             // of reference_recall the saved options must keep
  double reference_recall = 0;  // base options (untuned ALS and fusion), cold-items validation Recall@20
  double tuned_recall = 0;      // the fusion grid's winner
  double saved_recall = 0;      // the winner with the guard's fresh-items options
  bool raised = false;          // the guard changed the fresh-items options
  // The winner's selection metric on the protocol's validation before / after the guard.
  double metric_before = 0, metric_after = 0;
  nlohmann::ordered_json ToJson() const;
};

// Fresh-items settings (boost, content floor) the guard tries, weakest first (each at least the
// tuned options' own).
std::vector<std::pair<float, float>> ColdGuardSettings();

struct TuningOutcome {
  AlsOptions als;        // chosen: options.als with the winning grid values
  RankerOptions ranker;  // chosen fusion options
  TuneResult als_tuning;
  // Protocol of the validation split the ALS grid was scored on ("random" for cold-items, else
  // the split's own protocol).
  SplitProtocol als_protocol = SplitProtocol::kRandom;
  FusionTuneResult fusion_tuning;
  ColdItemGuard cold_guard;

  // TuneResult::ToJson, plus "validation_protocol" when it is not the split's protocol.
  nlohmann::ordered_json AlsTuningJson(SplitProtocol split_protocol) const;
};

// Validation folds the fusion grid pools: 5 for cold-users (it validates on 10% of the users
// only; with 3 folds the picks of the co-occurrence weight and beta changed from seed to seed,
// with 5 they agree), else 1.
size_t FusionFolds(SplitProtocol protocol);

// The split the ALS grid is scored on: `split` itself, except on cold-items, where it is a
// random-protocol split (test_fraction of split.options, a seed derived from split.options.seed)
// of the tuning data: split.train, or for a MakeTuningSplit split (no train part) the whole
// dataset.
Result<Split> AlsTuningSplit(const Dataset& dataset, const Split& split);

// `protocol` applied (seed: SplitSeed(split's seed, stream)) to the split's tuning data: its
// train part, or for a MakeTuningSplit split (no train part) the whole dataset; the result has
// only validation parts.
Result<Split> CarveTuningSplit(const Dataset& dataset, const Split& split, SplitProtocol protocol,
                               uint64_t stream);

// Recall@20 of a hybrid with these options on a cold-items validation split of the whole
// dataset (MakeTuningSplit with the cold-items protocol and `seed`): how well the options reach
// items without interactions, whatever protocol they were tuned on. `train --tune` reports it
// beside its target metric.
Result<double> ColdItemsValidationRecall(const Dataset& dataset, std::span<const float> embeddings, int dim,
                                         const AlsOptions& als, const RankerOptions& ranker, uint64_t seed);

// Step 3 above on `tuned` (options chosen on split's protocol, whose selection metric on its
// validation is tuned_metric), with ALS options `als`, against `base` with ALS options base_als
// (the untuned model). Sets tuned.fresh when
// the guard raises it; `share` is TuningOptions::cold_guard. Errors of the fits are returned.
Result<ColdItemGuard> GuardColdItems(const Dataset& dataset, const Split& split, std::span<const float> embeddings,
                                     int dim, const AlsOptions& als, const AlsOptions& base_als,
                                     const RankerOptions& base, double tuned_metric, RankerOptions& tuned,
                                     double share = kDefaultColdGuard);

// The tuning sequence described above. REQUIRES split.options.validation and a non-empty
// validation part (InvalidArgument otherwise); embeddings num_items x dim (may be empty:
// collab only). Errors of the grids are returned.
Result<TuningOutcome> TuneOnSplit(const Dataset& dataset, const Split& split, std::span<const float> embeddings,
                                  int dim, const TuningOptions& options);

struct PipelineOptions {
  SplitOptions split;     // protocol, fractions, reveal; each run sets seed and validation (= tune)
  TuningOptions tuning;   // tuning.als / tuning.ranker are used as they are without tune
  bool tune = false;
  std::vector<size_t> ks = {10, 20};
  std::filesystem::path save_split;  // non-empty: SaveSplit into this directory
  std::string content_encoder;       // name recorded in params.content
};

struct PipelineRun {
  Split split;
  AlsOptions als;                      // used on test (collab and the hybrid's ALS)
  RankerOptions ranker;                // used on test
  std::optional<TuningOutcome> tuning;  // with tune
  // popularity, content, collab and hybrid fitted on split.train and scored on split.test;
  // params: "collab", "split", "content", "fusion" and, with tune, "tuning" and "fusion_tuning".
  EvaluationResult result;
};

// One run of `evaluate` for `seed`: MakeSplit (seed; validation with tune), SaveSplit when
// asked, TuneOnSplit with tune (ALS seeded with `seed`), then Evaluate of the four models.
// Cold-users histories are scored by fold-in: collab with tuning.fold_in_regularization, the
// hybrid with its ranker's.
Result<PipelineRun> RunEvaluationPipeline(const Dataset& dataset, std::span<const float> embeddings, int dim,
                                          const PipelineOptions& options, uint64_t seed);

// Data of `evaluate --report`'s charts (eval/report.h "charts"): the adaptive weight curve of
// the run's ranker, the PCA of the item embeddings and the ALS loss per iteration on the run's
// train part.
nlohmann::ordered_json ReportChartData(const Dataset& dataset, const PipelineRun& run, const ContentModel& content);

}  // namespace hybridrec
