// `hybridrec evaluate`: split a dataset, (optionally) tune ALS and the fusion on a validation split
// carved from train, fit popularity, content, collab and hybrid on train and print their ranking
// metrics on test side by side (SPEC 6), optionally writing a report with charts (--report).
// Thin: flags -> options structs -> eval/ library calls -> table or JSON.
#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/ranker_flags.h"
#include "collab/als.h"
#include "collab/als_model.h"
#include "collab/popularity.h"
#include "content/content_model.h"
#include "core/pca.h"
#include "core/progress.h"
#include "data/loader.h"
#include "eval/evaluator.h"
#include "eval/fusion_tune.h"
#include "eval/history_scorers.h"
#include "eval/report.h"
#include "eval/split.h"
#include "eval/tune.h"
#include "model/trained_model.h"
#include "ranking/fusion_kernels.h"
#include "ranking/recommenders.h"

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
  int threads = 0;
  bool quiet = false;
  // Content layer.
  std::string encoder = "auto";
  std::string minilm_dir;
  // Fusion: with --tune the options the fusion grid starts from and is compared against.
  RankerOptions ranker;
  std::string report;
};

// The fusion options as the model manifest writes them (one list of fields for both).
nlohmann::ordered_json RankerToJson(const RankerOptions& r) {
  return nlohmann::ordered_json::parse(RankerOptionsToJson(r).dump());
}

std::string Short(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
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
struct RunOutput {
  EvaluationResult result;
  RankerOptions ranker;  // the fusion options used on test
  AlsOptions als;        // the ALS options used on test
  Split split;
};

Result<RunOutput> RunOnce(const Dataset& dataset, const EvaluateArgs& a, const SplitOptions& base_split,
                          AlsOptions als, const RankerOptions& base_ranker, const ContentModel& content,
                          uint64_t seed, const std::string& save_dir) {
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
    to.fold_in_regularization = a.ranker.collab.foldin_regularization;
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
  RankerOptions ranker = base_ranker;
  nlohmann::ordered_json fusion_tuning;
  if (a.tune) {
    FusionTuneOptions fo;
    fo.base = ranker;
    fo.grid = DefaultFusionGrid(so.protocol, ranker);
    fo.als = als;
    fo.threads = a.threads;
    fo.quiet = a.quiet || a.json;
    // cold-users validates on 10% of the users only: pool five validation folds (with three the
    // picks of the co-occurrence weight and beta changed from seed to seed; with five they agree).
    fo.folds = so.protocol == SplitProtocol::kColdUsers ? 5 : 1;
    HR_ASSIGN_OR_RETURN(FusionTuneResult tuned, TuneFusion(dataset, split, content.embeddings, content.dimension(), fo));
    ranker = tuned.best_options();
    fusion_tuning = tuned.ToJson();
    if (!a.json) {
      std::cout << "fusion grid on the validation split (" << tuned.trials.size() << " trials, hybrid "
                << tuned.metric_name << "): flags " << Short(tuned.trials[0].metric) << " -> best "
                << Short(tuned.trials[tuned.best].metric) << " with " << RankerOptionsToJson(ranker).dump() << "\n\n";
    }
  }
  AlsModel collab(als);  // options validated before the run
  PopularityModel popularity;
  ContentRecommender content_model(content.embeddings, content.dimension(), als.confidence);
  HybridRecommenderOptions ho;
  ho.als = als;  // the same ALS options as collab
  ho.ranker = ranker;
  ho.threads = a.threads;
  HybridRecommender hybrid(content.embeddings, content.dimension(), ho);
  // Histories revealed by cold-users are scored by fold-in (the models never saw those users).
  const std::vector<EvalModel> models = {{&popularity, PopularityHistoryScorer(popularity)},
                                         {&content_model, PairHistoryScorer(content_model)},
                                         {&collab, AlsFoldInScorer(collab, a.ranker.collab.foldin_regularization)},
                                         {&hybrid, PairHistoryScorer(hybrid)}};
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
        a.ranker.collab.foldin_regularization < 0 ? als.regularization : a.ranker.collab.foldin_regularization;
  }
  result.params["content"] = {{"encoder", content.encoder ? content.encoder->name() : ""},
                              {"dimension", content.dimension()}};
  result.params["fusion"] = RankerToJson(ranker);
  if (a.tune) {
    result.params["tuning"] = tuning;
    result.params["fusion_tuning"] = fusion_tuning;
  }
  RunOutput out{std::move(result), ranker, als, std::move(split)};
  return out;
}

// tools/plot_report.py: $HYBRIDREC_PLOT_SCRIPT, else next to the source tree the binary was built
// in (build dirs sit in the repository root), else ./tools/plot_report.py.
std::filesystem::path FindPlotScript() {
  if (const char* env = std::getenv("HYBRIDREC_PLOT_SCRIPT"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      auto candidate = dir / "tools" / "plot_report.py";
      if (std::filesystem::exists(candidate, ec)) return candidate;
    }
  }
  return std::filesystem::path("tools") / "plot_report.py";
}

// The "paired" lines of the terminal output: hybrid against collab and content, NDCG@10.
void PrintPaired(const EvaluationResult& r) {
  auto k10 = std::find(r.ks.begin(), r.ks.end(), size_t{10});
  if (k10 == r.ks.end()) return;
  const size_t ki = static_cast<size_t>(k10 - r.ks.begin());
  const auto h = r.model("hybrid").PerUser(ki, MetricKind::kNdcg);
  for (const char* other : {"collab", "content"}) {
    const auto o = r.model(other).PerUser(ki, MetricKind::kNdcg);
    PairedStat d = PairedDifference(h, o);
    std::cout << "hybrid - " << other << " NDCG@10 (paired over " << d.n << " users): " << (d.mean >= 0 ? "+" : "")
              << Short(d.mean) << " +/- " << Short(d.stderr_) << "\n";
  }
}

// Data of the report's charts: adaptive weight curve, item-embedding PCA, ALS loss by iteration.
nlohmann::ordered_json ChartData(const Dataset& dataset, const RunOutput& run, const ContentModel& content) {
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
  RankerOptions ranker = a.ranker;
  try {
    ranker.Validate();
  } catch (const std::invalid_argument& e) {
    return Fail(e.what(), 2);
  }
  auto encoder_choice = ParseEncoderChoice(a.encoder);
  if (!encoder_choice.ok()) return Fail(encoder_choice.status().message(), 2);
  std::vector<uint64_t> seeds = a.seeds.empty() ? std::vector<uint64_t>{a.seed} : a.seeds;

  LoadOptions lo;
  lo.format = a.format;
  auto dataset = LoadDataset(a.data, lo);
  if (!dataset.ok()) return Fail(dataset.status().message());

  // Content does not depend on the split: one ContentModel per dataset serves every seed.
  ContentModelOptions co;
  co.encoder.choice = *encoder_choice;
  if (!a.minilm_dir.empty()) co.encoder.minilm_dir = a.minilm_dir;
  std::string encoder_message;
  auto content = BuildContentModel(*dataset, co, &encoder_message);
  if (!content.ok()) return Fail(content.status().message());
  if (!a.quiet && !a.json && !encoder_message.empty()) std::cerr << encoder_message << "\n";

  SplitOptions so;
  so.protocol = *protocol;
  so.test_fraction = a.test_fraction;
  so.reveal = a.reveal;
  so.validation = a.tune;
  std::vector<EvaluationResult> runs;
  std::unique_ptr<RunOutput> first;
  for (uint64_t seed : seeds) {
    std::string save_dir = a.save_split;
    if (!save_dir.empty() && seeds.size() > 1) save_dir += "/seed-" + std::to_string(seed);
    auto out = RunOnce(*dataset, a, so, als, ranker, *content, seed, save_dir);
    if (!out.ok()) return Fail(out.status().message());
    if (!a.json) {
      std::cout << FormatTable(out->result);
      PrintPaired(out->result);
      if (seeds.size() > 1) std::cout << "\n";
    }
    runs.push_back(out->result);
    if (!first) first = std::make_unique<RunOutput>(std::move(out).value());
  }
  nlohmann::ordered_json summary_json;
  if (runs.size() > 1) {
    auto summary = SummarizeRuns(runs);
    if (!summary.ok()) return Fail(summary.status().message());
    summary_json = *summary;
  }
  if (!a.report.empty()) {
    nlohmann::ordered_json report;
    report["evaluation"] = runs[0].ToJson();
    if (runs.size() > 1) report["summary"] = summary_json;
    report["fusion"] = RankerToJson(first->ranker);
    report["charts"] = ChartData(*dataset, *first, *content);
    ReportOptions ro;
    ro.plot_script = FindPlotScript();
    auto files = WriteReport(a.report, report, ro);
    if (!files.ok()) return Fail(files.status().message());
    if (!files->charts_error.empty()) std::cerr << "warning: charts not drawn: " << files->charts_error << "\n";
    if (!a.json) std::cout << "report written to " << a.report << "/report.md\n";
  }
  if (runs.size() == 1) {
    if (a.json) std::cout << runs[0].ToJson().dump(2) << "\n";
    return 0;
  }
  if (a.json) {
    nlohmann::ordered_json out;
    out["summary"] = summary_json;
    out["runs"] = nlohmann::ordered_json::array();
    for (const auto& r : runs) out["runs"].push_back(r.ToJson());
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << FormatRunsTable(summary_json);
  }
  return 0;
}

}  // namespace

void RegisterEvaluate(CLI::App& app, CommandRegistry& reg) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* sub = app.add_subcommand(
      "evaluate",
      "Split a dataset, fit popularity, content, collab (ALS) and hybrid on train, report ranking metrics on test");
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
  sub->add_option("--confidence", args->confidence, "Confidence transform")
      ->check(CLI::IsMember({"linear", "log", "bm25"}));
  sub->add_option("--solver", args->solver, "ALS solver")->check(CLI::IsMember({"cg", "cholesky"}));
  sub->add_option("--cg-steps", args->cg_steps, "CG steps per row solve")->check(CLI::PositiveNumber);
  sub->add_option("--threads", args->threads, "Threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_flag("--quiet", args->quiet, "No progress display");
  sub->add_option("--encoder", args->encoder, "Text encoder of the content model")
      ->check(CLI::IsMember({"auto", "lsa", "minilm"}))
      ->capture_default_str();
  sub->add_option("--minilm-dir", args->minilm_dir, "MiniLM model folder (default: the fetched model)");
  AddRankerFlags(sub, args->ranker, "Hybrid fusion (start of the grid with --tune)");
  sub->add_option("--report", args->report,
                  "Write report.json, report.md and PNG charts (python3-matplotlib) into DIR");
  reg.Add(sub, [args] { return RunEvaluate(*args); });
}

}  // namespace hybridrec::cli
