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
// index and the popularity scores (they must outlive it) plus derived tables (transposed
// matrices, norms, Y^T Y) that it shares with the rankers Extended() from it.
// Growing catalogues (the service's added items): Extended() returns a ranker over the same
// catalogue plus items appended at the end. The tables have spare capacity; a ranker only ever
// reads its first num_items() rows, so the extension fills rows beyond them in place and both
// rankers share one copy (amortised O(added x (dim + k)) per call, not O(catalogue)). When the
// capacity is used up, or another extension already filled those rows, it copies the tables
// into larger ones. Thread-safety: immutable after construction; every const method, Extended()
// included, may be called from many threads (scratch buffers are thread_local).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "collab/als_model.h"
#include "collab/item_neighbours.h"
#include "core/append_rows.h"
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
  // Recent-items signal (issue 4, temporal protocol): a second collaborative factor folded in
  // from only the user's most recent `recent_items` history items (UserQuery::recent), with
  // regularisation recent_regularization; its z-scored score x_recent . y_i is added to the
  // fused score with weight recent_weight (and its top-N joins the candidates). What a user did
  // last predicts what they do next better than their whole history does. 0 items or weight = off.
  size_t recent_items = 0;
  float recent_weight = 0.f;
  float recent_regularization = 100.f;
  // Co-occurrence signal (issue 4, cold-users protocol): the item-kNN score sum_{i in history}
  // w_ij of an ItemNeighbours table (collab/item_neighbours.h) built with cooccurrence_neighbours,
  // cooccurrence_alpha and cooccurrence_beta, z-scored over the candidates and added to the fused
  // score with weight cooccurrence_weight (its top-N joins the candidates). With a handful of
  // history items it ranks better than a factor folded in from them, but it lowers NDCG for
  // long histories (random split: 0.458 -> 0.414 at weight 1), so with cooccurrence_T > 0 the
  // weight fades as g_u = cooccurrence_weight * (1 - min(1, |history| / cooccurrence_T)).
  // 0 = off; when on, the ranker must be given that table.
  float cooccurrence_weight = 0.f;
  float cooccurrence_T = 0.f;   // history size at which the weight vanishes (<= 0: constant)
  size_t cooccurrence_neighbours = 50;
  float cooccurrence_alpha = 0.5f;
  float cooccurrence_beta = 0.f;
  ItemNeighboursOptions neighbour_options() const {
    return {cooccurrence_neighbours, cooccurrence_alpha, cooccurrence_beta};
  }
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
  // History items, most recent first (may be empty: no recent-items signal). The ranker uses the
  // first RankerOptions::recent_items of them that have a trained factor, each with its strength
  // in `history` (1 when absent there).
  std::span<const uint32_t> recent;
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
  float z_recent = 0.f;               // z-score of x_recent . y_i (0 without the recent signal)
  float z_cooccurrence = 0.f;         // z-score of the co-occurrence score (0 without that signal)
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
  float recent_weight = 0.f;           // weight of the recent-items signal (0: not used)
  size_t recent_used = 0;              // recent items it was folded in from
  float cooccurrence_weight = 0.f;     // g_u, weight of the co-occurrence signal (0: not used)
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
  // cannot tell). neighbours: the co-occurrence table, required when
  // options.cooccurrence_weight > 0 (built with options.neighbour_options(), over at most the
  // catalogue's items; shared, so rankers Extended() from this one use it too).
  // Throws std::invalid_argument on inconsistent sizes or invalid options.
  HybridRanker(const AlsModel* als, std::span<const float> embeddings, int dim, const VectorIndex* index,
               std::span<const float> popularity, RankerOptions options = {},
               std::span<const uint8_t> item_has_factor = {},
               std::shared_ptr<const ItemNeighbours> neighbours = nullptr);

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

  // A ranker over this catalogue plus the items appended at its end: `embeddings` holds the
  // num_items() rows this ranker was built on followed by the new rows (the first rows must be
  // the same values; they are not re-read), `popularity` is empty when this ranker's is, else
  // one score per item of the grown catalogue, and `index` (may be null) holds them all. Same
  // model and options; the new items have no trained factor (with map_cold_items they get a
  // mapped one). Throws std::invalid_argument without a content layer or on inconsistent sizes.
  std::unique_ptr<HybridRanker> Extended(std::span<const float> embeddings, const VectorIndex* index,
                                         std::span<const float> popularity) const;
  // The same ranker with exclude_seen changed, sharing the tables (no copy).
  std::unique_ptr<HybridRanker> WithExcludeSeen(bool exclude_seen) const;

  uint32_t num_items() const { return num_items_; }
  bool has_factor(uint32_t item) const { return item < num_items_ && t_->has_factor[item] != 0; }
  const RankerOptions& options() const { return options_; }
  // The fitted content-to-factor map (dim x k), empty unless map_cold_items.
  std::span<const float> content_to_factor_map() const { return t_->map; }
  // Items the derived tables have room for (>= num_items(); for tests and benchmarks).
  size_t table_capacity() const { return t_->cap; }
  // True when `other` reads the same derived tables (no copy was made).
  bool SharesTablesWith(const HybridRanker& other) const { return t_ == other.t_; }

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

  // Derived per-item tables, cap rows (items) each; row i is written once, before any ranker
  // with num_items() > i is published, and never changed after (see Extended()).
  struct Tables {
    size_t cap = 0;
    size_t k = 0, dim = 0;
    std::unique_ptr<uint8_t[]> has_factor;    // trained or mapped y_i available
    std::unique_ptr<uint32_t[]> no_factor;    // items without one, ascending (a prefix is used)
    std::unique_ptr<float[]> y;               // cap x k: trained Y, mapped estimates, zeros
    std::unique_ptr<float[]> y_t;             // k x cap (Y transposed, row stride cap)
    std::unique_ptr<float[]> e_t;             // dim x cap (embeddings transposed, row stride cap)
    std::unique_ptr<float[]> emb_inv_norm;    // 1 / ||E_i|| (0 for a zero row)
    std::unique_ptr<float[]> y_inv_norm;      // 1 / ||y_i|| (0 without a factor)
    std::unique_ptr<uint32_t[]> pop_order;    // items by popularity, best first
    std::vector<float> gram;                  // Y^T Y over the trained rows (k x k)
    std::vector<float> map;                   // content-to-factor map (dim x k)
    AppendTip tip;                            // rows written so far
    void Allocate(size_t rows, size_t k, size_t dim);
  };
  HybridRanker() = default;
  // Fills table row i (y row already set for trained items) except pop_order / no_factor.
  void FillRow(Tables& t, size_t i) const;

  const AlsModel* als_ = nullptr;
  std::span<const float> emb_;
  size_t dim_ = 0;
  const VectorIndex* index_ = nullptr;
  std::span<const float> pop_;
  RankerOptions options_;
  uint32_t num_items_ = 0;
  uint32_t emb_items_ = 0;
  uint32_t als_items_ = 0;
  int k_ = 0;
  size_t no_factor_count_ = 0;        // the prefix of t_->no_factor that is this catalogue's
  std::shared_ptr<Tables> t_;
  std::shared_ptr<const ItemNeighbours> nb_;  // null unless the co-occurrence signal is on
};

}  // namespace hybridrec
