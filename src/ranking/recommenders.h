// Recommender adapters (data/recommender.h) for the evaluator: the content-only model and the
// hybrid model, each also able to score an arbitrary history (cold-users protocol).
//
// Both take the catalogue's item embeddings in the constructor (non-owning span, num_items x
// dim row-major; REQUIRES it outlives the model): content does not depend on the split, so the
// caller builds the ContentModel once per dataset. Thread-safety: Fit is not thread-safe; after
// it every const method may be called from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "data/recommender.h"
#include "ranking/hybrid_ranker.h"

namespace hybridrec {

// score(u, i) = p_u . E_i with p_u the confidence-weighted, L2-normalised mean of the
// embeddings of u's training items (weights 1 + alpha * r of `confidence`; BM25 as linear).
class ContentRecommender : public Recommender {
 public:
  ContentRecommender(std::span<const float> embeddings, int dim, ConfidenceOptions confidence = {});
  std::string name() const override { return "content"; }
  // InvalidArgument when the embeddings do not have one row per training item.
  Status Fit(const FitInput& input) override;
  // A user without a usable history gets all-zero scores.
  void ScoreUser(uint32_t user, std::span<float> scores) const override;
  // Scores of a history given as (item, raw strength) pairs. REQUIRES scores.size() == num items.
  void ScoreHistory(std::span<const std::pair<uint32_t, float>> history, std::span<float> scores) const;

 private:
  std::span<const float> emb_;
  size_t dim_;
  uint32_t num_items_;
  ConfidenceOptions confidence_;
  std::vector<float> e_t_;       // dim x num_items
  std::vector<float> profiles_;  // num_users x dim
};

struct HybridRecommenderOptions {
  AlsOptions als;                     // the collaborative model fitted in Fit
  RankerOptions ranker;               // fusion options (T, w_max, N, ...)
  bool popularity_sum_strength = false;  // PopularityModel mode used for the fallback / blend
  int threads = 0;                    // ScoreUsers threads (0 = all hardware threads)
};

// The hybrid model: Fit trains an AlsModel and a PopularityModel on the training split and
// builds a HybridRanker (brute-force content scoring). ScoreUser(u) gives every candidate of u
// (known user, training history = FitInput.train row) its fused score and -infinity to every
// other item (train items are excluded by the ranker unless ranker.exclude_seen is false).
class HybridRecommender : public Recommender {
 public:
  HybridRecommender(std::span<const float> embeddings, int dim, HybridRecommenderOptions options = {});
  std::string name() const override { return "hybrid"; }
  Status Fit(const FitInput& input) override;
  void ScoreUser(uint32_t user, std::span<float> scores) const override;
  // Parallel over users (options.threads); identical to a ScoreUser loop.
  void ScoreUsers(std::span<const uint32_t> users, std::span<float> out, uint32_t num_items) const override;
  // A new user known only by this history: fold-in + content profile (cold-users protocol).
  void ScoreHistory(std::span<const std::pair<uint32_t, float>> history, std::span<float> scores) const;

  // The ranker's full answer for known user `user` (training history = FitInput.train row),
  // with the request's rules and re-ranking (ScoreUser cannot express a re-ranked order).
  RankResponse RecommendUser(uint32_t user, const RankRequest& request) const;

  // Rebuilds the ranker with other fusion options (tuning T / w_max / N without refitting ALS).
  void SetRankerOptions(const RankerOptions& options);

  // The popularity vector the ranker uses: PopularityModel counts, or with
  // ranker.popularity.half_life_days > 0 and a dataset with timestamps, DecayedPopularity
  // (collab/popularity.h) of the training entries.
  std::span<const float> ranker_popularity() const { return ranker_pop_; }

  // REQUIRES Fit was called.
  const AlsModel& als() const { return *als_; }
  const PopularityModel& popularity() const { return popularity_; }
  const HybridRanker& ranker() const { return *ranker_; }

 private:
  std::span<const float> emb_;
  int dim_;
  HybridRecommenderOptions options_;
  std::unique_ptr<AlsModel> als_;
  PopularityModel popularity_;
  CsrMatrix train_;  // by_user copy of the training strengths (histories of known users)
  // Per entry of train_: its timestamp (EntryTimestamps; empty without timestamps).
  std::vector<int64_t> entry_timestamps_;
  // Per entry of train_, re-ordered within each user's row: items most recent first (empty
  // without timestamps).
  std::vector<uint32_t> recent_;
  std::span<const uint32_t> RecentItems(uint32_t user) const;
  std::vector<float> ranker_pop_;  // popularity given to the ranker (see ranker_popularity)
  std::vector<uint8_t> trained_;   // per item: has training interactions (count > 0)
  void UpdateRankerPopularity();
  // The co-occurrence table for these options (null when the signal is off), built from train_
  // once per distinct (neighbours, alpha, beta) and kept until the next Fit (tuning trials
  // share them; a grid has a handful).
  std::shared_ptr<const ItemNeighbours> NeighboursFor(const RankerOptions& options);
  std::vector<std::shared_ptr<const ItemNeighbours>> neighbours_;
  std::unique_ptr<HybridRanker> ranker_;
};

}  // namespace hybridrec
