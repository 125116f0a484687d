// The recent-items signal: a second collaborative factor folded in from only the user's latest
// items (UserQuery::recent: the first `items` of them that have a trained factor, each with its
// strength in the history, 1 when absent there), with its own regularisation; scores x_recent .
// y_i with a constant weight. What a user did last predicts what they do next better than their
// whole history does (temporal protocol).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ranking/option_fields.h"
#include "ranking/signal.h"

namespace hybridrec {

struct RecentOptions {
  size_t items = 0;               // how many of the latest history items (0 = off)
  float weight = 0.f;             // its weight in the fused score (0 = off)
  float regularization = 100.f;   // lambda of that fold-in
  template <typename Self, typename V>
  static void VisitFields(Self& o, V&& v) {
    v(FieldSpec{"recent_items", "recent-items", "recent-items signal: fold in the last N history items (0: off)"},
      o.items);
    v(FieldSpec{"recent_weight", "recent-weight", "weight of the recent-items signal", 0, kInf}, o.weight);
    v(FieldSpec{"recent_regularization", "recent-regularization", "fold-in lambda of the recent-items signal", 0,
                kInf},
      o.regularization);
  }
  static void Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out);
};

// Null when off (items 0 or weight 0) or without an ALS model.
std::shared_ptr<const Signal> MakeRecentSignal(const SignalInputs& in, const RankerOptions& options);

}  // namespace hybridrec
