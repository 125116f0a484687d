// Offline evaluation harness: fits named Recommenders on a split's train part and
// measures top-K ranking quality on its test part, side by side.
//
// For every user with at least one test item (others are skipped and counted), each model
// scores all items (Recommender::ScoreUsers in batches), the user's train items are masked to
// -inf, the stable top-k (core/topk.h) picks the list and eval/metrics.h scores it. Means are
// taken over evaluated users; per-user values are kept (same user order for every model) so
// paired differences between models get a standard error (PairedDifference).
//
// Deterministic: users are processed in ascending id order, each user's metrics depend only on
// that user's scores, and means are summed sequentially, so the result does not depend on the
// thread count (given models whose scores do not).
// Thread-safety: the functions are reentrant; models are Fit from the calling thread and then
// scored from up to EvalOptions::threads threads (Recommender's const methods are thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/csr_matrix.h"
#include "data/dataset.h"
#include "data/recommender.h"
#include "eval/metrics.h"
#include "eval/split.h"
#include "ranking/item_filter.h"

namespace hybridrec {

struct EvalOptions {
  std::vector<size_t> ks = {10, 20};  // cut-offs; each > 0
  int threads = 0;                    // scoring threads; 0 = all hardware threads
  size_t batch_users = 256;           // users per ScoreUsers call (capped so a batch's score
                                      // buffer stays under ~64 MiB on large catalogues)
  bool quiet = true;                  // passed to Recommender::Fit (progress display)
  // Beyond-accuracy metrics (intra-list diversity, novelty, calibration KL) over these item
  // categories; null: not computed. EvaluateModels sets it to the dataset's genres.
  const ItemCategories* categories = nullptr;
  // The items' L2-normalised content embeddings (num_items rows of embedding_dim floats): when
  // set, the content intra-list distance (metrics.h) is computed too; empty: not computed.
  std::span<const float> embeddings;
  int embedding_dim = 0;
};

// Scores every item (scores.size() == num_items) for a user known only by a revealed history
// of (item, raw strength) pairs, e.g. by ALS fold-in. Must be thread-safe after Fit.
using HistoryScoreFn = std::function<void(std::span<const uint32_t> items, std::span<const float> strengths,
                                          std::span<float> scores)>;

// A model to evaluate. score_history is needed only for protocols with revealed histories
// (cold-users); eval/history_scorers.h builds it for the stock models.
struct EvalModel {
  Recommender* model = nullptr;
  HistoryScoreFn score_history;
};

enum class MetricKind { kPrecision, kRecall, kNdcg, kAp, kHitRate };

// Means over evaluated users at one K (MAP = mean AP; coverage is catalogue coverage of the
// union of all evaluated users' top-K lists).
struct MetricsAtK {
  size_t k = 0;
  double precision = 0, recall = 0, ndcg = 0, map = 0, hit_rate = 0, coverage = 0;
  // Beyond accuracy (when EvalOptions::categories is set; metrics.h): means over evaluated users
  // of intra-list diversity over genres and novelty, and of the calibration KL(p || q~) of the
  // list to the user's genre mix (ranking/rerank.h) over the users with a mix (their history has
  // genres).
  bool beyond_accuracy = false;
  double ild = 0, novelty = 0, calibration_kl = 0;
  size_t calibration_users = 0;
  // With EvalOptions::embeddings: the mean over evaluated users of the content intra-list
  // distance (mean pairwise cosine distance of the list's content embeddings).
  bool content_diversity = false;
  double content_ild = 0;
};

struct ModelEvaluation {
  std::string name;
  double fit_seconds = 0;   // 0 when the model was evaluated already fitted
  double eval_seconds = 0;  // scoring + ranking + metrics
  std::vector<MetricsAtK> at_k;                  // parallel to EvalOptions::ks
  std::vector<std::vector<UserMetrics>> per_user;  // [k index][evaluated user index]

  // Per-user values of one metric at ks[k_index], in EvaluationResult::users order.
  std::vector<double> PerUser(size_t k_index, MetricKind metric) const;
};

struct EvaluationResult {
  std::string dataset;
  std::string protocol;
  uint64_t seed = 0;
  std::vector<size_t> ks;
  std::vector<uint32_t> users;   // evaluated users (internal ids), ascending
  size_t users_skipped = 0;      // users of the dataset with no test items
  std::vector<ModelEvaluation> models;
  nlohmann::ordered_json params = nlohmann::ordered_json::object();  // caller-filled hyper-parameters

  size_t users_evaluated() const { return users.size(); }
  // REQUIRES: a model with that name exists (throws std::invalid_argument otherwise).
  const ModelEvaluation& model(const std::string& name) const;

  // The `evaluate --json` object:
  // {"dataset","protocol","seed","k":[..],"users_evaluated","users_skipped",
  //  "models":{name:{"precision@K","recall@K","ndcg@K","map@K","hit_rate@K","coverage@K",...}},
  //  "beyond_accuracy":{name:{"ild@K","novelty@K","calibration_kl@K"}  (with categories),
  //                         "content_ild@K"}}                       (with embeddings),
  //  "paired":{"a-b":{"ndcg@K":{"mean","stderr"},"recall@K":{..}}}  (every later model minus
  //            every earlier one, per user, so the sign reads "a gains over b"),
  //  "params":{..},"timings":{"fit_s":{name:s},"eval_s":{name:s}}}
  nlohmann::ordered_json ToJson() const;
};

// Users with at least one test item, ascending.
std::vector<uint32_t> UsersWithTestItems(const InteractionMatrix& test);

// What a model is fitted on and scored against. All matrices are num_users x num_items.
struct EvalData {
  const InteractionMatrix* train = nullptr;     // fit data; a user's train items are masked
  const InteractionMatrix* test = nullptr;      // relevant items; users with none are skipped
  const InteractionMatrix* revealed = nullptr;  // optional: users with a non-empty row here are
                                                // scored by score_history from that row (not by
                                                // the model's ScoreUsers) and its items masked
};

// Scores `users` with an already fitted model and computes its metrics (fit_seconds = 0).
// REQUIRES: matrices of one shape matching the model's catalogue; every user has >= 1 test
// item; score_history set when some user has a revealed history. Throws std::invalid_argument
// on violated preconditions.
ModelEvaluation EvaluateFitted(const EvalModel& model, const EvalData& data, std::span<const uint32_t> users,
                               const EvalOptions& options);

// Fits each model on data.train (timed) and evaluates it on data.test. Errors: the first model
// whose Fit fails, with the model name as context; InvalidArgument for an empty or zero K
// list, mismatched matrix shapes, or a model without score_history when histories are revealed.
Result<EvaluationResult> EvaluateModels(const Dataset& dataset, const EvalData& data,
                                        std::span<const EvalModel> models, const EvalOptions& options);
// Same for models that need no history scorer.
Result<EvaluationResult> EvaluateModels(const Dataset& dataset, const InteractionMatrix& train,
                                        const InteractionMatrix& test, std::span<Recommender* const> models,
                                        const EvalOptions& options);

// EvaluateModels on the split's train/test (and revealed, for cold-users) matrices, recording
// protocol and seed. The validation part is not used (see eval/tune.h).
Result<EvaluationResult> Evaluate(const Dataset& dataset, const Split& split, std::span<const EvalModel> models,
                                  const EvalOptions& options);
Result<EvaluationResult> Evaluate(const Dataset& dataset, const Split& split,
                                  std::span<Recommender* const> models, const EvalOptions& options);

// Across-run summary (e.g. the same protocol with seeds 0, 1, 2): for every model and K, the
// mean and sample standard deviation (n - 1; 0 for one run) over runs of each metric, and of
// each paired difference "a-b" (later model minus earlier, NDCG and recall) as in ToJson.
// JSON: {"protocol","seeds":[..],"runs":n,"models":{name:{"ndcg@10":{"mean","sd"},..}},
//        "paired":{"a-b":{"ndcg@10":{"mean","sd"},..}}}
// Errors: InvalidArgument when runs is empty or the runs differ in K list or model names.
Result<nlohmann::ordered_json> SummarizeRuns(std::span<const EvaluationResult> runs);
// Table of the summary: one row per model, "mean±sd" of P, R, NDCG, MAP at each K.
std::string FormatRunsTable(const nlohmann::ordered_json& summary);

// Terminal table: one row per model, columns P/R/NDCG/MAP/HR/Cov at each K, then fit and eval
// seconds; a header line names dataset, protocol, seed and user counts.
std::string FormatTable(const EvaluationResult& result);

}  // namespace hybridrec
