// `hybridrec train`: load a dataset, fit the popularity and ALS models on all of it and write a
// model directory (SPEC 8). Thin: flags -> options -> library -> summary.
#include <iostream>

#include "cli/als_flags.h"
#include "cli/commands.h"
#include "collab/als_model.h"
#include "collab/popularity.h"
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
  nlohmann::json extra = {{"timings", {{"als_fit_s", fit_s}, {"als_iteration_s", als.iteration_seconds()}}}};
  if (!als.loss_history().empty()) extra["als_loss"] = als.loss_history();
  if (Status s = SaveTrainedModel(a.out, d, m.by_user, als, pop, extra); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::cout << "trained ALS (" << opts.factors << " factors, " << opts.iterations << " iterations, "
            << AlsSolverName(opts.solver) << ") in " << fit_s << " s; model written to " << a.out << "\n";
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
  reg.Add(sub, [args] { return RunTrain(*args); });
}

}  // namespace hybridrec::cli
