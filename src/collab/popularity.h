// PopularityModel: the non-personalised baseline (and the cold-start fallback).
// score(u, i) = number of distinct training users who interacted with item i (the default,
// robust to users with huge strengths), or the summed raw strength of item i when
// `sum_strength` is set. Every user gets the same scores. Immutable after Fit; const methods
// are thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/csr_matrix.h"
#include "data/dataset.h"
#include "data/recommender.h"

namespace hybridrec {

class PopularityModel : public Recommender {
 public:
  explicit PopularityModel(bool sum_strength = false) : sum_strength_(sum_strength) {}
  // Builds a fitted model from saved per-item scores (e.g. a model directory's popularity file).
  explicit PopularityModel(std::vector<float> item_scores, bool sum_strength = false)
      : sum_strength_(sum_strength), scores_(std::move(item_scores)) {}

  std::string name() const override { return "popularity"; }
  Status Fit(const FitInput& input) override;
  // REQUIRES: scores.size() == num_items(). `user` is ignored (any value is accepted).
  void ScoreUser(uint32_t user, std::span<float> scores) const override;

  uint32_t num_items() const { return static_cast<uint32_t>(scores_.size()); }
  std::span<const float> item_scores() const { return scores_; }

 private:
  bool sum_strength_;
  std::vector<float> scores_;
};

// Time-decayed popularity (recently popular items): for each item (column of by_user), the sum
// over its entries of 2^(-(t_ref - t) / half_life) = exp(-ln 2 (t_ref - t) / (half_life_days *
// 86400)), with t the entry's timestamp in seconds (`timestamps` is aligned with
// by_user.indices, as EntryTimestamps gives it) and t_ref the latest of them. Each item's terms
// are summed in double in entry order (by user, then item) and rounded to float. Throws
// std::invalid_argument when timestamps.size() != by_user.nnz() or half_life_days is not finite
// and > 0. O(nnz).
std::vector<float> DecayedPopularity(const CsrMatrix& by_user, std::span<const int64_t> timestamps,
                                     double half_life_days);

// The same for a training matrix of `dataset`: the timestamps of train.by_user's entries come
// from dataset.interactions (one per (user, item) pair after loading; EntryTimestamps).
// half_life_days <= 0, or a dataset without timestamps, gives the plain counts of
// PopularityModel (distinct users) instead. REQUIRES: train is num_users x num_items of the
// dataset. O(nnz log row length).
std::vector<float> DecayedPopularity(const Dataset& dataset, const InteractionMatrix& train, double half_life_days);

}  // namespace hybridrec
