// `hybridrec evaluate`: split a dataset, (optionally) tune ALS and the fusion on a validation split
// carved from train, fit popularity, content, collab and hybrid on train and print their ranking
// metrics on test side by side, optionally writing a report with charts (--report).
// Flags -> PipelineOptions -> RunEvaluationPipeline (eval/pipeline.h) per seed -> table or JSON.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/ranker_flags.h"
#include "collab/als.h"
#include "content/content_model.h"
#include "cli/data_flags.h"
#include "data/dataset_cache.h"
#include "data/loader.h"
#include "eval/evaluator.h"
#include "eval/pipeline.h"
#include <cstdio>

#include "eval/diversity_sweep.h"
#include "eval/report.h"
#include "eval/split.h"
#include "ranking/hybrid_ranker.h"

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
  double cold_guard = kDefaultColdGuard;
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
  bool no_cache = false;
  std::string cache_dir;
  // Content layer.
  std::string encoder = "auto";
  std::string minilm_dir;
  // Fusion: with --tune the options the fusion grid starts from and is compared against.
  RankerOptions ranker;
  std::string report;
  std::string sweep;  // "diversity=0,0.1,..."
};

std::string Short(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
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


// The tables printed after a tuned run, before its test table.
void PrintTuning(const TuningOutcome& t, SplitProtocol protocol, uint64_t seed) {
  const TuneResult& als = t.als_tuning;
  std::cout << "ALS grid search on ";
  if (t.als_protocol == protocol)
    std::cout << "the validation split";
  else
    std::cout << "a " << SplitProtocolName(t.als_protocol) << " validation split of train (warm items)";
  std::cout << ", seed " << seed << " (" << als.validation_users << " users, NDCG@" << als.k << "):\n"
            << als.FormatTable() << "\n";
  const FusionTuneResult& tuned = t.fusion_tuning;
  const RankerOptions& ranker = t.ranker;
  std::cout << "fusion grid on the validation split (" << tuned.trials.size() << " trials, hybrid "
            << tuned.metric_name << "): flags " << Short(tuned.trials[0].metric) << " -> best "
            << Short(tuned.trials[tuned.best].metric) << " with " << RankerOptionsToJson(ranker).dump() << "\n";
  const ColdItemGuard& g = t.cold_guard;
  if (g.raised)
    std::cout << "cold-item guard: the best reached new items at Recall@20 " << Short(g.tuned_recall)
              << " against the untuned model's " << Short(g.reference_recall) << "; fresh-items boost "
              << ranker.fresh.boost << ", content floor " << ranker.fresh.content_floor << " -> "
              << Short(g.saved_recall) << " (" << tuned.metric_name << " " << Short(g.metric_before) << " -> "
              << Short(g.metric_after) << ")\n";
  std::cout << "\n";
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
  const RankerOptions ranker = a.ranker;
  try {
    ranker.Validate();
  } catch (const std::invalid_argument& e) {
    return Fail(e.what(), 2);
  }
  auto encoder_choice = ParseEncoderChoice(a.encoder);
  if (!encoder_choice.ok()) return Fail(encoder_choice.status().message(), 2);
  std::vector<uint64_t> seeds = a.seeds.empty() ? std::vector<uint64_t>{a.seed} : a.seeds;
  std::vector<double> sweep;
  if (!a.sweep.empty()) {
    auto l = ParseDiversitySweep(a.sweep);
    if (!l.ok()) return Fail(l.status().message(), 2);
    sweep = std::move(l).value();
  }

  LoadOptions lo;
  lo.format = a.format;
  lo.quiet = a.quiet;
  DatasetCacheOptions cache;
  cache.enabled = !a.no_cache;
  cache.dir = a.cache_dir;
  auto cached = LoadDatasetCached(a.data, lo, cache);
  if (!cached.ok()) return Fail(cached.status().message());
  if (!a.quiet && !a.json && !cached->note.empty()) std::cerr << cached->note << "\n";
  Dataset* dataset = &cached->dataset;

  // Content does not depend on the split: one ContentModel per dataset serves every seed.
  ContentModelOptions co;
  co.encoder.choice = *encoder_choice;
  if (!a.minilm_dir.empty()) co.encoder.minilm_dir = a.minilm_dir;
  std::string encoder_message;
  auto content = BuildContentModel(*dataset, co, &encoder_message);
  if (!content.ok()) return Fail(content.status().message());
  if (!a.quiet && !a.json && !encoder_message.empty()) std::cerr << encoder_message << "\n";

  PipelineOptions po;
  po.split.protocol = *protocol;
  po.split.test_fraction = a.test_fraction;
  po.split.reveal = a.reveal;
  po.tune = a.tune;
  po.ks = a.ks;
  po.content_encoder = content->encoder ? content->encoder->name() : "";
  po.tuning.als = als;
  po.tuning.ranker = ranker;
  po.tuning.fold_in_regularization = a.ranker.collab.foldin_regularization;
  po.tuning.quiet = a.quiet;
  po.tuning.cold_guard = a.cold_guard;
  if (!a.factors.empty()) po.tuning.als_grid.factors = a.factors;
  if (!a.regularization.empty()) po.tuning.als_grid.regularization = a.regularization;
  if (!a.alpha.empty()) po.tuning.als_grid.alpha = a.alpha;
  if (!a.iterations.empty()) po.tuning.als_grid.iterations = a.iterations;
  if (!a.reg_exponent.empty()) po.tuning.als_grid.reg_exponent = a.reg_exponent;
  std::vector<EvaluationResult> runs;
  std::unique_ptr<PipelineRun> first;
  for (uint64_t seed : seeds) {
    std::string save_dir = a.save_split;
    if (!save_dir.empty() && seeds.size() > 1) save_dir += "/seed-" + std::to_string(seed);
    po.save_split = save_dir;
    auto out = RunEvaluationPipeline(*dataset, content->embeddings, content->dimension(), po, seed);
    if (!out.ok()) return Fail(out.status().message());
    if (!a.json) {
      if (!save_dir.empty()) std::cout << "split written to " << save_dir << "\n";
      if (out->tuning) PrintTuning(*out->tuning, *protocol, seed);
      std::cout << FormatTable(out->result);
      PrintPaired(out->result);
      if (seeds.size() > 1) std::cout << "\n";
    }
    runs.push_back(out->result);
    if (!first) first = std::make_unique<PipelineRun>(std::move(out).value());
  }
  nlohmann::ordered_json summary_json;
  if (runs.size() > 1) {
    auto summary = SummarizeRuns(runs);
    if (!summary.ok()) return Fail(summary.status().message());
    summary_json = *summary;
  }
  // The trade-off curve on the first seed's split, with the options the hybrid was evaluated with.
  nlohmann::ordered_json sweep_json;
  if (!sweep.empty()) {
    HybridRecommenderOptions ho;
    ho.als = first->als;
    ho.ranker = first->ranker;
    ho.threads = first->als.threads;
    auto points = DiversitySweep(*dataset, first->split, content->embeddings, content->dimension(), ho, sweep, a.ks);
    if (!points.ok()) return Fail(points.status().message());
    sweep_json = SweepJson(*points, a.ks);
    if (!a.json) {
      std::cout << "\ndiversity sweep (MMR re-ranking of the hybrid; Dist: intra-list content distance, ILD: "
                   "intra-list genre diversity)\n";
      std::cout << "  lambda";
      for (size_t k : a.ks) std::cout << "   NDCG@" << k << "   Dist@" << k << "    ILD@" << k;
      std::cout << "\n";
      for (const SweepPoint& p : *points) {
        std::printf("  %6.3f", p.lambda);
        for (size_t i = 0; i < p.ndcg.size(); ++i)
          std::printf("  %8.4f  %7.4f  %7.4f", p.ndcg[i], p.content_ild[i], p.ild[i]);
        std::printf("\n");
      }
      std::fflush(stdout);
    }
  }
  if (!a.report.empty()) {
    nlohmann::ordered_json report;
    report["evaluation"] = runs[0].ToJson();
    if (runs.size() > 1) report["summary"] = summary_json;
    report["fusion"] = first->result.params["fusion"];
    report["charts"] = ReportChartData(*dataset, *first, *content);
    if (!sweep_json.is_null()) report["charts"]["diversity_sweep"] = sweep_json;
    ReportOptions ro;
    ro.plot_script = FindPlotScript();
    auto files = WriteReport(a.report, report, ro);
    if (!files.ok()) return Fail(files.status().message());
    if (!files->charts_error.empty()) std::cerr << "warning: charts not drawn: " << files->charts_error << "\n";
    if (!a.json) std::cout << "report written to " << a.report << "/report.md\n";
  }
  if (runs.size() == 1) {
    if (a.json) {
      auto j = runs[0].ToJson();
      if (!sweep_json.is_null()) j["diversity_sweep"] = sweep_json;
      std::cout << j.dump(2) << "\n";
    }
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
  AddDatasetCacheFlags(sub, args->no_cache, args->cache_dir);
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
  sub->add_option("--cold-guard", args->cold_guard,
                  "with --tune: keep at least this share of the untuned model's reach of new items by raising "
                  "the fresh-items boost; 0: off")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
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
  sub->add_option("--sweep", args->sweep,
                  "diversity=L1,L2,...: also evaluate the hybrid re-ranked by MMR at each diversity weight (first "
                  "seed) and print NDCG against intra-list content distance and genre diversity (the report draws the "
                  "curves)");
  sub->add_option("--report", args->report,
                  "Write report.json, report.md and PNG charts (python3-matplotlib) into DIR");
  reg.Add(sub, [args] { return RunEvaluate(*args); });
}

}  // namespace hybridrec::cli
