// HybridRanker: top-K recommendations by fusing ranking signals (signal.h), and similar items.
//
// Per request (UserQuery = optional known user + history of (item, strength)):
//  1. The history is made canonical (sorted by item, duplicates summed) and every signal
//     prepares what it needs from it (signal_*.h: the collaborative factor, the content profile,
//     the recent-items factor, the co-occurrence scores, the popularity share).
//  2. Candidates: the union of each active signal's top-N (RankerOptions::candidates), minus the
//     history unless the request keeps seen items.
//  3. Each active signal scores the candidates; the scores are z-scored over them (ZScore with
//     the sigma floor; a missing score gives z = 0) and fused by one rule:
//       fused = sum over active signals s of weight_s(query) * z_s
//     where each signal gives its weight for the query: the collaborative / content pair share
//     the history ramp w_u = w_max * min(1, |history| / T), the others a constant or a fade.
//  4. Top-K by fused score; ties broken by ascending item index (deterministic).
// Paths: "hybrid" (collaborative and content signals both active), "collab", "content", and
// "popularity" (empty history, or no primary signal active: top-K by popularity).
//
// The ranker owns the catalogue's derived tables (transposed factor and embedding matrices,
// norms, Y^T Y, the popularity order) and the candidate / fusion / top-K loop; nothing in it is
// specific to one signal. Signals come from the options (signal_registry.h) plus any given to
// the constructor.
//
// Cold items: items with index >= the ALS model's num_items(), or whose trained y_i is the zero
// vector (no training interactions), have no trained factor. Their factor is estimated from
// their embedding where the tables are built: by default from their content neighbours
// (RankerOptions::cold_knn: the weighted mean of the factors of the most similar trained items),
// or with map_cold_items by the Gantner et al. 2010 ridge map from embeddings to factors
// (FitContentToFactorMap over the warm items). They then compete on the collaborative score, and
// the fresh-items signal (signal_fresh.h) gives them their content weight and a boost.
//
// Ownership: the ranker keeps non-owning pointers/spans to the AlsModel, the embeddings, the
// index and the popularity scores (they must outlive it) plus derived tables that it shares with
// the rankers Extended() from it.
// Growing catalogues (the service's added items): Extended() returns a ranker over the same
// catalogue plus items appended at the end. The tables have spare capacity; a ranker only ever
// reads its first num_items() rows, so the extension fills rows beyond them in place and both
// rankers share one copy (amortised O(added x (dim + k)) per call, not O(catalogue)). When the
// capacity is used up, or another extension already filled those rows, it copies the tables
// into larger ones. Thread-safety: immutable after construction; every const method, Extended()
// included, may be called from many threads (scratch buffers are thread_local).
#pragma once

#include <array>
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
#include "ranking/ranker_options.h"
#include "ranking/ranking_kernels.h"
#include "ranking/signal.h"

namespace hybridrec {

enum class RankPath { kHybrid, kCollab, kContent, kPopularity };
std::string_view RankPathName(RankPath path);  // "hybrid" | "collab" | "content" | "popularity"

// Signals one response can carry (the built-in five plus extras).
inline constexpr size_t kMaxSignals = 8;

struct RankedItem {
  uint32_t item = 0;
  float score = 0.f;  // fused score (popularity path: the popularity score)
  // Per signal of the response (RankResponse::signals, same order): raw score (NaN: none for
  // this item) and z-score over the candidates (0 without a score). Use the response's accessors.
  std::array<float, kMaxSignals> raw{};
  std::array<float, kMaxSignals> z{};
  // Filled when explanations are asked for: per signal of the response (same order; empty for
  // signals without explanations), the history items behind this item's score, best first, at
  // most RankRequest::explain_items. content: cosine(E_h, E_i); collab: c_uh * y_i^T W_u^{-1}
  // y_h (Hu et al. 2008, section 5), whose sum over the whole history is the fold-in score.
  std::vector<std::vector<Contribution>> reasons;
};

// A signal that took part in a response.
struct SignalUse {
  std::string_view name;  // Signal::name()
  float weight = 0.f;     // its weight in the fused score for this query
  size_t inputs = 0;      // items it was built from, where the signal reports it (recent: the items folded in)
};

struct RankResponse {
  RankPath path = RankPath::kPopularity;
  std::vector<SignalUse> signals;   // the active signals, in fusion order (none on the popularity path)
  std::vector<RankedItem> items;    // best first
  // With an eligibility filter (RankRequest::rules.eligible): the unseen items that pass it.
  // Fewer items than k come back only when fewer are eligible.
  std::optional<size_t> eligible;
  // Calibration (rules.calibration > 0 with a category mix for the user): KL(p || q~) of the
  // list by relevance alone and of the list returned (rerank.h).
  std::optional<double> calibration_kl_before, calibration_kl_after;

  // Position of a signal in `signals`, if it took part.
  std::optional<size_t> slot(std::string_view name) const;
  float weight(std::string_view name) const;  // 0 when it did not take part
  size_t inputs(std::string_view name) const;
  std::optional<float> raw(const RankedItem& item, std::string_view name) const;
  float z(const RankedItem& item, std::string_view name) const;
  // Empty when not explained or the signal did not take part.
  std::span<const Contribution> reasons(const RankedItem& item, std::string_view name) const;
};

// The popularity blend's share m_u of a response (its weight c = m / (1 - m) in the fused sum
// gives m = c / (1 + c)); 0 when the popularity signal took no part.
float PopularityShare(const RankResponse& r);

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
  // options.cooccurrence.weight > 0 (built with options.cooccurrence.neighbour_options(), over at
  // most the catalogue's items). extra_signals join the built-in signals the options turn on
  // (after them, in the given order; at most kMaxSignals in all).
  // factor_index (may be null): an inner-product index of dimension k + 1 over the MIPS
  // transform of the trained item factors (index/mips.h; ids = item indices). Above
  // options.brute_force_max_items items the collaborative signals take their candidates from it
  // instead of scanning every factor; items whose factor is an estimate (cold and added items)
  // are scored exactly beside it, and only items with a trained factor are taken from it.
  // Throws std::invalid_argument on inconsistent sizes or invalid options.
  HybridRanker(const AlsModel* als, std::span<const float> embeddings, int dim, const VectorIndex* index,
               std::span<const float> popularity, RankerOptions options = {},
               std::span<const uint8_t> item_has_factor = {},
               std::shared_ptr<const ItemNeighbours> neighbours = nullptr,
               std::vector<std::shared_ptr<const Signal>> extra_signals = {},
               const VectorIndex* factor_index = nullptr);

  // Top-k recommendations with the path and the signals used; explanations when asked.
  // Throws std::invalid_argument for an item or known user out of range.
  RankResponse Recommend(const UserQuery& query, const RankRequest& request) const;
  RankResponse Recommend(const UserQuery& query, size_t k, bool explain = false) const {
    RankRequest r;
    r.k = k;
    r.explain = explain;
    return Recommend(query, r);
  }

  // Fast path for batch evaluation (history items excluded): scores (size num_items()) gets the
  // fused score of every candidate and -infinity elsewhere (popularity path: popularity of
  // every unseen item). Same ranking as Recommend. Returns the path taken.
  RankPath ScoreInto(const UserQuery& query, std::span<float> scores) const;

  // Batch forms of Recommend (explain = false, seen items excluded) and ScoreInto: the same
  // results, query by query, but the dense signal scores of up to kBatchBlock queries are
  // computed in one pass over each item table (ScoreTransposedBatch), which is several times
  // faster than a per-query loop on one thread. `out` gets one response per query; `scores` is
  // queries.size() x num_items(), row b for queries[b]. Call from several threads on disjoint
  // query ranges for parallelism.
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
  // model, options and signals; the new items have no trained factor (with map_cold_items they
  // get a mapped one). Throws std::invalid_argument without a content layer or on inconsistent
  // sizes.
  std::unique_ptr<HybridRanker> Extended(std::span<const float> embeddings, const VectorIndex* index,
                                         std::span<const float> popularity) const;

  uint32_t num_items() const { return num_items_; }
  bool has_factor(uint32_t item) const { return item < num_items_ && t_->has_factor[item] != 0; }
  // False for an item without training interactions (its factor, if any, is an estimate).
  bool has_trained_factor(uint32_t item) const { return item < num_items_ && t_->trained[item] != 0; }
  const RankerOptions& options() const { return options_; }
  // The signals this ranker fuses, in fusion order.
  std::span<const std::shared_ptr<const Signal>> signals() const { return signals_; }
  // The fitted content-to-factor map (dim x k), empty unless map_cold_items.
  std::span<const float> content_to_factor_map() const { return t_->map; }
  // Items the derived tables have room for (>= num_items(); for tests and benchmarks).
  size_t table_capacity() const { return t_->cap; }
  // True when `other` reads the same derived tables (no copy was made).
  bool SharesTablesWith(const HybridRanker& other) const { return t_ == other.t_; }

 private:
  struct Scratch;
  // Canonical history and every signal's Prepare; false: the popularity path.
  bool Prepare(const UserQuery& query, bool exclude_seen, Scratch& s) const;
  // Full-catalogue scores of the signals that asked for them (single query).
  void ScoreDense(Scratch& s) const;
  // Candidates, z-scores and the fused score.
  RankPath Finish(Scratch& s, const RankRequest* request = nullptr) const;
  RankPath Rank(const UserQuery& query, bool exclude_seen, Scratch& s, const RankRequest* request = nullptr) const;
  // Candidates under a request's rules: eligible items only, the pool widened until k of them
  // are in (or every eligible item), plus the newest items when the new-item boost is on.
  void GatherCandidates(Scratch& s, const ItemRules& rules, size_t k) const;
  // The popularity path under rules that score: the best eligible items by popularity, scored
  // by their popularity z plus the boost.
  void PopularityCandidates(Scratch& s, const ItemRules& rules, size_t pool) const;
  void AddNewItemBoost(Scratch& s, const ItemRules& rules) const;
  // s.sel = positions in s.cand of the returned list (top-k by fused score, or re-ranked).
  void Select(Scratch& s, const RankRequest& request, RankResponse& resp) const;
  // Prepare + block dense scoring + Finish for up to kBatchBlock queries into the thread's scratches.
  void RankBlock(std::span<const UserQuery> queries, RankPath* paths) const;
  static std::vector<Scratch>& BlockScratches();
  RankResponse Respond(Scratch& s, RankPath path, const RankRequest& request) const;
  void FillScores(const Scratch& s, RankPath path, std::span<float> scores) const;
  void RefreshCatalogue();
  // Which indexes a catalogue of `items` searches: `index` above brute_force_max_items, null (an
  // exact scan) at or below it; the factor index likewise, and only with an ALS model.
  const VectorIndex* IndexFor(const VectorIndex* index, size_t items) const {
    return index != nullptr && items > options_.brute_force_max_items ? index : nullptr;
  }
  const VectorIndex* FactorIndexFor(size_t items) const {
    return als_ != nullptr ? IndexFor(factor_index_given_, items) : nullptr;
  }

  // Derived per-item tables, cap rows (items) each; row i is written once, before any ranker
  // with num_items() > i is published, and never changed after (see Extended()).
  struct Tables {
    size_t cap = 0;
    size_t k = 0, dim = 0;
    std::unique_ptr<uint8_t[]> has_factor;    // trained or estimated y_i available
    std::unique_ptr<uint8_t[]> trained;       // y_i trained (the item had interactions)
    std::unique_ptr<uint32_t[]> no_factor;    // items without one, ascending (a prefix is used)
    std::unique_ptr<uint32_t[]> estimated;    // items whose factor is an estimate, ascending (idem)
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
  void FillContentRow(Tables& t, size_t i) const;
  void FillFactorRow(Tables& t, size_t i) const;
  void EstimateFactorFromNeighbours(const Tables& t, size_t i, float* yi) const;

  const AlsModel* als_ = nullptr;
  std::span<const float> emb_;
  size_t dim_ = 0;
  const VectorIndex* index_ = nullptr;
  const VectorIndex* factor_index_given_ = nullptr;  // as passed to the constructor
  const VectorIndex* factor_index_ = nullptr;        // in use (catalogue above brute_force_max_items)
  std::span<const float> pop_;
  RankerOptions options_;
  uint32_t num_items_ = 0;
  uint32_t emb_items_ = 0;
  uint32_t als_items_ = 0;
  int k_ = 0;
  size_t no_factor_count_ = 0;        // the prefix of t_->no_factor that is this catalogue's
  size_t estimated_count_ = 0;        // the prefix of t_->estimated that is this catalogue's
  size_t cold_count_ = 0;             // items of this catalogue without a trained factor
  std::shared_ptr<Tables> t_;
  std::vector<std::shared_ptr<const Signal>> signals_;
  Catalogue cat_;                     // view of the above for the signals
};

}  // namespace hybridrec
