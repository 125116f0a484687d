// Re-ranking of a scored candidate list: MMR diversity and calibration to a category mix.
//
// Greedy: the list is built one item at a time; at each step the candidate maximising
//   (1 - d) (1 - c) r_i  -  d max_{j in S} cos(v_i, v_j)  -  c KL(p || q~(S + i))
// joins it (S: the items chosen so far; ties: the higher relevance, then the lower item index). r is the relevance
// min-max scaled to [0, 1] over the candidates; d = diversity (Carbonell & Goldstein 1998,
// maximal marginal relevance) over the item vectors; c = calibration (Steck, RecSys 2018): p is
// the user's category mix, q(S) the list's (each item spreads weight 1 evenly over its
// categories; items without any count for nothing), q~ = (1 - alpha) q + alpha p with
// alpha = kCalibrationAlpha, so the KL is always finite. d = c = 0 gives the list by relevance.
//
// Cost per step: O(candidates x dim) for MMR (one cosine against the last item chosen per
// candidate), O(categories + candidates x categories per item) for calibration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ranking/item_filter.h"
#include "ranking/ranking_kernels.h"

namespace hybridrec {

inline constexpr float kCalibrationAlpha = 0.01f;

struct RerankInput {
  std::span<const uint32_t> items;   // candidate item ids
  std::span<const float> relevance;  // per candidate (finite)
  size_t k = 10;
  float diversity = 0.f;    // in [0, 1]
  float calibration = 0.f;  // in [0, 1]
  // MMR: row-major item vectors (item id x dim); empty: no diversity term.
  std::span<const float> vectors;
  size_t dim = 0;
  // Calibration: the items' categories and the target mix p (num_categories entries summing to
  // 1); either empty: no calibration term.
  const ItemCategories* categories = nullptr;
  std::span<const float> target;
};

// Positions into input.items of the chosen list, best first (at most k).
void Rerank(const RerankInput& input, std::vector<uint32_t>& out);

// p(g | history): strength-weighted mean over the history items of 1/|G_i| for each of their
// categories (items without categories are skipped). All zeros when no history item has one.
void CategoryMix(const ItemCategories& categories, std::span<const HistoryEntry> history, std::vector<float>& p);

// KL(p || (1 - alpha) q(items) + alpha p) of a list (for reports and tests).
double CalibrationKl(const ItemCategories& categories, std::span<const float> p, std::span<const uint32_t> items);

}  // namespace hybridrec
