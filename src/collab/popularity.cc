#include "collab/popularity.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

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

std::vector<float> DecayedPopularity(const Dataset& dataset, const InteractionMatrix& train, double half_life_days) {
  const CsrMatrix& by_user = train.by_user;
  const CsrMatrix& by_item = train.by_item;
  std::vector<float> out(by_item.rows, 0.f);
  for (uint32_t i = 0; i < by_item.rows; ++i) out[i] = static_cast<float>(by_item.RowLength(i));
  if (!(half_life_days > 0.0) || !dataset.has_timestamps) return out;
  auto in_train = [&](const Interaction& x) {
    if (x.user >= by_user.rows || x.item >= by_user.cols) return false;
    const auto row = by_user.RowIndices(x.user);
    return std::binary_search(row.begin(), row.end(), x.item);
  };
  bool any = false;
  int64_t t_ref = 0;
  for (const Interaction& x : dataset.interactions) {
    if (!in_train(x)) continue;
    t_ref = any ? std::max(t_ref, x.timestamp) : x.timestamp;
    any = true;
  }
  if (!any) return out;
  std::vector<double> acc(by_item.rows, 0.0);
  const double scale = std::log(2.0) / (half_life_days * 86400.0);
  for (const Interaction& x : dataset.interactions) {
    if (!in_train(x)) continue;
    acc[x.item] += std::exp(-scale * static_cast<double>(t_ref - x.timestamp));
  }
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i]);
  return out;
}

}  // namespace hybridrec
