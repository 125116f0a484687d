#include "eval/history_scorers.h"

#include <utility>
#include <vector>

namespace hybridrec {

HistoryScoreFn AlsFoldInScorer(const AlsModel& model, float regularization) {
  return [&model, regularization](std::span<const uint32_t> items, std::span<const float> strengths,
                                  std::span<float> scores) {
    std::vector<std::pair<uint32_t, float>> history(items.size());
    for (size_t i = 0; i < items.size(); ++i) history[i] = {items[i], strengths[i]};
    const std::vector<float> x = model.FoldInUser(history, regularization);
    model.ScoreVector(x, scores);
  };
}

HistoryScoreFn PopularityHistoryScorer(const PopularityModel& model) {
  return [&model](std::span<const uint32_t>, std::span<const float>, std::span<float> scores) {
    model.ScoreUser(0, scores);
  };
}

}  // namespace hybridrec
