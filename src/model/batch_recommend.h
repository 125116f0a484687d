// Top-k lists for many users of a trained model at once: what `hybridrec recommend --all-users`
// and the Python package's Model.recommend_batch run. Each thread ranks its users in blocks
// through HybridRanker::RecommendBatch (one pass over the item tables per block), which is
// several times faster than one Recommend call per user.
//
// Thread-safety: reads the model and the ranker only; runs its own threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "model/trained_model.h"
#include "ranking/hybrid_ranker.h"

namespace hybridrec {

// For users[u] (a row of `model`, or std::nullopt for a user it has never seen: the cold-start
// path), writes the top `k` item indices into items[u * k, u * k + k) and their fused scores into
// scores[...], best first, the user's training items excluded. Rows with fewer than k eligible
// items are padded with item -1 and score NaN. `threads` as in ParallelFor (0: all cores).
// Gives the same lists as one HybridRanker::Recommend call per user, whatever `threads`.
// REQUIRES: items.size() == scores.size() == users.size() * k, k >= 1, `ranker` built over `model`.
void RecommendUsers(const TrainedModel& model, const HybridRanker& ranker, std::span<const std::optional<uint32_t>> users,
                    size_t k, int threads, std::span<int32_t> items, std::span<float> scores);

}  // namespace hybridrec
