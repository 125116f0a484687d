#include "collab/popularity.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hybridrec {

Status PopularityModel::Fit(const FitInput& input) {
  if (input.train == nullptr) return Status::InvalidArgument("PopularityModel::Fit: no training matrix");
  const CsrMatrix& by_item = input.train->by_item;
  scores_.assign(by_item.rows, 0.f);
  for (uint32_t i = 0; i < by_item.rows; ++i) {
    if (sum_strength_) {
      double s = 0.0;  // double: large catalogues sum many strengths
      for (float v : by_item.RowValues(i)) s += v;
      scores_[i] = static_cast<float>(s);
    } else {
      scores_[i] = static_cast<float>(by_item.RowLength(i));
    }
  }
  return Status::Ok();
}

void PopularityModel::ScoreUser(uint32_t /*user*/, std::span<float> scores) const {
  if (scores.size() != scores_.size()) {
    throw std::invalid_argument("PopularityModel::ScoreUser: scores must have num_items entries");
  }
  std::copy(scores_.begin(), scores_.end(), scores.begin());
}

std::vector<float> DecayedPopularity(const CsrMatrix& by_user, std::span<const int64_t> timestamps,
                                     double half_life_days) {
  if (timestamps.size() != by_user.nnz())
    throw std::invalid_argument("DecayedPopularity: " + std::to_string(timestamps.size()) + " timestamps for " +
                                std::to_string(by_user.nnz()) + " entries");
  if (!(half_life_days > 0.0) || !std::isfinite(half_life_days))
    throw std::invalid_argument("DecayedPopularity: the half-life must be finite and > 0 days");
  std::vector<double> acc(by_user.cols, 0.0);
  if (!timestamps.empty()) {
    const int64_t t_ref = *std::max_element(timestamps.begin(), timestamps.end());
    const double scale = std::log(2.0) / (half_life_days * 86400.0);
    for (size_t t = 0; t < timestamps.size(); ++t)
      acc[by_user.indices[t]] += std::exp(-scale * static_cast<double>(t_ref - timestamps[t]));
  }
  std::vector<float> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i]);
  return out;
}

std::vector<float> DecayedPopularity(const Dataset& dataset, const InteractionMatrix& train, double half_life_days) {
  if (!(half_life_days > 0.0) || !dataset.has_timestamps) {
    const CsrMatrix& by_item = train.by_item;
    std::vector<float> counts(by_item.rows, 0.f);
    for (uint32_t i = 0; i < by_item.rows; ++i) counts[i] = static_cast<float>(by_item.RowLength(i));
    return counts;
  }
  return DecayedPopularity(train.by_user, EntryTimestamps(train.by_user, dataset.interactions), half_life_days);
}

}  // namespace hybridrec
