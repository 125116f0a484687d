// HybridRanker: the two-stage hybrid ranking of SPEC 5 with the cold-start paths of SPEC 4.
//
// Per request (UserQuery = optional known user + history of (item, strength)):
//  1. Signals. Collaborative factor x_u: the trained row of X for a known user whose history is
//     the training history (query.use_trained_factor), otherwise AlsModel::FoldInUser over the
//     history items that have a factor (regularisation RankerOptions::foldin_regularization).
//     Content profile p_u: L2-normalised mean of the history items' embeddings weighted by the
//     ALS confidence c = 1 + alpha * r of each strength r (AlsOptions::confidence of the model;
//     the default linear alpha = 1 when there is no ALS model), so content and fold-in weigh a
//     history the same way.
//  2. Candidates: union of the top-N items by x_u . y_i (items with a factor only) and the
//     top-N by p_u . E_i (VectorIndex search when an index is given and the catalogue is larger
//     than brute_force_max_items, else an exact brute-force dot over the embeddings), plus the top-N popular items when a popularity blend is active;
//     minus the history unless !exclude_seen.
//  3. Re-scoring over the candidates: z-score each signal (ZScore with the sigma floor; a
//     missing signal gives z = 0: a cold item without y_i, an item without an embedding), fuse
//     w_u * z_collab + (1 - w_u) * z_content with w_u = AdaptiveWeight(|history|, T, w_max).
//     Optionally blend in z-scored popularity with weight m_u = popularity_mix * (1 - min(1,
//     |history| / T_pop)), T_pop = popularity_T (or T): short histories lean on popularity
//     (issue 4, cold-users note).
//  4. Top-K by fused score; ties broken by ascending item index (deterministic).
// Paths: "hybrid" (both signals), "collab" (no content profile: w = 1), "content" (no collab
// factor: w = 0), "popularity" (empty history, or no usable signal: top-K by popularity).
//
// Cold items: items with index >= the ALS model's num_items(), or whose trained y_i is the zero
// vector (no training interactions), have no collaborative factor; they are reached through the
// content path. With RankerOptions::map_cold_items their factor is estimated by the Gantner et
// al. 2010 ridge map from embeddings to factors (FitContentToFactorMap over the warm items).
//
// Ownership: the ranker keeps non-owning pointers/spans to the AlsModel, the embeddings, the
// index and the popularity scores (they must outlive it) plus its own derived copies
// (transposed matrices, Y^T Y). Thread-safety: immutable after construction; every const method
// may be called from many threads (scratch buffers are thread_local).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "collab/als_model.h"
#include "index/vector_index.h"
#include "ranking/fusion_kernels.h"
#include "ranking/ranking_kernels.h"

namespace hybridrec {

struct RankerOptions {
  size_t candidates = 200;      // N: top-N from each signal (>= 1)
  float T = 20.f;               // history size at which w_u reaches w_max (<= 0: immediately)
  float w_max = 1.f;            // maximum collaborative weight, in [0, 1]
  bool exclude_seen = true;     // drop history items from the candidates
  float sigma_floor = kDefaultSigmaFloor;  // z-score floor (a flatter signal contributes 0)
  float foldin_regularization = -1.f;      // fold-in lambda; < 0: the training lambda for that row length
  float popularity_mix = 0.f;   // in [0, 1]; 0 disables the popularity blend described above
  float popularity_T = 0.f;     // history size at which the blend vanishes (<= 0: use T)
  // Popularity signal recency (issue 4, temporal protocol): half-life in days of the exponential
  // time decay of each training interaction's vote in the popularity counts, measured back from
  // the latest training timestamp; 0 = plain counts. Not used by HybridRanker itself (it gets a
  // popularity vector): whoever builds that vector applies it (HybridRecommender, `hybridrec
  // train` via DecayedPopularity in collab/popularity.h). Ignored without timestamps.
  float popularity_half_life_days = 0.f;
  bool map_cold_items = false;  // estimate y_i of factor-less items with the content-to-factor map
  float map_ridge = 1.f;        // mu of that ridge regression (>= 0)
  size_t explain_items = 3;     // history items listed per explanation kind
  // Catalogues up to this size are scored by an exact brute-force dot product even when an
  // index is given (faster than an index search there, and exact); 0 = always use the index.
  size_t brute_force_max_items = 20000;

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

// A request. For a known (training) user pass its training history and use_trained_factor =
// true: its row of X is used and the history gives p_u, |I_u| and the seen filter. When the
// history differs from training (or the user is new) the factor is folded in from the history.
struct UserQuery {
  std::optional<uint32_t> known_user;
  bool use_trained_factor = true;
  std::span<const HistoryEntry> history;
};

enum class RankPath { kHybrid, kCollab, kContent, kPopularity };
std::string_view RankPathName(RankPath path);  // "hybrid" | "collab" | "content" | "popularity"

struct RankedItem {
  uint32_t item = 0;
  float score = 0.f;                  // fused score (popularity path: the popularity score)
  std::optional<float> collab;        // raw x_u . y_i, absent without a factor for u or i
  std::optional<float> content;       // raw p_u . E_i, absent without a profile or embedding
  float z_collab = 0.f;
  float z_content = 0.f;
  // Filled when explanations are asked for (best first, at most explain_items each):
  // content: cosine(E_h, E_i); collab: c_uh * y_i^T W_u^{-1} y_h (Hu et al. 2008, section 5),
  // whose sum over the whole history is the fold-in score x_u . y_i.
  std::vector<Contribution> content_reasons;
  std::vector<Contribution> collab_reasons;
};

struct RankResponse {
  RankPath path = RankPath::kPopularity;
  float weight = 0.f;                  // w_u used in the fusion
  float popularity_weight = 0.f;       // m_u used for the popularity blend
  std::vector<RankedItem> items;       // best first
};

enum class SimilarMode { kContent, kCollab, kHybrid };
// "content" | "collab" | "hybrid"; std::nullopt otherwise.
std::optional<SimilarMode> ParseSimilarMode(std::string_view name);

struct SimilarItem {
  uint32_t item = 0;
  float score = 0.f;             // content: cosine; collab: cosine of y vectors; hybrid: fused z
  std::optional<float> content;  // cosine of embeddings
  std::optional<float> collab;   // cosine of factors
};

class HybridRanker {
 public:
  // als may be null (content only); embeddings (num_items x dim, row-major) may be empty (then
  // dim is ignored); index may be null (brute force) and must hold the same vectors with item
  // indices as ids; popularity (one score per catalogue item) may be empty (all zeros).
  // Catalogue size = embedding rows when given, else the ALS model's items.
  // item_has_factor (optional, one flag per catalogue item) says which items had training
  // interactions, i.e. a meaningful y_i. When empty it is derived: i < ALS items, y_i != 0 and,
  // when popularity is given, popularity[i] > 0 (popularity counts users/strength, so 0 means no
  // training interaction; the CG solver leaves small non-zero noise in such rows, so y alone
  // cannot tell). Throws std::invalid_argument on inconsistent sizes or invalid options.
  HybridRanker(const AlsModel* als, std::span<const float> embeddings, int dim, const VectorIndex* index,
               std::span<const float> popularity, RankerOptions options = {},
               std::span<const uint8_t> item_has_factor = {});

  // Top-k recommendations with the path and weight used; explanations when `explain`.
  // Throws std::invalid_argument for an item or known user out of range.
  RankResponse Recommend(const UserQuery& query, size_t k, bool explain = false) const;

  // Fast path for batch evaluation: scores (size num_items()) gets the fused score of every
  // candidate and -infinity elsewhere (popularity path: popularity of every unseen item). Same
  // ranking as Recommend. Returns the path taken.
  RankPath ScoreInto(const UserQuery& query, std::span<float> scores) const;

  // Batch forms of Recommend (explain = false) and ScoreInto: the same results, query by query,
  // but the brute-force collaborative and content scores of up to kBatchBlock queries are
  // computed in one pass over the factor / embedding matrices (ScoreTransposedBatch), which is
  // several times faster than a per-query loop on one thread. `out` gets one response per query;
  // `scores` is queries.size() x num_items(), row b for queries[b]. Call from several threads
  // on disjoint query ranges for parallelism.
  static constexpr size_t kBatchBlock = 32;
  void RecommendBatch(std::span<const UserQuery> queries, size_t k, std::span<RankResponse> out) const;
  void ScoreIntoBatch(std::span<const UserQuery> queries, std::span<float> scores) const;

  // k items most similar to `item` (itself excluded), best first, in the given mode. Hybrid:
  // z-score fusion of content and collaborative cosines over the union of both top-N with
  // w = w_max. Collab mode returns nothing for an item without a factor.
  std::vector<SimilarItem> Similar(uint32_t item, size_t k, SimilarMode mode) const;

  uint32_t num_items() const { return num_items_; }
  bool has_factor(uint32_t item) const { return item < num_items_ && has_factor_[item] != 0; }
  const RankerOptions& options() const { return options_; }
  // The fitted content-to-factor map (dim x k), empty unless map_cold_items.
  std::span<const float> content_to_factor_map() const { return map_; }

 private:
  struct Scratch;
  struct State;  // per-request result of the shared first stages
  RankPath Rank(const UserQuery& query, Scratch& s, State& st) const;
  // Rank = Prepare (signals; false: popularity path) + ScoreFull (brute-force signal scores) +
  // Finish (candidates, z-scores, fusion).
  bool Prepare(const UserQuery& query, Scratch& s, State& st) const;
  void ScoreFull(Scratch& s, const State& st) const;
  RankPath Finish(Scratch& s, const State& st) const;
  // Prepare + block scoring + Finish for up to kBatchBlock queries into the thread's scratches.
  void RankBlock(std::span<const UserQuery> queries, RankPath* paths, State* states) const;
  static std::vector<Scratch>& BlockScratches();
  RankResponse Respond(Scratch& s, const State& st, RankPath path, size_t k, bool explain) const;
  void FillScores(const Scratch& s, RankPath path, std::span<float> scores) const;
  float FoldInReg(size_t n) const;

  const AlsModel* als_;
  std::span<const float> emb_;
  size_t dim_ = 0;
  const VectorIndex* index_;
  std::span<const float> pop_;
  RankerOptions options_;
  uint32_t num_items_ = 0;
  uint32_t emb_items_ = 0;
  uint32_t als_items_ = 0;
  int k_ = 0;
  std::vector<uint8_t> has_factor_;   // per item: trained or mapped y_i available
  std::vector<uint32_t> no_factor_;   // items without one (ascending)
  std::vector<float> y_;              // num_items x k: trained Y, mapped estimates, zeros
  std::vector<float> y_t_;            // k x num_items
  std::vector<float> e_t_;            // dim x num_items (embeddings transposed)
  std::vector<float> emb_inv_norm_;   // 1 / ||E_i|| (0 for a zero row)
  std::vector<float> y_inv_norm_;     // 1 / ||y_i|| (0 without a factor)
  std::vector<float> gram_;           // Y^T Y over the trained rows (k x k)
  std::vector<float> map_;            // content-to-factor map (dim x k)
  std::vector<uint32_t> pop_order_;   // items by popularity, best first
};

}  // namespace hybridrec
