// Ranking metrics at K: pure functions over one user's ranked recommendation list and
// the set of that user's held-out (relevant) items, plus the aggregate helpers the evaluator
// needs (catalogue coverage, paired differences between two models over the same users).
//
// Conventions, shared by every function here:
// - `ranked` is the recommendation list, best first, already filtered (train items removed)
//   and tie-broken upstream by the stable top-k (core/topk.h). Only its first K entries count.
//   It may be shorter than K (a small catalogue, or most items masked): Precision@K still
//   divides by K, so a model that cannot fill K slots is not rewarded for it.
// - A duplicate entry in `ranked` counts as a hit only at its first position (a list with
//   repeats never scores above 1); top-k never produces repeats, so this only guards misuse.
// - `relevant` is sorted ascending without duplicates (a row of the test CsrMatrix is).
// - A user with no relevant items has no defined recall/NDCG/AP: the evaluator skips (and
//   counts) such users, and these functions throw std::invalid_argument when given one, as
//   they do for K == 0 or an unsorted `relevant`.
// Thread-safe: stateless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hybridrec {

struct ItemCategories;  // ranking/item_filter.h

// All per-user metrics at one K, computed in one pass.
struct UserMetrics {
  double precision = 0;  // hits / K
  double recall = 0;     // hits / |relevant|
  double ndcg = 0;       // DCG / IDCG; binary gain, 1/log2(rank + 1) discount (rank from 1),
                         // IDCG over min(K, |relevant|) hits at the top
  double ap = 0;         // sum of precision@rank at each hit rank / min(K, |relevant|); MAP = mean AP
  double hit = 0;        // 1 if any hit in the top K, else 0
};

UserMetrics ComputeUserMetrics(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k);

// Single-metric conveniences (each equals the matching field of ComputeUserMetrics).
double PrecisionAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k);
double RecallAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k);
double NdcgAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k);
double AveragePrecisionAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k);
double HitRateAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k);

// Catalogue coverage: distinct items appearing in any of the lists' first K entries, divided by
// num_items. `lists` is a flat buffer of lists.size()/stride lists of `stride` slots each; slots
// equal to kNoItem are empty (a list shorter than stride). REQUIRES: num_items > 0, k <= stride.
inline constexpr uint32_t kNoItem = 0xFFFFFFFFu;
double CatalogueCoverage(std::span<const uint32_t> lists, size_t stride, size_t k, uint32_t num_items);

// Beyond accuracy, over a list's first K entries (kNoItem entries skipped):
// intra-list diversity: the mean over pairs of 1 - Jaccard(categories of i, categories of j)
// (two items without categories count as identical); 0 for fewer than two items.
double IntraListDiversity(std::span<const uint32_t> ranked, size_t k, const ItemCategories& categories);
// content intra-list distance: the mean over pairs of 1 - <e_i, e_j>, the cosine distance of the
// items' L2-normalised content embeddings (row i of `embeddings`, `dim` floats per row; a row of
// zeros, an item without text, is at distance 1 from every item); in [0, 2]; 0 for fewer than two
// items. This is the distance MMR re-ranking trades relevance against.
double ContentIntraListDistance(std::span<const uint32_t> ranked, size_t k, std::span<const float> embeddings,
                                int dim);
// novelty: the mean self-information -log2((users_i + 1) / (num_users + 1)) of the items, users_i
// the training users of item i (Zhou et al. 2010; +1 keeps an item nobody took finite); 0 for an
// empty list.
double Novelty(std::span<const uint32_t> ranked, size_t k, std::span<const uint32_t> item_users, uint32_t num_users);

// Mean and standard error of the per-user difference a[i] - b[i] (paired over the same users,
// in the same order): stderr = sd(a - b) / sqrt(n) with the n - 1 sample variance. With n < 2
// the stderr is 0. REQUIRES: a.size() == b.size() (throws std::invalid_argument otherwise).
struct PairedStat {
  double mean = 0;
  double stderr_ = 0;  // trailing underscore: `stderr` is a macro in <cstdio>
  size_t n = 0;
};
PairedStat PairedDifference(std::span<const double> a, std::span<const double> b);

}  // namespace hybridrec
