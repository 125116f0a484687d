#include "model/batch_recommend.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.h"
#include "model/rank_query.h"

namespace hybridrec {

void RecommendUsers(const TrainedModel& model, const HybridRanker& ranker, std::span<const std::optional<uint32_t>> users,
                    size_t k, int threads, std::span<int32_t> items, std::span<float> scores) {
  const size_t recent = ranker.options().recent.items;
  ParallelFor(
      users.size(), threads,
      [&](size_t b, size_t e) {
        // One ranker block at a time: the queries' owned histories live only as long as their block.
        for (size_t s = b; s < e; s += HybridRanker::kBatchBlock) {
          const size_t t = std::min(e, s + HybridRanker::kBatchBlock);
          std::vector<RankQuery> rq(t - s);
          std::vector<UserQuery> qs(t - s);
          for (size_t u = s; u < t; ++u) {
            rq[u - s] = QueryForUser(model, users[u], {}, recent);
            qs[u - s] = rq[u - s].view();
          }
          std::vector<RankResponse> rs(qs.size());
          ranker.RecommendBatch(qs, k, rs);
          for (size_t u = s; u < t; ++u) {
            const auto& list = rs[u - s].items;
            for (size_t r = 0; r < k; ++r) {
              const bool has = r < list.size();
              items[u * k + r] = has ? static_cast<int32_t>(list[r].item) : -1;
              scores[u * k + r] = has ? list[r].score : NAN;
            }
          }
        }
      },
      64);
}

}  // namespace hybridrec
