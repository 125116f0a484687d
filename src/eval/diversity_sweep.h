// `evaluate --sweep diversity=...`: the accuracy / diversity trade-off of MMR re-ranking. The
// hybrid is fitted once on the split's train part; for each diversity weight lambda its lists
// (HybridRanker::Recommend with RankRequest::rules.diversity = lambda over the content
// embeddings) are scored on test like any model, giving NDCG@K next to the intra-list genre
// diversity, novelty and calibration at each K.
// Thread-safety: reentrant.
#pragma once

#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/dataset.h"
#include "eval/split.h"
#include "ranking/recommenders.h"

namespace hybridrec {

struct SweepPoint {
  double lambda = 0;
  std::vector<double> ndcg, recall, ild, content_ild, novelty;  // per k (ild: genres; content_ild:
                                                                // content cosine distance)
};

// The lambdas of "diversity=0,0.1,0.2" (each in [0, 1], at most 101); InvalidArgument naming the
// part at fault otherwise.
Result<std::vector<double>> ParseDiversitySweep(std::string_view spec);

// REQUIRES: a split without revealed histories (not cold-users); embeddings non-empty.
Result<std::vector<SweepPoint>> DiversitySweep(const Dataset& dataset, const Split& split,
                                               std::span<const float> embeddings, int dim,
                                               const HybridRecommenderOptions& options, std::span<const double> lambdas,
                                               std::span<const size_t> ks);

// {"ks": [...], "points": [{"lambda", "ndcg@K", "recall@K", "ild@K", "content_ild@K", "novelty@K"}...]} (the
// report's charts.diversity_sweep).
nlohmann::ordered_json SweepJson(std::span<const SweepPoint> points, std::span<const size_t> ks);

}  // namespace hybridrec
