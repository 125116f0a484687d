// The unit of the hybrid ranker: a ranking signal.
//
// A request is ranked in four steps, and a signal takes part in each through one method:
//   1. Prepare   what the signal needs from this query (a folded-in factor, a content profile,
//                a sparse score accumulation). A signal with nothing to say for this query
//                (no usable history item, weight 0) returns false and takes no further part.
//                A signal that scores by a dot product against one of the catalogue's dense
//                item tables sets `scratch.dense` and `scratch.query`; the ranker then fills
//                `scratch.full` (one score per item) for it, in one pass over the table for a
//                whole block of queries on the batch path.
//   2. Propose   its top-N items, which join the candidate set (a union over the signals).
//   3. Score     its raw score for every candidate (NaN: no score for that item). The ranker
//                z-scores it over the candidates (a missing score gives z = 0).
//   4. Weight    its weight in the fused score for this query. The fused score of a candidate is
//                one rule for every signal: fused = sum over active signals of weight * z.
// Explain adds, on request, which history items a recommendation owes to this signal.
//
// Signals are stateless and immutable (options and model pointers only); everything per request
// lives in the SignalScratch the ranker hands them, everything per catalogue in the Catalogue
// view. One signal object is shared by every ranker grown from the same model (see
// HybridRanker::Extended) and used from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "collab/als_model.h"
#include "collab/item_neighbours.h"
#include "index/vector_index.h"
#include "ranking/ranking_kernels.h"

namespace hybridrec {

struct RankerOptions;

// A dense item table in transposed layout: row j (one per dimension) holds that dimension of
// every item, starting at data[j * ld]; the first `items` columns are valid.
struct DenseTable {
  const float* data = nullptr;
  size_t ld = 0;  // row stride (>= items; spare columns let a catalogue grow in place)
  size_t d = 0;   // rows: the vectors' dimension
};

// Read-only view of one ranker's catalogue: the item tables it owns and the models it reads.
// Rows past num_items may exist (spare capacity) and must not be read.
struct Catalogue {
  uint32_t num_items = 0;
  const RankerOptions* options = nullptr;
  // Collaborative layer (als null: none). Items < als_items have a trained row in the model;
  // has_factor[i] says whether item i has a usable factor y_i (trained, or estimated from its
  // embedding by the content-to-factor map); y is num_items x k with zero rows elsewhere.
  const AlsModel* als = nullptr;
  uint32_t als_items = 0;
  size_t k = 0;
  std::span<const float> y;
  std::span<const uint8_t> has_factor;
  std::span<const uint32_t> no_factor;   // items without a factor, ascending
  // trained[i]: item i had training interactions (its factor, if any, is not an estimate).
  // Items without are the catalogue's cold items (held out, or added after training).
  std::span<const uint8_t> trained;
  size_t num_cold = 0;                   // items with trained[i] == 0
  std::span<const float> gram;           // Y^T Y over the trained rows (k x k)
  DenseTable factors;                    // Y transposed
  // Items whose factor is an estimate (has_factor but not trained), ascending.
  std::span<const uint32_t> estimated;
  // Inner-product index over the MIPS transform of the trained factors (index/mips.h), for
  // catalogues too large to scan every factor (else null). Only trained items are in it.
  const VectorIndex* factor_index = nullptr;
  // Content layer (emb empty: none): embeddings row-major (num_items x dim) and transposed, and
  // an approximate index over them for catalogues too large to score exhaustively (else null).
  std::span<const float> emb;
  size_t dim = 0;
  DenseTable embeddings;
  const VectorIndex* index = nullptr;
  // Popularity score per item (may be empty) and items by popularity, best first.
  std::span<const float> popularity;
  std::span<const uint32_t> popularity_order;
};

// A request. For a known (training) user pass its training history and use_trained_factor =
// true: its row of X is used and the history gives p_u, |I_u| and the seen filter. When the
// history differs from training (or the user is new) the factor is folded in from the history.
struct UserQuery {
  std::optional<uint32_t> known_user;
  bool use_trained_factor = true;
  std::span<const HistoryEntry> history;
  // History items, most recent first (may be empty: no recent-items signal). The recent-items
  // signal uses the first RecentOptions::items of them that have a trained factor, each with its
  // strength in `history` (1 when absent there).
  std::span<const uint32_t> recent;
};

class ActiveSignals;

// The query as every signal sees it, built once per request by the ranker.
struct QueryView {
  const UserQuery* query = nullptr;
  std::span<const HistoryEntry> history;  // sorted by item, duplicates summed
  std::span<const uint32_t> items;        // history items, ascending
  std::span<const float> confidence;      // ALS confidence of each history item
  std::span<const uint32_t> seen;         // items to leave out of the candidates (ascending)
  const ActiveSignals* signals = nullptr;  // the other signals of this query (null: none known)
};

// Per-request, per-signal buffers (owned by the ranker's per-thread scratch; reused).
struct SignalScratch {
  const DenseTable* dense = nullptr;  // set by Prepare to have `full` = query . table
  std::vector<float> query;           // the dense query vector (a factor, a content profile)
  std::vector<float> full;            // one score per catalogue item (dense or accumulated)
  std::vector<float> raw, z;          // over the candidates
  std::vector<HistoryEntry> entries;  // signal-specific (e.g. the items a factor came from)
  std::vector<HistoryEntry> scored;   // Propose's (item, score) pairs before the top N is taken
  std::vector<SearchHit> hits;
  std::vector<float> vals;            // selection scratch
  std::vector<uint32_t> sel;
  size_t inputs = 0;                  // items the signal was built from (0: not reported)
  float weight = 0.f;                 // signal-specific (e.g. a weight worked out in Prepare)
  float coef[2] = {0.f, 0.f};         // signal-specific per-query coefficients
};

// The signals of the current query, by name, as far as the ranker has got with them. Signals
// run in fusion order (the registry's order, extra signals last), so a signal sees those before
// it: during its Prepare, which of them are active; during its Weight, their weights too; during
// its Score, their z over the candidates too. After every Prepare, active() knows all of them.
class ActiveSignals {
 public:
  virtual ~ActiveSignals() = default;
  virtual bool active(std::string_view name) const = 0;
  // Weight of an active signal already weighted (else 0).
  virtual float weight(std::string_view) const { return 0.f; }
  // Sum of the weights of the active non-primary signals already weighted.
  virtual float secondary_weight() const { return 0.f; }
  // z of an active signal already scored, over the current candidates (else empty).
  virtual std::span<const float> z(std::string_view) const { return {}; }
};

struct RankedItem;

// What the signal factories may use besides the options (see signal_registry.h).
struct SignalInputs {
  const AlsModel* als = nullptr;                     // null: no collaborative layer
  bool has_content = false;                          // the catalogue has embeddings
  std::shared_ptr<const ItemNeighbours> neighbours;  // the co-occurrence table, when built
};

class Signal {
 public:
  virtual ~Signal() = default;
  // Short lower-case name: the key of its z-score and weight in responses ("collab", ...).
  virtual std::string_view name() const = 0;
  // A primary signal can rank a request on its own (collab, content). When no primary signal is
  // active for a query, the ranker answers with the popularity list instead.
  virtual bool primary() const { return false; }
  virtual bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch& s) const = 0;
  // Appends up to n item ids (< cat.num_items, none of q.seen) this signal ranks highest.
  virtual void Propose(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
                       std::vector<uint32_t>& out) const = 0;
  // raw[j] = this signal's score of cand[j], NaN when it has none.
  virtual void Score(const Catalogue& cat, const QueryView& q, SignalScratch& s, std::span<const uint32_t> cand,
                     std::span<float> raw) const = 0;
  // Called after every signal's Prepare, before Score (a signal may keep what it learns here
  // in its scratch for Score).
  virtual float Weight(const Catalogue& cat, const QueryView& q, SignalScratch& s,
                       const ActiveSignals& active) const = 0;
  // Whether the ranker z-scores this signal's raw scores over the candidates (the default), or
  // adds them as they are (a signal whose scores are already on the z scale, e.g. a boost).
  virtual bool z_scored() const { return true; }
  // Fills, for each recommended item, the history items behind this signal's share of its
  // score (best first, at most max_items). Default: no explanation.
  virtual void Explain(const Catalogue& cat, const QueryView& q, const SignalScratch& s,
                       std::span<const uint32_t> items, size_t max_items,
                       std::vector<std::vector<Contribution>>& out) const;
};

// A signal whose scores fill SignalScratch::full (a dense table scan or an accumulation):
// it proposes the top N of `full` and scores candidates from it. Signals that score with the
// collaborative factors leave items without a factor out (factor_only).
class FullScoreSignal : public Signal {
 public:
  explicit FullScoreSignal(bool factor_only) : factor_only_(factor_only) {}
  void Propose(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
               std::vector<uint32_t>& out) const override;
  void Score(const Catalogue& cat, const QueryView& q, SignalScratch& s, std::span<const uint32_t> cand,
             std::span<float> raw) const override;

 private:
  bool factor_only_;
};

// A signal scoring by s.query . y_i over the items with a factor (collab, recent): proposes and
// scores from the dense factor table as a FullScoreSignal, or, when the catalogue has a factor
// index (Catalogue::factor_index), by ProposeByFactorIndex and ScoreByFactors. Its Prepare sets
// s.dense with DenseFactors(cat).
class FactorSignal : public FullScoreSignal {
 public:
  FactorSignal() : FullScoreSignal(true) {}
  void Propose(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
               std::vector<uint32_t>& out) const override;
  void Score(const Catalogue& cat, const QueryView& q, SignalScratch& s, std::span<const uint32_t> cand,
             std::span<float> raw) const override;
  // The table for SignalScratch::dense: the factors, or null when the factor index is used.
  static const DenseTable* DenseFactors(const Catalogue& cat) {
    return cat.factor_index == nullptr ? &cat.factors : nullptr;
  }
};

// Helpers shared by the signals.
inline constexpr float kNoScore = std::numeric_limits<float>::quiet_NaN();
// Top-n of s.full into out, after setting `mask` items and q.seen to -infinity in s.full.
void ProposeTopOfFull(const QueryView& q, SignalScratch& s, std::span<const uint32_t> mask, size_t n,
                      std::vector<uint32_t>& out);
// out[r] = the history items most like items[r] by content cosine (best first, at most
// max_items), for every item, or with cold_only for the items without a trained factor.
void ExplainByContent(const Catalogue& cat, const QueryView& q, std::span<const uint32_t> items, size_t max_items,
                      bool cold_only, std::vector<std::vector<Contribution>>& out);
// raw[j] = s.full[cand[j]] where finite, else NaN.
void ScoreFromFull(const SignalScratch& s, std::span<const uint32_t> cand, std::span<float> raw);
// The top-n items by s.query . y_i (none of q.seen) from cat.factor_index (REQUIRED), with the
// items whose factor is an estimate scored exactly beside it; appended to out, best first (ties:
// lower item first). Uses s.vals, s.hits and s.sel.
void ProposeByFactorIndex(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
                          std::vector<uint32_t>& out);
// raw[j] = s.query . y_cand[j] for items with a factor, else NaN.
void ScoreByFactors(const Catalogue& cat, const SignalScratch& s, std::span<const uint32_t> cand, std::span<float> raw);

}  // namespace hybridrec
