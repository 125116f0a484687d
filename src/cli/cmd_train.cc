// `hybridrec train`: load a dataset, fit the popularity and ALS models on all of it and write a
// model directory. Flags -> options -> library calls (--tune: eval/pipeline.h) -> summary.
#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <span>

#include "cli/als_flags.h"
#include "cli/commands.h"
#include "cli/ranker_flags.h"
#include "collab/als_model.h"
#include "collab/popularity.h"
#include "content/content_model.h"
#include "core/progress.h"
#include "data/csr_matrix.h"
#include "cli/data_flags.h"
#include "data/dataset_cache.h"
#include "data/loader.h"
#include "index/index_factory.h"
#include "eval/fusion_tune.h"
#include "eval/pipeline.h"
#include "eval/split.h"
#include "eval/train_model.h"
#include "model/trained_model.h"
#include "store/dataset_import.h"
#include "store/event_store.h"

namespace hybridrec::cli {
namespace {

struct TrainArgs {
  std::string data, out, format = "auto";
  bool quiet = false, loss = false, skip_bad_rows = false;
  bool no_cache = false;
  std::string cache_dir;
  AlsFlags als;
  std::string encoder = "auto", minilm_dir, index = "auto";
  std::string collab_index = "auto";
  bool no_content = false;
  RankerOptions ranker;
  // --tune: ALS grid + fusion grid on a validation split carved from the data (the model is then
  // fitted on all of it with the winners, which are stored in the manifest).
  bool tune = false;
  std::string tune_protocol = "random";
  uint64_t tune_seed = 0;
  double cold_guard = kDefaultColdGuard;
  // --events: a service's event store (SQLite path / sqlite:PATH / postgresql:// URL) whose items
  // and events are trained on too.
  std::string events;
};

int RunTrain(TrainArgs& a) {
  if (std::string err = a.als.Finish(); !err.empty()) {
    std::cerr << "error: " << err << "\n";
    return 2;
  }
  try {
    a.ranker.Validate();
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  TrainModelOptions o;
  o.als = a.als.options;
  o.ranker = a.ranker;
  o.content = !a.no_content;
  o.tune = a.tune;
  o.tune_seed = a.tune_seed;
  o.cold_guard = a.cold_guard;
  o.loss = a.loss;
  o.quiet = a.quiet;
  if (!a.no_content) {
    auto choice = ParseEncoderChoice(a.encoder);
    if (!choice.ok()) {
      std::cerr << "error: " << choice.status().message() << "\n";
      return 2;
    }
    o.content_options.encoder.choice = *choice;
    o.content_options.encoder.minilm_dir = a.minilm_dir;
    auto kind = ParseIndexKind(a.index);
    if (!kind.ok()) {
      std::cerr << "error: " << kind.status().message() << "\n";
      return 2;
    }
    o.content_options.index.kind = *kind;
  }
  if (a.collab_index == "none") {
    o.collab_index_off = true;
  } else {
    o.collab_index.kind = *ParseIndexKind(a.collab_index);  // the flag's check allows auto|ivf|hnsw|flat only
  }
  o.collab_index.build_threads = a.als.options.threads;
  if (a.tune) {
    auto protocol = ParseSplitProtocol(a.tune_protocol);
    if (!protocol.ok()) {
      std::cerr << "error: " << protocol.status().message() << "\n";
      return 2;
    }
    o.tune_protocol = *protocol;
  }
  LoadOptions lo;
  lo.format = a.format;
  lo.skip_bad_rows = a.skip_bad_rows;
  lo.quiet = a.quiet;
  DatasetCacheOptions cache;
  cache.enabled = !a.no_cache;
  cache.dir = a.cache_dir;
  const auto load_start = std::chrono::steady_clock::now();
  auto ds = LoadDatasetCached(a.data, lo, cache);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  if (!ds.ok()) {
    std::cerr << "error: " << ds.status().message() << "\n";
    return 1;
  }
  if (!a.quiet && !ds->note.empty()) std::cerr << ds->note << "\n";
  Dataset& d = ds->dataset;
  if (!a.events.empty()) {
    auto st = store::OpenEventStore(a.events);
    if (!st.ok()) {
      std::cerr << "error: --events: " << st.status().message() << "\n";
      return 1;
    }
    store::StoreImport imp;
    if (Status s = store::ImportEventStore(**st, d, imp); !s.ok()) {
      std::cerr << "error: --events: " << s.message() << "\n";
      return 1;
    }
    o.extra_manifest["events"] = {{"store", imp.store},
                                  {"store_id", imp.store_id},
                                  {"last_seq", imp.last_seq},
                                  {"events", imp.events},
                                  {"new_users", imp.new_users},
                                  {"items_added", imp.items_added},
                                  {"events_skipped", imp.events_skipped},
                                  {"events_invalid", imp.events_invalid}};
    if (!a.quiet) {
      std::cerr << "events from " << imp.store << ": " << imp.events << " events up to #" << imp.last_seq << " ("
                << imp.new_users << " new users), " << imp.items_added << " added items";
      if (imp.events_skipped) {
        std::cerr << "; " << imp.events_skipped << " events skipped, their item is unknown (e.g.";
        for (const auto& id : imp.skipped_items) std::cerr << " '" << id << "'";
        std::cerr << ")";
      }
      if (imp.events_invalid) std::cerr << "; " << imp.events_invalid << " events skipped, strength not > 0";
      std::cerr << "\n";
    }
  }
  if (!a.quiet) {
    std::cerr << "loaded " << d.name << " (" << d.format << "): " << d.num_users() << " users, " << d.num_items()
              << " items, " << d.interactions.size() << " interactions";
    if (d.report.duplicates_merged) std::cerr << ", " << d.report.duplicates_merged << " duplicate rows summed";
    if (d.report.rows_skipped) std::cerr << ", " << d.report.rows_skipped << " bad rows skipped";
    std::cerr << " in " << std::fixed << std::setprecision(2) << load_s << " s"
              << (ds->from_cache ? " (from the dataset cache)" : "") << std::defaultfloat << "\n";
  }
  auto trained = TrainModel(std::move(d), o, a.out, a.quiet ? nullptr : &std::cerr);
  if (!trained.ok()) {
    std::cerr << "error: " << trained.status().message() << "\n";
    return 1;
  }
  const AlsOptions& opts = trained->als;
  std::cout << "trained ALS (" << opts.factors << " factors, " << opts.iterations << " iterations, "
            << AlsSolverName(opts.solver) << ") in " << trained->fit_s << " s";
  if (!trained->content_description.empty())
    std::cout << "; " << trained->content_description << " in " << trained->embed_s << " s";
  if (!trained->collab_index_description.empty())
    std::cout << "; " << trained->collab_index_description << " in " << trained->collab_index_s << " s";
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
  AddDatasetCacheFlags(sub, args->no_cache, args->cache_dir);
  sub->add_option("--events", args->events,
                  "also train on what a service collected: its event store (the --db of `serve`: a SQLite file, "
                  "sqlite:PATH or a postgresql:// URL); the model records the last event it includes, so a "
                  "service on that store replays only later ones");
  sub->add_flag("--loss", args->loss, "compute the training loss after each iteration (one more pass)");
  sub->add_flag("-q,--quiet", args->quiet, "no progress output");
  args->als.Add(sub);
  sub->add_option("--encoder", args->encoder, "item text encoder: auto|minilm|lsa")->capture_default_str();
  sub->add_option("--minilm-dir", args->minilm_dir, "MiniLM model folder (default models/all-MiniLM-L6-v2)");
  sub->add_option("--index", args->index, "vector index: auto|flat|hnsw")->capture_default_str();
  sub->add_option("--collab-index", args->collab_index,
                  "index over the item factors for the collaborative candidates of large catalogues: auto (IVF "
                  "from 50,000 trained items) | ivf | hnsw | flat | none")
      ->check(CLI::IsMember({"auto", "ivf", "hnsw", "flat", "none"}))
      ->capture_default_str();
  sub->add_flag("--no-content", args->no_content, "collaborative only: skip the content layer");
  AddRankerFlags(sub, args->ranker, "Hybrid fusion (start of the grid with --tune)");
  sub->add_flag("--tune", args->tune,
                "tune ALS and the fusion (N, T, w_max, popularity blend, fold-in lambda, cold-item map, recent "
                "items) on a "
                "validation split carved from the data, then train on all of it; the winners go to the manifest");
  sub->add_option("--tune-protocol", args->tune_protocol,
                  "protocol of the tuning split: random|global-random|temporal|cold-items|cold-users")
      ->check(CLI::IsMember({"random", "global-random", "temporal", "cold-items", "cold-users"}))
      ->capture_default_str();
  sub->add_option("--tune-seed", args->tune_seed, "seed of the tuning split")->capture_default_str();
  sub->add_option("--cold-guard", args->cold_guard,
                  "tuning keeps at least this share of the untuned model's reach of new items (cold-items "
                  "validation Recall@20) by raising the fresh-items boost; 0: off")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  reg.Add(sub, [args] { return RunTrain(*args); });
}

}  // namespace hybridrec::cli
