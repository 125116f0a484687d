// PopularityModel: the non-personalised baseline (and the cold-start fallback of SPEC 4).
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

// Time-decayed popularity (recently popular items; issue 4, temporal protocol): for each item,
// the sum over its training interactions of 2^(-(t_ref - t) / half_life), with t the
// interaction's timestamp in `dataset` and t_ref the latest timestamp among the training
// interactions. Training interactions are the (user, item) pairs present in train.by_user; the
// timestamps come from dataset.interactions (one per pair after loading). half_life_days <= 0,
// or a dataset without timestamps, gives the plain counts of PopularityModel (distinct users).
// REQUIRES: train is num_users x num_items of the dataset. O(nnz log row length).
std::vector<float> DecayedPopularity(const Dataset& dataset, const InteractionMatrix& train, double half_life_days);

}  // namespace hybridrec
