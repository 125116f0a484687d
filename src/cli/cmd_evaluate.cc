// `hybridrec evaluate`: split a dataset, (optionally) tune ALS on a validation split carved from
// train, fit the models on train and print their ranking metrics on test (SPEC 6).
// Thin: flags -> options structs -> eval/ library calls -> table or JSON.
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "collab/als.h"
#include "collab/als_model.h"
#include "collab/popularity.h"
#include "data/loader.h"
#include "eval/evaluator.h"
#include "eval/history_scorers.h"
#include "eval/split.h"
#include "eval/tune.h"

namespace hybridrec::cli {
namespace {

struct EvaluateArgs {
  std::string data;
  std::string format = "auto";
  std::string protocol = "random";
  std::vector<size_t> ks = {10, 20};
  uint64_t seed = 0;
  std::vector<uint64_t> seeds;  // several runs, summarised (overrides --seed)
  bool json = false;
  std::string save_split;
  bool tune = false;
  double test_fraction = 0.2;
  uint32_t reveal = 5;
  // ALS hyper-parameters: one value each, or a list (a grid) with --tune. Empty = AlsOptions default.
  std::vector<int> factors;
  std::vector<float> regularization;
  std::vector<float> alpha;
  std::vector<int> iterations;
  std::vector<float> reg_exponent;
  std::string solver;
  std::string confidence;  // linear | log | bm25; empty = AlsOptions default
  int cg_steps = 0;
  float fold_in_regularization = -1.f;  // cold-users fold-in lambda; < 0 = training lambda
  int threads = 0;
  bool quiet = false;
};

int Fail(const std::string& msg, int code = 1) {
  std::cerr << "error: " << msg << "\n";
  return code;
}

// Sets `field` from a one-value list; returns false when the list has several values.
template <typename T, typename F>
bool Single(const std::vector<T>& values, F& field) {
  if (values.size() > 1) return false;
  if (values.size() == 1) field = static_cast<F>(values[0]);
  return true;
}

// One split + (tuning) + evaluation for one seed. Prints the tuning table unless --json.
Result<EvaluationResult> RunOnce(const Dataset& dataset, const EvaluateArgs& a, const SplitOptions& base_split,
                                 AlsOptions als, uint64_t seed, const std::string& save_dir) {
  SplitOptions so = base_split;
  so.seed = seed;
  HR_ASSIGN_OR_RETURN(Split split, MakeSplit(dataset, so));
  if (!save_dir.empty()) {
    HR_RETURN_IF_ERROR(SaveSplit(dataset, split, save_dir));
    if (!a.json) std::cout << "split written to " << save_dir << "\n";
  }
  als.seed = seed;
  nlohmann::ordered_json tuning;
  if (a.tune) {
    TuneOptions to;
    to.base = als;
    to.eval_threads = a.threads;
    to.quiet = a.quiet;
    to.fold_in_regularization = a.fold_in_regularization;
    if (!a.factors.empty()) to.grid.factors = a.factors;
    if (!a.regularization.empty()) to.grid.regularization = a.regularization;
    if (!a.alpha.empty()) to.grid.alpha = a.alpha;
    if (!a.iterations.empty()) to.grid.iterations = a.iterations;
    if (!a.reg_exponent.empty()) to.grid.reg_exponent = a.reg_exponent;
    HR_ASSIGN_OR_RETURN(TuneResult tuned, TuneAls(dataset, split, to));
    if (!a.json) {
      std::cout << "ALS grid search on the validation split, seed " << seed << " (" << tuned.validation_users
                << " users, NDCG@" << tuned.k << "):\n"
                << tuned.FormatTable() << "\n";
    }
    als = tuned.best;
    tuning = tuned.ToJson();
  }
  AlsModel collab(als);  // options validated before the run
  PopularityModel popularity;
  // Histories revealed by cold-users are scored by fold-in (the models never saw those users).
  const std::vector<EvalModel> models = {{&popularity, PopularityHistoryScorer(popularity)},
                                         {&collab, AlsFoldInScorer(collab, a.fold_in_regularization)}};
  EvalOptions eo;
  eo.ks = a.ks;
  eo.threads = a.threads;
  eo.quiet = a.quiet;
  HR_ASSIGN_OR_RETURN(EvaluationResult result, Evaluate(dataset, split, models, eo));
  result.params["collab"] = AlsOptionsToJson(als);
  result.params["split"] = {{"test_fraction", a.test_fraction},
                            {"train_interactions", split.train.size()},
                            {"test_interactions", split.test.size()}};
  if (so.protocol == SplitProtocol::kColdUsers) {
    result.params["split"]["reveal"] = a.reveal;
    result.params["split"]["revealed_interactions"] = split.revealed.size();
    result.params["collab"]["fold_in_regularization"] =
        a.fold_in_regularization < 0 ? als.regularization : a.fold_in_regularization;
  }
  if (a.tune) result.params["tuning"] = tuning;
  return result;
}

int RunEvaluate(const EvaluateArgs& a) {
  // Usage checks first, so a bad flag fails fast with exit code 2.
  auto protocol = ParseSplitProtocol(a.protocol);
  if (!protocol.ok()) return Fail(protocol.status().message(), 2);
  AlsOptions als;
  als.threads = a.threads;
  als.quiet = a.quiet;
  if (!a.solver.empty()) {
    auto solver = ParseAlsSolver(a.solver);
    if (!solver.ok()) return Fail(solver.status().message(), 2);
    als.solver = *solver;
  }
  if (a.cg_steps > 0) als.cg_steps = a.cg_steps;
  if (!a.confidence.empty()) {
    auto kind = ParseConfidenceKind(a.confidence);
    if (!kind.ok()) return Fail(kind.status().message(), 2);
    als.confidence.kind = *kind;
  }
  if (!a.tune && (!Single(a.factors, als.factors) || !Single(a.regularization, als.regularization) ||
                  !Single(a.alpha, als.confidence.alpha) || !Single(a.iterations, als.iterations) ||
                  !Single(a.reg_exponent, als.reg_exponent))) {
    return Fail("several values for an ALS hyper-parameter make a grid: add --tune, or give one value", 2);
  }
  try {
    als.Validate();
  } catch (const std::invalid_argument& e) {
    return Fail(e.what(), 2);
  }
  std::vector<uint64_t> seeds = a.seeds.empty() ? std::vector<uint64_t>{a.seed} : a.seeds;

  LoadOptions lo;
  lo.format = a.format;
  auto dataset = LoadDataset(a.data, lo);
  if (!dataset.ok()) return Fail(dataset.status().message());

  SplitOptions so;
  so.protocol = *protocol;
  so.test_fraction = a.test_fraction;
  so.reveal = a.reveal;
  so.validation = a.tune;
  std::vector<EvaluationResult> runs;
  for (uint64_t seed : seeds) {
    std::string save_dir = a.save_split;
    if (!save_dir.empty() && seeds.size() > 1) save_dir += "/seed-" + std::to_string(seed);
    auto result = RunOnce(*dataset, a, so, als, seed, save_dir);
    if (!result.ok()) return Fail(result.status().message());
    if (!a.json) std::cout << FormatTable(*result) << (seeds.size() > 1 ? "\n" : "");
    runs.push_back(std::move(result).value());
  }
  if (runs.size() == 1) {
    if (a.json) std::cout << runs[0].ToJson().dump(2) << "\n";
    return 0;
  }
  auto summary = SummarizeRuns(runs);
  if (!summary.ok()) return Fail(summary.status().message());
  if (a.json) {
    nlohmann::ordered_json out;
    out["summary"] = *summary;
    out["runs"] = nlohmann::ordered_json::array();
    for (const auto& r : runs) out["runs"].push_back(r.ToJson());
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << FormatRunsTable(*summary);
  }
  return 0;
}

}  // namespace

void RegisterEvaluate(CLI::App& app, CommandRegistry& reg) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* sub = app.add_subcommand(
      "evaluate", "Split a dataset, fit popularity and ALS on train, report ranking metrics on test");
  sub->add_option("--data", args->data, "Dataset directory (ml-100k, movielens-csv or generic layout)")
      ->required();
  sub->add_option("--format", args->format, "Dataset layout")
      ->check(CLI::IsMember({"auto", "ml-100k", "movielens-csv", "generic"}))
      ->capture_default_str();
  sub->add_option("--protocol", args->protocol, "Evaluation protocol")
      ->check(CLI::IsMember({"random", "global-random", "temporal", "cold-items", "cold-users"}))
      ->capture_default_str();
  sub->add_option("--k", args->ks, "Cut-offs, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "Seed of the split and of ALS initialisation")->capture_default_str();
  sub->add_option("--seeds", args->seeds,
                  "Repeat the whole run for each seed (comma-separated) and report mean and sd; "
                  "--json then prints {\"summary\":..,\"runs\":[..]}")
      ->delimiter(',');
  sub->add_flag("--json", args->json, "Print one JSON object instead of the table");
  sub->add_option("--save-split", args->save_split,
                  "Write train.csv, test.csv (and validation.csv, revealed.csv) of this run into DIR "
                  "(DIR/seed-N with --seeds)");
  sub->add_flag("--tune", args->tune,
                "Grid-search ALS on a validation split carved from train (lists below form the grid)");
  sub->add_option("--test-fraction", args->test_fraction, "Share of interactions held out")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  sub->add_option("--reveal", args->reveal, "cold-users: interactions revealed per held-out user")
      ->capture_default_str();
  sub->add_option("--factors", args->factors, "ALS latent factors (list with --tune)")->delimiter(',');
  sub->add_option("--regularization", args->regularization, "ALS lambda (list with --tune)")->delimiter(',');
  sub->add_option("--alpha", args->alpha, "Confidence scale a in c = 1 + a*r (list with --tune)")->delimiter(',');
  sub->add_option("--iterations", args->iterations, "ALS sweeps (list with --tune)")->delimiter(',');
  sub->add_option("--reg-exponent", args->reg_exponent,
                  "Frequency-scaled regularisation exponent (list with --tune)")
      ->delimiter(',');
  sub->add_option("--fold-in-regularization", args->fold_in_regularization,
                  "cold-users: lambda of the new users' fold-in (default: the training lambda)");
  sub->add_option("--confidence", args->confidence, "Confidence transform")
      ->check(CLI::IsMember({"linear", "log", "bm25"}));
  sub->add_option("--solver", args->solver, "ALS solver")->check(CLI::IsMember({"cg", "cholesky"}));
  sub->add_option("--cg-steps", args->cg_steps, "CG steps per row solve")->check(CLI::PositiveNumber);
  sub->add_option("--threads", args->threads, "Threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_flag("--quiet", args->quiet, "No progress display");
  reg.Add(sub, [args] { return RunEvaluate(*args); });
}

}  // namespace hybridrec::cli
