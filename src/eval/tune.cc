#include "eval/tune.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "collab/als_model.h"
#include "core/progress.h"
#include "eval/evaluator.h"
#include "eval/history_scorers.h"

namespace hybridrec {
namespace {

template <typename T>
std::vector<T> OrBase(const std::vector<T>& values, T base) {
  return values.empty() ? std::vector<T>{base} : values;
}

std::string Fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}
std::string Fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}
std::string Short(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace

size_t AlsGrid::size() const {
  auto n = [](size_t s) { return s == 0 ? size_t{1} : s; };
  return n(factors.size()) * n(regularization.size()) * n(alpha.size()) * n(iterations.size()) *
         n(reg_exponent.size());
}

Result<TuneResult> TuneAls(const Dataset& dataset, const Split& split, const TuneOptions& options) {
  if (!split.options.validation)
    return Status::InvalidArgument("tuning needs a split with a validation part (SplitOptions::validation)");
  if (split.validation.empty())
    return Status::InvalidArgument("tuning: the validation split is empty (too few interactions per user?)");
  if (options.k == 0) return Status::InvalidArgument("tuning: k must be > 0");

  std::vector<AlsOptions> combos;
  for (int f : OrBase(options.grid.factors, options.base.factors))
    for (float reg : OrBase(options.grid.regularization, options.base.regularization))
      for (float a : OrBase(options.grid.alpha, options.base.confidence.alpha))
        for (int it : OrBase(options.grid.iterations, options.base.iterations))
          for (float nu : OrBase(options.grid.reg_exponent, options.base.reg_exponent)) {
            AlsOptions o = options.base;
            o.factors = f;
            o.regularization = reg;
            o.confidence.alpha = a;
            o.iterations = it;
            o.reg_exponent = nu;
            o.quiet = true;
            o.compute_loss = false;
            combos.push_back(o);
          }

  EvalOptions eval;
  eval.ks = {options.k};
  eval.threads = options.eval_threads;
  eval.quiet = true;

  TuneResult result;
  result.k = options.k;
  Progress progress("tune ALS", combos.size(), options.quiet);
  for (size_t t = 0; t < combos.size(); ++t) {
    std::unique_ptr<AlsModel> model;
    try {
      model = std::make_unique<AlsModel>(combos[t]);
    } catch (const std::invalid_argument& e) {
      return Status::InvalidArgument(std::string("tuning grid: ") + e.what());
    }
    const EvalModel models[] = {{model.get(), AlsFoldInScorer(*model, options.fold_in_regularization)}};
    EvalData data{&split.validation_train_matrix, &split.validation_matrix, nullptr};
    if (split.options.protocol == SplitProtocol::kColdUsers) data.revealed = &split.validation_revealed_matrix;
    HR_ASSIGN_OR_RETURN(EvaluationResult r, EvaluateModels(dataset, data, models, eval));
    TuneTrial trial;
    trial.options = combos[t];
    trial.ndcg = r.models[0].at_k[0].ndcg;
    trial.recall = r.models[0].at_k[0].recall;
    trial.fit_seconds = r.models[0].fit_seconds;
    trial.eval_seconds = r.models[0].eval_seconds;
    result.validation_users = r.users_evaluated();
    result.trials.push_back(trial);
    if (trial.ndcg > result.trials[result.best_index].ndcg) result.best_index = t;
    progress.Update(t + 1, "best ndcg@" + std::to_string(options.k) + " " +
                               Fixed4(result.trials[result.best_index].ndcg));
  }
  progress.Finish();
  result.best = result.trials[result.best_index].options;
  result.best.quiet = options.base.quiet;
  result.best.compute_loss = options.base.compute_loss;
  return result;
}

nlohmann::ordered_json TuneResult::ToJson() const {
  using J = nlohmann::ordered_json;
  const std::string at = "@" + std::to_string(k);
  J trials_json = J::array();
  for (const TuneTrial& t : trials) {
    J o = AlsOptionsToJson(t.options);
    o["ndcg" + at] = t.ndcg;
    o["recall" + at] = t.recall;
    o["fit_s"] = t.fit_seconds;
    trials_json.push_back(o);
  }
  J j;
  j["k"] = k;
  j["validation_users"] = validation_users;
  j["best"] = AlsOptionsToJson(best);
  j["best_ndcg" + at] = trials.empty() ? 0.0 : trials[best_index].ndcg;
  j["trials"] = trials_json;
  return j;
}

std::string TuneResult::FormatTable() const {
  const std::string at = "@" + std::to_string(k);
  std::vector<std::vector<std::string>> rows = {
      {"", "factors", "reg", "nu", "alpha", "iters", "ndcg" + at, "recall" + at, "fit_s"}};
  for (size_t i = 0; i < trials.size(); ++i) {
    const TuneTrial& t = trials[i];
    rows.push_back({i == best_index ? "*" : "", std::to_string(t.options.factors),
                    Short(t.options.regularization), Short(t.options.reg_exponent),
                    Short(t.options.confidence.alpha), std::to_string(t.options.iterations),
                    Fixed4(t.ndcg), Fixed4(t.recall), Fixed2(t.fit_seconds)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      if (c > 0) line += "  ";
      line += std::string(width[c] - r[c].size(), ' ') + r[c];
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace hybridrec
