// The collaborative signal: x_u . y_i, with x_u the user's trained row of X for a known user
// whose history is the training history (UserQuery::use_trained_factor), otherwise folded in
// from the history items that have a trained factor (AlsModel::FoldInUser, with the option's
// regularisation). Candidates: its top-N over the items with a factor. Weight: the history ramp
// w_u = w_max * min(1, |history| / T) of the ranker's options when the content signal is active
// too, else 1. Explanations: c_uh * y_i^T W_u^{-1} y_h per history item h (Hu, Koren & Volinsky
// 2008, section 5), whose sum over the history is the fold-in score x_u . y_i. Primary.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ranking/option_fields.h"
#include "ranking/signal.h"

namespace hybridrec {

struct CollabOptions {
  float foldin_regularization = -1.f;  // fold-in lambda; < 0: the training lambda for that row length
  template <typename Self, typename V>
  static void VisitFields(Self& o, V&& v) {
    v(FieldSpec{"foldin_regularization", "fold-in-regularization",
                "fold-in lambda for users whose history differs from training (< 0: the training lambda)"},
      o.foldin_regularization);
  }
  static void Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out);
};

// Null without an ALS model.
std::shared_ptr<const Signal> MakeCollabSignal(const SignalInputs& in, const RankerOptions& options);

}  // namespace hybridrec
