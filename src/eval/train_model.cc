#include "eval/train_model.h"

#include <algorithm>
#include <memory>
#include <span>
#include <sstream>
#include <vector>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "core/progress.h"
#include "data/csr_matrix.h"
#include "eval/fusion_tune.h"
#include "eval/tune.h"
#include "index/index_factory.h"
#include "index/mips.h"
#include "model/trained_model.h"

namespace hybridrec {
namespace {

// --tune: the tuning sequence of `evaluate` (eval/pipeline.h TuneOnSplit) on a validation split
// of `protocol` carved from the whole dataset; writes the winners into `als` / `ranker` and a
// summary into `out`.
Status Tune(const Dataset& d, SplitProtocol protocol, const TrainModelOptions& a, const ContentModel* content,
            std::ostream* log, AlsOptions& als, RankerOptions& ranker, nlohmann::json& out) {
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
  if (log != nullptr) {
    std::ostream& err = *log;
    err << "tuned on a " << SplitProtocolName(protocol) << " validation split: ALS";
    if (tuned.als_protocol != protocol) err << " (on a " << SplitProtocolName(tuned.als_protocol) << " split)";
    err << " " << als.factors << " factors, lambda " << als.regularization << " (nu " << als.reg_exponent
           << "), alpha " << als.confidence.alpha << " -> NDCG@10 " << at.trials[at.best_index].ndcg
           << "; fusion " << RankerOptionsToJson(ranker).dump() << " -> " << fused.metric_name << " "
           << fused.trials[fused.best].metric << " (base " << fused.trials[0].metric
           << "); cold-items Recall@20 of these options " << cold_recall << "\n";
    const ColdItemGuard& g = tuned.cold_guard;
    if (g.raised)
      err << "cold-item guard: the winner reached new items at Recall@20 " << g.tuned_recall
             << " against the untuned model's " << g.reference_recall << "; fresh-items boost "
             << ranker.fresh.boost << ", content floor " << ranker.fresh.content_floor << " -> "
             << g.saved_recall << " (" << fused.metric_name << " " << g.metric_before << " -> " << g.metric_after
             << ")\n";
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<VectorIndex>> BuildCollabIndex(const IndexOptions& options, const AlsModel& als,
                                                      std::span<const float> popularity, const CsrMatrix& history) {
  if (options.kind == IndexKind::kBrute) return std::unique_ptr<VectorIndex>();
  std::vector<uint32_t> rows;
  for (uint32_t i = 0; i < als.num_items() && i < popularity.size(); ++i)
    if (popularity[i] > 0.f) rows.push_back(i);
  if (rows.empty()) return std::unique_ptr<VectorIndex>();
  IndexOptions io = options;
  if (io.kind == IndexKind::kAuto) {
    if (static_cast<int64_t>(rows.size()) < io.hnsw_threshold) return std::unique_ptr<VectorIndex>();
    io.kind = IndexKind::kIvf;
  }
  const size_t k = static_cast<size_t>(als.factors());
  std::vector<uint32_t> active;
  for (uint32_t u = 0; u < history.rows && u < als.num_users(); ++u)
    if (history.indptr[u + 1] > history.indptr[u]) active.push_back(u);
  const size_t nq = std::min<size_t>(active.size(), static_cast<size_t>(std::max(0, io.hnsw.calibration_queries)));
  std::vector<float> queries(nq * k);
  const auto x = als.user_factors();
  for (size_t q = 0; q < nq; ++q) {
    const size_t u = active[q * active.size() / nq];
    std::copy_n(x.data() + u * k, k, queries.data() + q * k);
  }
  return BuildMipsIndex(io, k, als.item_factors(), rows, queries);
}

namespace {

// `release` (may be null) is d's own interaction list, freed once the matrices, the tuning and
// the saved model's record of the data no longer need it.
Result<TrainModelSummary> TrainModelImpl(const Dataset& d, std::vector<Interaction>* release,
                                         const TrainModelOptions& a, const std::filesystem::path& out,
                                         std::ostream* log) {
  TrainModelSummary summary;
  // Content layer: embed every item's text and index the vectors.
  std::unique_ptr<ContentModel> content;
  if (a.content) {
    std::unique_ptr<Progress> progress;
    Progress et("", 0, true);
    ContentModelOptions content_options = a.content_options;
    content_options.index.quiet = a.quiet;
    auto cm = BuildContentModel(d, content_options, &summary.encoder_message, [&](size_t done, size_t total) {
      if (!progress) progress = std::make_unique<Progress>("embedding items", total, a.quiet);
      progress->Update(done);
    });
    if (progress) progress->Finish();
    if (!cm.ok()) return cm.status();
    summary.embed_s = et.ElapsedSeconds();
    if (log != nullptr && !summary.encoder_message.empty()) *log << summary.encoder_message << "\n";
    content = std::make_unique<ContentModel>(std::move(cm).value());
  }
  // The user x item matrix, then everything the saved model needs from the interaction list, so
  // that the list (on the netflix shape 2.4 GB, more than both matrices) can go before the
  // transpose is built; tuning splits the list, so with --tune it goes after tuning.
  InteractionMatrix m;
  m.by_user = BuildUserMatrix(d.num_users(), d.num_items(), d.interactions);
  const DatasetRecord record = RecordDataset(d, m.by_user);
  if (release != nullptr && !a.tune) std::vector<Interaction>().swap(*release);
  m.by_item = m.by_user.Transposed();
  FitInput in{&d, &m, a.quiet};
  AlsOptions opts = a.als;
  RankerOptions ranker = a.ranker;
  nlohmann::json tuning;
  if (a.tune) {
    Progress tt("", 0, true);
    if (Status s = Tune(d, a.tune_protocol, a, content.get(), log, opts, ranker, tuning); !s.ok())
      return s.WithContext("tuning");
    tuning["seconds"] = tt.ElapsedSeconds();
  }
  // Popularity: plain counts, or time-decayed when the (tuned) ranker asks for it; the ranker
  // then reads the decayed vector from popularity.npy (a floor keeps trained items > 0, which
  // is how a loaded model tells items with training interactions).
  PopularityModel counts;
  HR_RETURN_IF_ERROR(counts.Fit(in));
  if (release != nullptr) std::vector<Interaction>().swap(*release);
  std::vector<float> pop_scores(counts.item_scores().begin(), counts.item_scores().end());
  if (ranker.popularity.half_life_days > 0.f && d.has_timestamps) {
    pop_scores = DecayedPopularity(m.by_user, record.entry_timestamps, ranker.popularity.half_life_days);
    for (size_t i = 0; i < pop_scores.size(); ++i)
      if (counts.item_scores()[i] > 0.f) pop_scores[i] = std::max(pop_scores[i], 1e-30f);
  }
  PopularityModel pop(std::move(pop_scores));
  opts.quiet = a.quiet;
  opts.compute_loss = a.loss;
  if (a.fitted_als != nullptr) {
    if (a.tune) return Status::InvalidArgument("TrainModel: tuning needs the ALS fit here; pass no fitted model");
    if (a.fitted_als->num_users() != d.num_users() || a.fitted_als->num_items() != d.num_items())
      return Status::InvalidArgument("TrainModel: the fitted ALS model's users/items do not match the dataset");
    opts = a.fitted_als->options();
  }
  AlsModel als = a.fitted_als != nullptr ? *a.fitted_als : AlsModel(opts);
  Progress timer("", 0, true);
  if (a.fitted_als == nullptr) HR_RETURN_IF_ERROR(als.Fit(in));
  summary.fit_s = timer.ElapsedSeconds();
  Progress index_timer("", 0, true);
  std::unique_ptr<VectorIndex> collab_index;
  if (!a.collab_index_off) {
    IndexOptions io = a.collab_index;
    io.quiet = a.quiet;
    HR_ASSIGN_OR_RETURN(collab_index, BuildCollabIndex(io, als, counts.item_scores(), m.by_user));
  }
  summary.collab_index_s = index_timer.ElapsedSeconds();
  if (collab_index) {
    std::ostringstream s;
    s << "collaborative index over " << collab_index->size() << " item factors: " << DescribeIndex(*collab_index);
    summary.collab_index_description = s.str();
  }
  nlohmann::json extra = {{"timings", {{"als_fit_s", summary.fit_s}, {"als_iteration_s", als.iteration_seconds()},
                                       {"embed_s", summary.embed_s}}}};
  if (collab_index) extra["timings"]["collab_index_s"] = summary.collab_index_s;
  if (!als.loss_history().empty()) extra["als_loss"] = als.loss_history();
  extra["params"]["popularity"] = {{"kind", ranker.popularity.half_life_days > 0.f && d.has_timestamps
                                                ? "time-decayed distinct users"
                                                : "distinct users"},
                                   {"half_life_days", ranker.popularity.half_life_days}};
  if (a.tune) extra["tuning"] = tuning;
  for (const auto& [key, value] : a.extra_manifest.items()) extra[key] = value;
  HR_RETURN_IF_ERROR(
      SaveTrainedModel(out, d, record, m.by_user, als, pop, content.get(), ranker, extra, collab_index.get()));
  if (content) {
    std::ostringstream s;
    s << "embedded " << content->num_items() << " items with " << content->encoder->name() << " (d="
      << content->dimension() << ", index " << DescribeIndex(*content->index) << ")";
    summary.content_description = s.str();
  }
  summary.als = opts;
  summary.ranker = ranker;
  summary.tuning = std::move(tuning);
  return summary;
}

}  // namespace

Result<TrainModelSummary> TrainModel(const Dataset& dataset, const TrainModelOptions& options,
                                     const std::filesystem::path& out, std::ostream* log) {
  return TrainModelImpl(dataset, nullptr, options, out, log);
}

Result<TrainModelSummary> TrainModel(Dataset&& dataset, const TrainModelOptions& options,
                                     const std::filesystem::path& out, std::ostream* log) {
  return TrainModelImpl(dataset, &dataset.interactions, options, out, log);
}

}  // namespace hybridrec
