// `hybridrec train`: load a dataset, fit the popularity and ALS models on all of it and write a
// model directory (SPEC 8). Thin: flags -> options -> library -> summary.
#include <iostream>

#include "cli/als_flags.h"
#include "cli/commands.h"
#include "collab/als_model.h"
#include "collab/popularity.h"
#include "content/content_model.h"
#include "core/progress.h"
#include "data/csr_matrix.h"
#include "data/loader.h"
#include "model/trained_model.h"

namespace hybridrec::cli {
namespace {

struct TrainArgs {
  std::string data, out, format = "auto";
  bool quiet = false, loss = false, skip_bad_rows = false;
  AlsFlags als;
  std::string encoder = "auto", minilm_dir, index = "auto";
  bool no_content = false;
  RankerOptions ranker;
};

int RunTrain(TrainArgs& a) {
  if (std::string err = a.als.Finish(); !err.empty()) {
    std::cerr << "error: " << err << "\n";
    return 2;
  }
  LoadOptions lo;
  lo.format = a.format;
  lo.skip_bad_rows = a.skip_bad_rows;
  auto ds = LoadDataset(a.data, lo);
  if (!ds.ok()) {
    std::cerr << "error: " << ds.status().message() << "\n";
    return 1;
  }
  const Dataset& d = *ds;
  if (!a.quiet) {
    std::cerr << "loaded " << d.name << " (" << d.format << "): " << d.num_users() << " users, " << d.num_items()
              << " items, " << d.interactions.size() << " interactions";
    if (d.report.duplicates_merged) std::cerr << ", " << d.report.duplicates_merged << " duplicate rows summed";
    if (d.report.rows_skipped) std::cerr << ", " << d.report.rows_skipped << " bad rows skipped";
    std::cerr << "\n";
  }
  const InteractionMatrix m = BuildInteractionMatrix(d.num_users(), d.num_items(), d.interactions);
  FitInput in{&d, &m, a.quiet};
  PopularityModel pop;
  if (Status s = pop.Fit(in); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  AlsOptions opts = a.als.options;
  opts.quiet = a.quiet;
  opts.compute_loss = a.loss;
  AlsModel als(opts);
  Progress timer("", 0, true);
  if (Status s = als.Fit(in); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  const double fit_s = timer.ElapsedSeconds();

  // Content layer: embed every item's text and index the vectors.
  std::unique_ptr<ContentModel> content;
  double embed_s = 0;
  if (!a.no_content) {
    ContentModelOptions co;
    auto choice = ParseEncoderChoice(a.encoder);
    if (!choice.ok()) {
      std::cerr << "error: " << choice.status().message() << "\n";
      return 2;
    }
    co.encoder.choice = *choice;
    co.encoder.minilm_dir = a.minilm_dir;
    auto kind = ParseIndexKind(a.index);
    if (!kind.ok()) {
      std::cerr << "error: " << kind.status().message() << "\n";
      return 2;
    }
    co.index.kind = *kind;
    std::string message;
    std::unique_ptr<Progress> progress;
    Progress et("", 0, true);
    auto cm = BuildContentModel(d, co, &message, [&](size_t done, size_t total) {
      if (!progress) progress = std::make_unique<Progress>("embedding items", total, a.quiet);
      progress->Update(done);
    });
    if (progress) progress->Finish();
    if (!cm.ok()) {
      std::cerr << "error: " << cm.status().message() << "\n";
      return 1;
    }
    embed_s = et.ElapsedSeconds();
    if (!a.quiet && !message.empty()) std::cerr << message << "\n";
    content = std::make_unique<ContentModel>(std::move(cm).value());
  }
  nlohmann::json extra = {{"timings", {{"als_fit_s", fit_s}, {"als_iteration_s", als.iteration_seconds()},
                                       {"embed_s", embed_s}}}};
  if (!als.loss_history().empty()) extra["als_loss"] = als.loss_history();
  if (Status s = SaveTrainedModel(a.out, d, m.by_user, als, pop, content.get(), a.ranker, extra); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::cout << "trained ALS (" << opts.factors << " factors, " << opts.iterations << " iterations, "
            << AlsSolverName(opts.solver) << ") in " << fit_s << " s";
  if (content)
    std::cout << "; embedded " << content->num_items() << " items with " << content->encoder->name() << " (d="
              << content->dimension() << ", " << content->index->kind() << " index) in " << embed_s << " s";
  std::cout << "; model written to " << a.out << "\n";
  return 0;
}

}  // namespace

void RegisterTrain(CLI::App& app, CommandRegistry& reg) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* sub = app.add_subcommand("train", "Train a model on a dataset and write a model directory");
  sub->add_option("--data", args->data, "dataset directory (ml-100k, MovieLens CSV or generic layout)")->required();
  sub->add_option("--out", args->out, "model directory to write (replaced atomically)")->required();
  sub->add_option("--format", args->format, "auto|ml-100k|movielens-csv|generic")->capture_default_str();
  sub->add_flag("--skip-bad-rows", args->skip_bad_rows, "skip (and count) malformed rows instead of failing");
  sub->add_flag("--loss", args->loss, "compute the training loss after each iteration (one more pass)");
  sub->add_flag("-q,--quiet", args->quiet, "no progress output");
  args->als.Add(sub);
  sub->add_option("--encoder", args->encoder, "item text encoder: auto|minilm|lsa")->capture_default_str();
  sub->add_option("--minilm-dir", args->minilm_dir, "MiniLM model folder (default models/all-MiniLM-L6-v2)");
  sub->add_option("--index", args->index, "vector index: auto|flat|hnsw")->capture_default_str();
  sub->add_flag("--no-content", args->no_content, "collaborative only: skip the content layer");
  sub->add_option("--candidates", args->ranker.candidates, "fusion: top-N candidates from each signal")->capture_default_str();
  sub->add_option("--T", args->ranker.T, "fusion: history size at which the ALS weight reaches w_max")->capture_default_str();
  sub->add_option("--w-max", args->ranker.w_max, "fusion: maximum ALS weight")->capture_default_str();
  sub->add_option("--popularity-mix", args->ranker.popularity_mix, "fusion: popularity blend for short histories")->capture_default_str();
  sub->add_option("--fold-in-regularization", args->ranker.foldin_regularization,
                  "fold-in lambda (< 0: the training lambda)")->capture_default_str();
  reg.Add(sub, [args] { return RunTrain(*args); });
}

}  // namespace hybridrec::cli
