#include "eval/fusion_tune.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/progress.h"
#include "core/random.h"
#include "eval/evaluator.h"
#include "model/trained_model.h"
#include "ranking/recommenders.h"

namespace hybridrec {
size_t FusionGrid::size() const {
  size_t n = 1;
  for (const GridAxis& a : axes) n *= std::max<size_t>(a.values.size(), 1);
  return n;
}

FusionGrid DefaultFusionGrid(SplitProtocol protocol, const RankerOptions& base) {
  return FusionGrid{DefaultGridAxes(SplitProtocolName(protocol), base)};
}

nlohmann::ordered_json FusionTuneResult::ToJson() const {
  nlohmann::ordered_json j;
  j["metric"] = metric_name;
  j["validation_users"] = validation_users;
  j["folds"] = folds;
  j["trials"] = trials.size();
  j["base_" + metric_name] = trials.empty() ? 0.0 : trials[0].metric;
  j["best_" + metric_name] = trials.empty() ? 0.0 : trials[best].metric;
  if (!trials.empty()) j["best"] = nlohmann::ordered_json::parse(RankerOptionsToJson(trials[best].ranker).dump());
  return j;
}

Result<FusionTuneResult> TuneFusion(const Dataset& dataset, const Split& split, std::span<const float> embeddings,
                                    int dim, const FusionTuneOptions& options) {
  if (!split.options.validation)
    return Status::InvalidArgument("fusion tuning needs a split with a validation part (SplitOptions::validation)");
  const bool cold_users = split.options.protocol == SplitProtocol::kColdUsers;
  const bool cold_items = split.options.protocol == SplitProtocol::kColdItems;
  const std::vector<uint32_t> users = UsersWithTestItems(split.validation_matrix);
  if (users.empty()) return Status::InvalidArgument("fusion tuning: the validation split has no users");
  try {
    options.base.Validate();
  } catch (const std::invalid_argument& e) {
    return Status::InvalidArgument(std::string("fusion tuning: ") + e.what());
  }

  // Trial 0 = base, then the grid (last axis varies fastest; no axes: none), then the explicit
  // trials.
  std::vector<RankerOptions> grid = {options.base};
  const std::vector<GridAxis>& axes = options.grid.axes;
  std::vector<size_t> at(axes.size(), 0);
  const size_t combinations = axes.empty() ? 0 : options.grid.size();
  for (size_t t = 0; t < combinations; ++t) {
    RankerOptions r = options.base;
    for (size_t a = 0; a < axes.size(); ++a)
      if (!axes[a].values.empty()) axes[a].values[at[a]](r);
    try {
      r.Validate();
    } catch (const std::invalid_argument& e) {
      return Status::InvalidArgument(std::string("fusion tuning grid: ") + e.what());
    }
    grid.push_back(r);
    for (size_t a = axes.size(); a-- > 0;) {  // odometer: the last axis first
      if (++at[a] < axes[a].values.size()) break;
      at[a] = 0;
    }
  }
  for (const RankerOptions& r : options.trials) {
    try {
      r.Validate();
    } catch (const std::invalid_argument& e) {
      return Status::InvalidArgument(std::string("fusion tuning trial: ") + e.what());
    }
    grid.push_back(r);
  }

  HybridRecommenderOptions ho;
  ho.als = options.als;
  ho.als.quiet = true;
  ho.als.compute_loss = false;
  ho.als.threads = options.threads;
  ho.ranker = options.base;
  ho.threads = options.threads;
  const size_t k = options.k > 0 ? options.k : (cold_items ? 20 : 10);
  EvalOptions eo;
  eo.ks = {k};
  eo.threads = options.threads;

  // Folds: the split's own validation part, then re-splits of the tuning data.
  struct Fold {
    std::vector<Interaction> train_rows, test_rows, revealed_rows;
    InteractionMatrix train, test, revealed;
    const InteractionMatrix* train_m = nullptr;
    const InteractionMatrix* test_m = nullptr;
    const InteractionMatrix* revealed_m = nullptr;
    std::vector<uint32_t> users;
    std::unique_ptr<HybridRecommender> model;
    HistoryScoreFn history;
  };
  std::vector<std::unique_ptr<Fold>> folds;
  {
    auto f = std::make_unique<Fold>();
    f->train_m = &split.validation_train_matrix;
    f->test_m = &split.validation_matrix;
    if (cold_users) f->revealed_m = &split.validation_revealed_matrix;
    f->users = users;
    folds.push_back(std::move(f));
  }
  if (options.folds > 1) {
    std::vector<Interaction> pool = split.train;
    if (pool.empty()) {
      pool = split.validation_train;
      pool.insert(pool.end(), split.validation.begin(), split.validation.end());
      pool.insert(pool.end(), split.validation_revealed.begin(), split.validation_revealed.end());
    }
    const uint32_t nu = dataset.num_users(), ni = dataset.num_items();
    for (size_t fi = 1; fi < options.folds; ++fi) {
      SplitOptions so = split.options;
      so.validation = false;
      so.seed = SplitSeed(split.options.seed, 1000 + fi);
      HR_ASSIGN_OR_RETURN(Holdout h, SplitInteractions(pool, nu, ni, dataset.has_timestamps, so));
      auto f = std::make_unique<Fold>();
      f->train = BuildInteractionMatrix(nu, ni, h.train);
      f->test = BuildInteractionMatrix(nu, ni, h.test);
      f->train_m = &f->train;
      f->test_m = &f->test;
      if (cold_users) {
        f->revealed = BuildInteractionMatrix(nu, ni, h.revealed);
        f->revealed_m = &f->revealed;
      }
      f->users = UsersWithTestItems(f->test);
      if (!f->users.empty()) folds.push_back(std::move(f));
    }
  }
  for (auto& f : folds) {
    try {
      f->model = std::make_unique<HybridRecommender>(embeddings, dim, ho);
    } catch (const std::invalid_argument& e) {
      return Status::InvalidArgument(std::string("fusion tuning: ") + e.what());
    }
    FitInput in;
    in.dataset = &dataset;
    in.train = f->train_m;
    in.quiet = true;
    HR_RETURN_IF_ERROR(f->model->Fit(in));
    HybridRecommender* model = f->model.get();
    f->history = [model](std::span<const uint32_t> items, std::span<const float> strengths,
                         std::span<float> scores) {
      std::vector<std::pair<uint32_t, float>> h(items.size());
      for (size_t i = 0; i < items.size(); ++i) h[i] = {items[i], strengths[i]};
      model->ScoreHistory(h, scores);
    };
  }

  FusionTuneResult result;
  result.metric_name = std::string(cold_items ? "recall@" : "ndcg@") + std::to_string(k);
  result.folds = folds.size();
  for (const auto& f : folds) result.validation_users += f->users.size();
  Progress progress("tune fusion", grid.size(), options.quiet);
  char buf[64];
  for (size_t t = 0; t < grid.size(); ++t) {
    FusionTrial trial;
    trial.ranker = grid[t];
    for (auto& f : folds) {
      f->model->SetRankerOptions(grid[t]);
      const EvalModel em{f->model.get(), f->history};
      const EvalData data{f->train_m, f->test_m, f->revealed_m};
      const ModelEvaluation ev = EvaluateFitted(em, data, f->users, eo);
      const double wgt = static_cast<double>(f->users.size()) / static_cast<double>(result.validation_users);
      trial.ndcg += wgt * ev.at_k[0].ndcg;
      trial.recall += wgt * ev.at_k[0].recall;
    }
    trial.metric = cold_items ? trial.recall : trial.ndcg;
    result.trials.push_back(trial);
    if (trial.metric > result.trials[result.best].metric) result.best = t;
    std::snprintf(buf, sizeof(buf), "best %s %.4f", result.metric_name.c_str(), result.trials[result.best].metric);
    progress.Update(t + 1, buf);
  }
  progress.Finish();
  return result;
}

Result<Split> MakeTuningSplit(const Dataset& dataset, SplitOptions options) {
  options.validation = false;
  HR_ASSIGN_OR_RETURN(Holdout h, SplitInteractions(dataset.interactions, dataset.num_users(), dataset.num_items(),
                                                   dataset.has_timestamps, options));
  return ValidationOnlySplit(dataset.num_users(), dataset.num_items(), options, std::move(h));
}

}  // namespace hybridrec
