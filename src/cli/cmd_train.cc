// `hybridrec train`: load a dataset, fit the popularity and ALS models on all of it and write a
// model directory. Flags -> options -> library calls (--tune: eval/pipeline.h) -> summary.
#include <algorithm>
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
#include "data/loader.h"
#include "index/index_factory.h"
#include "eval/fusion_tune.h"
#include "eval/pipeline.h"
#include "eval/split.h"
#include "model/trained_model.h"
#include "store/dataset_import.h"
#include "store/event_store.h"

namespace hybridrec::cli {
namespace {

struct TrainArgs {
  std::string data, out, format = "auto";
  bool quiet = false, loss = false, skip_bad_rows = false;
  AlsFlags als;
  std::string encoder = "auto", minilm_dir, index = "auto";
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

// --tune: the tuning sequence of `evaluate` (eval/pipeline.h TuneOnSplit) on a validation split
// of `protocol` carved from the whole dataset; writes the winners into `als` / `ranker` and a
// summary into `out`.
Status TuneForTraining(const Dataset& d, SplitProtocol protocol, const TrainArgs& a, const ContentModel* content,
                       AlsOptions& als, RankerOptions& ranker, nlohmann::json& out) {
  SplitOptions so;
  so.protocol = protocol;
  so.seed = a.tune_seed;
  HR_ASSIGN_OR_RETURN(Split split, MakeTuningSplit(d, so));
  TuningOptions to;
  to.als = als;
  to.ranker = ranker;
  to.fold_in_regularization = ranker.collab.foldin_regularization;
  to.quiet = a.quiet;
  to.cold_guard = a.cold_guard;
  std::span<const float> emb;
  int dim = 0;
  if (content != nullptr) {
    emb = content->embeddings;
    dim = content->dimension();
  }
  HR_ASSIGN_OR_RETURN(TuningOutcome tuned, TuneOnSplit(d, split, emb, dim, to));
  als = tuned.als;
  ranker = tuned.ranker;
  const TuneResult& at = tuned.als_tuning;
  const FusionTuneResult& fused = tuned.fusion_tuning;
  out = {{"protocol", SplitProtocolName(protocol)},
         {"seed", a.tune_seed},
         {"validation_interactions", split.validation.size()},
         {"als", nlohmann::json::parse(tuned.AlsTuningJson(protocol).dump())},
         {"fusion", nlohmann::json::parse(fused.ToJson().dump())}};
  out["als"].erase("trials");
  if (tuned.cold_guard.ran) out["cold_guard"] = nlohmann::json::parse(tuned.cold_guard.ToJson().dump());
  // How the saved options reach items without interactions, whatever the tuning protocol.
  HR_ASSIGN_OR_RETURN(const double cold_recall, ColdItemsValidationRecall(d, emb, dim, als, ranker, a.tune_seed));
  out["cold_items_recall@20"] = cold_recall;
  if (!a.quiet) {
    std::cerr << "tuned on a " << SplitProtocolName(protocol) << " validation split: ALS";
    if (tuned.als_protocol != protocol) std::cerr << " (on a " << SplitProtocolName(tuned.als_protocol) << " split)";
    std::cerr << " " << als.factors << " factors, lambda " << als.regularization << " (nu " << als.reg_exponent
              << "), alpha " << als.confidence.alpha << " -> NDCG@10 " << at.trials[at.best_index].ndcg
              << "; fusion " << RankerOptionsToJson(ranker).dump() << " -> " << fused.metric_name << " "
              << fused.trials[fused.best].metric << " (base " << fused.trials[0].metric
              << "); cold-items Recall@20 of these options " << cold_recall << "\n";
    const ColdItemGuard& g = tuned.cold_guard;
    if (g.raised)
      std::cerr << "cold-item guard: the winner reached new items at Recall@20 " << g.tuned_recall
                << " against the untuned model's " << g.reference_recall << "; fresh-items boost "
                << ranker.fresh.boost << ", content floor " << ranker.fresh.content_floor << " -> "
                << g.saved_recall << " (" << fused.metric_name << " " << g.metric_before << " -> " << g.metric_after
                << ")\n";
  }
  return Status::Ok();
}

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
  LoadOptions lo;
  lo.format = a.format;
  lo.skip_bad_rows = a.skip_bad_rows;
  auto ds = LoadDataset(a.data, lo);
  if (!ds.ok()) {
    std::cerr << "error: " << ds.status().message() << "\n";
    return 1;
  }
  Dataset& d = *ds;
  nlohmann::json events_manifest;
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
    events_manifest = {{"store", imp.store},           {"store_id", imp.store_id},
                       {"last_seq", imp.last_seq},     {"events", imp.events},
                       {"new_users", imp.new_users},   {"items_added", imp.items_added},
                       {"events_skipped", imp.events_skipped}, {"events_invalid", imp.events_invalid}};
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
    std::cerr << "\n";
  }

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
  const InteractionMatrix m = BuildInteractionMatrix(d.num_users(), d.num_items(), d.interactions);
  FitInput in{&d, &m, a.quiet};
  AlsOptions opts = a.als.options;
  RankerOptions ranker = a.ranker;
  nlohmann::json tuning;
  if (a.tune) {
    auto protocol = ParseSplitProtocol(a.tune_protocol);
    if (!protocol.ok()) {
      std::cerr << "error: " << protocol.status().message() << "\n";
      return 2;
    }
    Progress tt("", 0, true);
    if (Status s = TuneForTraining(d, *protocol, a, content.get(), opts, ranker, tuning); !s.ok()) {
      std::cerr << "error: tuning: " << s.message() << "\n";
      return 1;
    }
    tuning["seconds"] = tt.ElapsedSeconds();
  }
  // Popularity: plain counts, or time-decayed when the (tuned) ranker asks for it; the ranker
  // then reads the decayed vector from popularity.npy (a floor keeps trained items > 0, which
  // is how a loaded model tells items with training interactions).
  PopularityModel counts;
  if (Status s = counts.Fit(in); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::vector<float> pop_scores(counts.item_scores().begin(), counts.item_scores().end());
  if (ranker.popularity.half_life_days > 0.f && d.has_timestamps) {
    pop_scores = DecayedPopularity(d, m, ranker.popularity.half_life_days);
    for (size_t i = 0; i < pop_scores.size(); ++i)
      if (counts.item_scores()[i] > 0.f) pop_scores[i] = std::max(pop_scores[i], 1e-30f);
  }
  PopularityModel pop(std::move(pop_scores));
  opts.quiet = a.quiet;
  opts.compute_loss = a.loss;
  AlsModel als(opts);
  Progress timer("", 0, true);
  if (Status s = als.Fit(in); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  const double fit_s = timer.ElapsedSeconds();
  nlohmann::json extra = {{"timings", {{"als_fit_s", fit_s}, {"als_iteration_s", als.iteration_seconds()},
                                       {"embed_s", embed_s}}}};
  if (!als.loss_history().empty()) extra["als_loss"] = als.loss_history();
  extra["params"]["popularity"] = {{"kind", ranker.popularity.half_life_days > 0.f && d.has_timestamps
                                                ? "time-decayed distinct users"
                                                : "distinct users"},
                                   {"half_life_days", ranker.popularity.half_life_days}};
  if (a.tune) extra["tuning"] = tuning;
  if (!events_manifest.is_null()) extra["events"] = events_manifest;
  if (Status s = SaveTrainedModel(a.out, d, m.by_user, als, pop, content.get(), ranker, extra); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::cout << "trained ALS (" << opts.factors << " factors, " << opts.iterations << " iterations, "
            << AlsSolverName(opts.solver) << ") in " << fit_s << " s";
  if (content)
    std::cout << "; embedded " << content->num_items() << " items with " << content->encoder->name() << " (d="
              << content->dimension() << ", index " << DescribeIndex(*content->index) << ") in " << embed_s << " s";
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
