#include "eval/pipeline.h"

#include <algorithm>
#include <utility>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "core/pca.h"
#include "core/random.h"
#include "eval/history_scorers.h"
#include "eval/report.h"
#include "model/trained_model.h"
#include "ranking/fusion_kernels.h"
#include "ranking/recommenders.h"

namespace hybridrec {
namespace {

// Seed streams of the warm ALS validation split and of the cold-item guard's split (apart from
// the fusion folds' 1000 + i).
constexpr uint64_t kAlsWarmStream = 2000;
constexpr uint64_t kColdGuardStream = 3000;

// The fusion options as the model manifest writes them (one list of fields for both).
nlohmann::ordered_json RankerToJson(const RankerOptions& r) {
  return nlohmann::ordered_json::parse(RankerOptionsToJson(r).dump());
}

// A HistoryScoreFn over a ContentRecommender / HybridRecommender (cold-users protocol).
template <typename Model>
HistoryScoreFn PairHistoryScorer(const Model& model) {
  return [&model](std::span<const uint32_t> items, std::span<const float> strengths, std::span<float> scores) {
    std::vector<std::pair<uint32_t, float>> history(items.size());
    for (size_t i = 0; i < items.size(); ++i) history[i] = {items[i], strengths[i]};
    model.ScoreHistory(history, scores);
  };
}

}  // namespace

nlohmann::ordered_json TuningOutcome::AlsTuningJson(SplitProtocol split_protocol) const {
  nlohmann::ordered_json j = als_tuning.ToJson();
  if (als_protocol != split_protocol) j["validation_protocol"] = SplitProtocolName(als_protocol);
  return j;
}

nlohmann::ordered_json ColdItemGuard::ToJson() const {
  nlohmann::ordered_json j;
  j["metric"] = "recall@20";
  j["share"] = share;
  j["base_recall@20"] = reference_recall;
  j["tuned_recall@20"] = tuned_recall;
  j["saved_recall@20"] = saved_recall;
  j["raised"] = raised;
  j["validation_metric_before"] = metric_before;
  j["validation_metric_after"] = metric_after;
  return j;
}

std::vector<std::pair<float, float>> ColdGuardSettings() {
  std::vector<std::pair<float, float>> out;
  for (float boost : {1.3f, 1.4f, 1.5f, 1.75f, 2.f, 2.5f, 3.f, 4.f, 6.f, 8.f})
    for (float floor : {0.25f, 0.35f, 0.5f}) out.emplace_back(boost, floor);
  return out;
}

size_t FusionFolds(SplitProtocol protocol) { return protocol == SplitProtocol::kColdUsers ? 5 : 1; }

Result<Split> CarveTuningSplit(const Dataset& dataset, const Split& split, SplitProtocol protocol,
                                uint64_t stream) {
  // The tuning data: the train part, or (MakeTuningSplit: no train part) all of the dataset,
  // whose interactions are exactly validation_train + validation (+ validation_revealed).
  const bool tuning_split = split.train.empty() && split.test.empty() &&
                            split.validation_train.size() + split.validation.size() +
                                    split.validation_revealed.size() ==
                                dataset.interactions.size();
  const std::vector<Interaction>& pool = tuning_split ? dataset.interactions : split.train;
  if (pool.empty()) return Status::InvalidArgument("tuning: the split has no training interactions");
  SplitOptions so = split.options;
  so.protocol = protocol;
  so.validation = false;
  so.seed = SplitSeed(split.options.seed, stream);
  const uint32_t nu = dataset.num_users(), ni = dataset.num_items();
  HR_ASSIGN_OR_RETURN(Holdout h, SplitInteractions(pool, nu, ni, dataset.has_timestamps, so));
  return ValidationOnlySplit(nu, ni, so, std::move(h));
}

Result<Split> AlsTuningSplit(const Dataset& dataset, const Split& split) {
  if (split.options.protocol != SplitProtocol::kColdItems) return split;
  return CarveTuningSplit(dataset, split, SplitProtocol::kRandom, kAlsWarmStream);
}

Result<double> ColdItemsValidationRecall(const Dataset& dataset, std::span<const float> embeddings, int dim,
                                         const AlsOptions& als, const RankerOptions& ranker, uint64_t seed) {
  SplitOptions so;
  so.protocol = SplitProtocol::kColdItems;
  so.seed = seed;
  HR_ASSIGN_OR_RETURN(Split split, MakeTuningSplit(dataset, so));
  FusionTuneOptions fo;
  fo.base = ranker;  // no grid: the base alone
  fo.als = als;
  fo.threads = als.threads;
  fo.k = 20;
  HR_ASSIGN_OR_RETURN(FusionTuneResult r, TuneFusion(dataset, split, embeddings, dim, fo));
  return r.trials.at(0).recall;
}

Result<ColdItemGuard> GuardColdItems(const Dataset& dataset, const Split& split, std::span<const float> embeddings,
                                     int dim, const AlsOptions& als, const AlsOptions& base_als,
                                     const RankerOptions& base, double tuned_metric, RankerOptions& tuned,
                                     double share) {
  ColdItemGuard g;
  g.share = share;
  g.metric_before = g.metric_after = tuned_metric;
  if (!(share > 0.0)) return g;
  if (share > 1.0) return Status::InvalidArgument("cold-item guard: the share must be in [0, 1]");
  HR_ASSIGN_OR_RETURN(Split cold, CarveTuningSplit(dataset, split, SplitProtocol::kColdItems, kColdGuardStream));
  if (cold.validation.empty()) return g;
  // No grid: trial 0 (the base) and the explicit trials, quietly.
  auto trials_of = [](const RankerOptions& first, const AlsOptions& a, size_t k, size_t folds) {
    FusionTuneOptions o;
    o.base = first;
    o.als = a;
    o.threads = a.threads;
    o.quiet = true;
    o.k = k;
    o.folds = folds;
    return o;
  };
  FusionTuneOptions fo = trials_of(tuned, als, 20, 1);  // trial 0: the winner
  const std::vector<std::pair<float, float>> settings = ColdGuardSettings();
  for (const auto& [boost, floor] : settings) {
    RankerOptions r = tuned;
    r.fresh.boost = std::max(boost, tuned.fresh.boost);
    r.fresh.content_floor = std::max(floor, tuned.fresh.content_floor);
    fo.trials.push_back(r);
  }
  HR_ASSIGN_OR_RETURN(FusionTuneResult r, TuneFusion(dataset, cold, embeddings, dim, fo));
  // The reference: what the untuned options (ALS and fusion) reach.
  HR_ASSIGN_OR_RETURN(FusionTuneResult rr,
                      TuneFusion(dataset, cold, embeddings, dim, trials_of(base, base_als, 20, 1)));
  g.ran = true;
  g.reference_recall = rr.trials.front().recall;
  g.tuned_recall = r.trials.front().recall;
  g.saved_recall = g.tuned_recall;
  const double target = share * g.reference_recall;
  if (g.tuned_recall >= target) return g;
  // The settings that reach the target (none: the one that reaches new items best), ...
  std::vector<size_t> ok;
  for (size_t t = 1; t < r.trials.size(); ++t)
    if (r.trials[t].recall >= target) ok.push_back(t);
  if (ok.empty()) {
    size_t best = 1;
    for (size_t t = 1; t < r.trials.size(); ++t)
      if (r.trials[t].recall > r.trials[best].recall) best = t;
    if (!(r.trials[best].recall > g.tuned_recall)) return g;
    ok.push_back(best);
  }
  // ... then, of those, the one that costs the protocol's own validation metric least (ties: the
  // weakest, which comes first).
  FusionTuneOptions again = trials_of(tuned, als, 0, FusionFolds(split.options.protocol));  // 0: the winner as it was
  for (size_t t : ok) again.trials.push_back(r.trials[t].ranker);
  HR_ASSIGN_OR_RETURN(FusionTuneResult w, TuneFusion(dataset, split, embeddings, dim, again));
  size_t pick = 1;
  for (size_t t = 1; t < w.trials.size(); ++t)
    if (w.trials[t].metric > w.trials[pick].metric) pick = t;
  tuned = w.trials[pick].ranker;
  g.raised = true;
  g.saved_recall = r.trials[ok[pick - 1]].recall;
  g.metric_after = w.trials[pick].metric;
  return g;
}

Result<TuningOutcome> TuneOnSplit(const Dataset& dataset, const Split& split, std::span<const float> embeddings,
                                  int dim, const TuningOptions& options) {
  if (!split.options.validation)
    return Status::InvalidArgument("tuning needs a split with a validation part (SplitOptions::validation)");
  if (split.validation.empty())
    return Status::InvalidArgument("tuning: the validation split is empty (too few interactions per user?)");
  TuningOutcome out;
  {
    HR_ASSIGN_OR_RETURN(Split als_split, AlsTuningSplit(dataset, split));
    TuneOptions to;
    to.grid = options.als_grid;
    to.base = options.als;
    to.eval_threads = options.als.threads;
    to.quiet = options.quiet;
    to.fold_in_regularization = options.fold_in_regularization;
    HR_ASSIGN_OR_RETURN(out.als_tuning, TuneAls(dataset, als_split, to));
    out.als_protocol = als_split.options.protocol;
    out.als = out.als_tuning.best;
  }
  FusionTuneOptions fo;
  fo.base = options.ranker;
  fo.grid = DefaultFusionGrid(split.options.protocol, options.ranker);
  fo.als = out.als;
  fo.threads = options.als.threads;
  fo.quiet = options.quiet;
  fo.folds = FusionFolds(split.options.protocol);
  HR_ASSIGN_OR_RETURN(out.fusion_tuning, TuneFusion(dataset, split, embeddings, dim, fo));
  out.ranker = out.fusion_tuning.best_options();
  if (split.options.protocol != SplitProtocol::kColdItems && !embeddings.empty()) {
    HR_ASSIGN_OR_RETURN(out.cold_guard,
                        GuardColdItems(dataset, split, embeddings, dim, out.als, options.als, options.ranker,
                                       out.fusion_tuning.trials[out.fusion_tuning.best].metric, out.ranker,
                                       options.cold_guard));
  }
  return out;
}

Result<PipelineRun> RunEvaluationPipeline(const Dataset& dataset, std::span<const float> embeddings, int dim,
                                          const PipelineOptions& options, uint64_t seed) {
  SplitOptions so = options.split;
  so.seed = seed;
  so.validation = options.tune;
  PipelineRun run;
  HR_ASSIGN_OR_RETURN(run.split, MakeSplit(dataset, so));
  if (!options.save_split.empty()) HR_RETURN_IF_ERROR(SaveSplit(dataset, run.split, options.save_split));
  const float fold_in = options.tuning.fold_in_regularization;
  run.als = options.tuning.als;
  run.als.seed = seed;
  run.ranker = options.tuning.ranker;
  if (options.tune) {
    TuningOptions to = options.tuning;
    to.als = run.als;
    HR_ASSIGN_OR_RETURN(run.tuning, TuneOnSplit(dataset, run.split, embeddings, dim, to));
    run.als = run.tuning->als;
    run.ranker = run.tuning->ranker;
  }

  AlsModel collab(run.als);  // options validated by the caller
  PopularityModel popularity;
  ContentRecommender content_model(embeddings, dim, run.als.confidence);
  HybridRecommenderOptions ho;
  ho.als = run.als;  // the same ALS options as collab
  ho.ranker = run.ranker;
  ho.threads = run.als.threads;
  HybridRecommender hybrid(embeddings, dim, ho);
  // Histories revealed by cold-users are scored by fold-in (the models never saw those users).
  const std::vector<EvalModel> models = {{&popularity, PopularityHistoryScorer(popularity)},
                                         {&content_model, PairHistoryScorer(content_model)},
                                         {&collab, AlsFoldInScorer(collab, fold_in)},
                                         {&hybrid, PairHistoryScorer(hybrid)}};
  EvalOptions eo;
  eo.ks = options.ks;
  eo.threads = run.als.threads;
  eo.quiet = options.tuning.quiet;
  eo.embeddings = embeddings;
  eo.embedding_dim = dim;
  HR_ASSIGN_OR_RETURN(run.result, Evaluate(dataset, run.split, models, eo));
  nlohmann::ordered_json& params = run.result.params;
  params["collab"] = AlsOptionsToJson(run.als);
  params["split"] = {{"test_fraction", so.test_fraction},
                     {"train_interactions", run.split.train.size()},
                     {"test_interactions", run.split.test.size()}};
  if (so.protocol == SplitProtocol::kColdUsers) {
    params["split"]["reveal"] = so.reveal;
    params["split"]["revealed_interactions"] = run.split.revealed.size();
    params["collab"]["fold_in_regularization"] = fold_in < 0 ? run.als.regularization : fold_in;
  }
  params["content"] = {{"encoder", options.content_encoder}, {"dimension", dim}};
  params["fusion"] = RankerToJson(run.ranker);
  if (run.tuning) {
    params["tuning"] = run.tuning->AlsTuningJson(so.protocol);
    params["fusion_tuning"] = run.tuning->fusion_tuning.ToJson();
    if (run.tuning->cold_guard.ran) params["cold_guard"] = run.tuning->cold_guard.ToJson();
  }
  return run;
}

nlohmann::ordered_json ReportChartData(const Dataset& dataset, const PipelineRun& run, const ContentModel& content) {
  nlohmann::ordered_json charts;
  const InteractionMatrix& train = run.split.train_matrix;
  std::vector<size_t> sizes;
  size_t max_size = 0;
  for (uint32_t u = 0; u < train.num_users(); ++u) {
    size_t n = train.by_user.RowLength(u);
    if (n == 0) continue;
    sizes.push_back(n);
    max_size = std::max(max_size, n);
  }
  std::vector<size_t> xs;
  std::vector<float> ws;
  for (size_t n = 0; n <= std::max<size_t>(max_size, 100); ++n) {
    xs.push_back(n);
    ws.push_back(AdaptiveWeight(n, run.ranker.T, run.ranker.w_max, true));
  }
  charts["weight_curve"] = {{"T", run.ranker.T}, {"w_max", run.ranker.w_max}, {"sizes", xs}, {"w", ws},
                            {"history_sizes", sizes}};
  const size_t n = content.num_items();
  const auto dim = static_cast<size_t>(content.dimension());
  if (n > 0 && dim > 0) {
    std::vector<float> p = Pca2D(content.embeddings, n, dim);
    std::vector<float> x(n), y(n);
    std::vector<std::string> genre(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = p[2 * i];
      y[i] = p[2 * i + 1];
      const auto& g = dataset.item_info[i].genres;
      genre[i] = g.empty() ? "(none)" : g[0];
    }
    charts["pca"] = {{"encoder", content.encoder->name()}, {"x", x}, {"y", y}, {"genre", genre}};
  }
  AlsOptions lo = run.als;
  lo.compute_loss = true;
  lo.quiet = true;
  AlsModel model(lo);
  FitInput in;
  in.dataset = &dataset;
  in.train = &train;
  if (model.Fit(in).ok()) charts["als_loss"] = model.loss_history();
  return charts;
}

}  // namespace hybridrec
