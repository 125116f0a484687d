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
namespace {

template <typename T>
std::vector<T> OrBase(const std::vector<T>& values, T base) {
  return values.empty() ? std::vector<T>{base} : values;
}

}  // namespace

size_t FusionGrid::size() const {
  auto n = [](size_t s) { return s == 0 ? size_t{1} : s; };
  return n(candidates.size()) * n(T.size()) * n(w_max.size()) * n(blends.size()) *
         n(popularity_half_life_days.size()) * n(foldin_regularization.size()) * n(map_cold_items.size()) *
         n(map_ridge.size()) * n(recent.size()) * n(cooccurrence.size());
}

FusionGrid DefaultFusionGrid(SplitProtocol protocol, const RankerOptions& base) {
  FusionGrid g;
  g.candidates = {100, 200};
  g.T = {1.f, 5.f, 10.f, 20.f, 50.f};
  g.w_max = {0.5f, 0.7f, 0.85f, 1.f};
  const std::tuple<size_t, float, float> off{0, 0.f, base.recent_regularization};
  switch (protocol) {
    case SplitProtocol::kRandom:
    case SplitProtocol::kGlobalRandom:
      g.blends = {{0.f, base.popularity_T}, {0.5f, base.popularity_T}};
      break;
    case SplitProtocol::kTemporal:
      g.blends = {{0.f, base.popularity_T}, {0.3f, 0.f}, {0.5f, 0.f}, {0.3f, 1000.f}, {0.5f, 1000.f}};
      g.recent = {off, {3, 1.f, 100.f}, {5, 0.5f, 100.f}, {5, 1.f, 100.f}, {10, 1.f, 10.f}};
      break;
    case SplitProtocol::kColdUsers:
      g.candidates = {200};
      g.blends = {{0.f, base.popularity_T}, {0.1f, 50.f}, {0.3f, 50.f}, {0.5f, 50.f}};
      g.foldin_regularization = {base.foldin_regularization, 100.f};
      g.recent = {off, {5, 1.f, 100.f}};
      g.cooccurrence = {{0.f, base.cooccurrence_neighbours, base.cooccurrence_beta, base.cooccurrence_T}};
      {
        // Cold-users validation users all have the same few items, so it cannot tell how the
        // signal should fade; it fades at 20 items unless the base says otherwise (it costs
        // NDCG on long histories, see RankerOptions::cooccurrence_T).
        const float fade = base.cooccurrence_T > 0.f ? base.cooccurrence_T : 20.f;
        for (float w : {0.5f, 1.f, 1.5f, 2.f, 3.f})
          for (float beta : {0.f, 0.3f}) g.cooccurrence.emplace_back(w, base.cooccurrence_neighbours, beta, fade);
      }
      break;
    case SplitProtocol::kColdItems:
      g.w_max.insert(g.w_max.begin(), 0.3f);
      g.map_cold_items = {false, true};
      g.map_ridge = {1.f, 10.f};
      break;
  }
  return g;
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

  // Trial 0 = base, then the grid (last axis varies fastest).
  std::vector<RankerOptions> grid = {options.base};
  const RankerOptions& b = options.base;
  const FusionGrid& g = options.grid;
  for (size_t n : OrBase(g.candidates, b.candidates))
    for (float t : OrBase(g.T, b.T))
      for (float w : OrBase(g.w_max, b.w_max))
        for (const auto& [mix, pop_t] : OrBase(g.blends, std::pair<float, float>{b.popularity_mix, b.popularity_T}))
          for (float hl : OrBase(g.popularity_half_life_days, b.popularity_half_life_days))
            for (float fl : OrBase(g.foldin_regularization, b.foldin_regularization))
              for (bool map : OrBase(g.map_cold_items, b.map_cold_items))
                for (float ridge : OrBase(g.map_ridge, b.map_ridge))
                  for (const auto& [ri, rw, rl] : OrBase(g.recent, std::tuple<size_t, float, float>{
                                                                      b.recent_items, b.recent_weight,
                                                                      b.recent_regularization}))
                  for (const auto& [cw, cm, cb, ct] : OrBase(g.cooccurrence, std::tuple<float, size_t, float, float>{
                                                                               b.cooccurrence_weight,
                                                                               b.cooccurrence_neighbours,
                                                                               b.cooccurrence_beta,
                                                                               b.cooccurrence_T})) {
                  // The half-life only matters with a blend, the ridge only with the map.
                  if (mix == 0.f && hl != OrBase(g.popularity_half_life_days, b.popularity_half_life_days)[0]) continue;
                  if (!map && ridge != OrBase(g.map_ridge, b.map_ridge)[0]) continue;
                  RankerOptions r = b;
                  r.candidates = n;
                  r.T = t;
                  r.w_max = w;
                  r.popularity_mix = mix;
                  r.popularity_T = pop_t;
                  r.popularity_half_life_days = hl;
                  r.foldin_regularization = fl;
                  r.map_cold_items = map;
                  r.map_ridge = ridge;
                  r.recent_items = ri;
                  r.recent_weight = rw;
                  r.recent_regularization = rl;
                  r.cooccurrence_weight = cw;
                  r.cooccurrence_neighbours = cm;
                  r.cooccurrence_beta = cb;
                  r.cooccurrence_T = ct;
                  try {
                    r.Validate();
                  } catch (const std::invalid_argument& e) {
                    return Status::InvalidArgument(std::string("fusion tuning grid: ") + e.what());
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
  Split s;
  s.options = options;
  s.options.validation = true;
  s.validation_train = std::move(h.train);
  s.validation = std::move(h.test);
  s.validation_revealed = std::move(h.revealed);
  s.cold_items = std::move(h.cold_items);
  s.cold_users = std::move(h.cold_users);
  const uint32_t nu = dataset.num_users(), ni = dataset.num_items();
  s.validation_train_matrix = BuildInteractionMatrix(nu, ni, s.validation_train);
  s.validation_matrix = BuildInteractionMatrix(nu, ni, s.validation);
  if (options.protocol == SplitProtocol::kColdUsers)
    s.validation_revealed_matrix = BuildInteractionMatrix(nu, ni, s.validation_revealed);
  return s;
}

}  // namespace hybridrec
