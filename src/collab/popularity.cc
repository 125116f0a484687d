#include "collab/popularity.h"

#include <algorithm>
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

}  // namespace hybridrec
