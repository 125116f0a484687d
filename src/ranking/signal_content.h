// The content signal: p_u . E_i, with p_u the L2-normalised mean of the history items'
// embeddings weighted by their ALS confidence (1 + alpha * r of the model's confidence options;
// the linear alpha = 1 without ALS), so that content and fold-in weigh a history the same way.
// Candidates: its top-N from the approximate index when the ranker has one, else exact. Weight:
// 1 - w_u (the collaborative ramp) when the collaborative signal is active too, else 1.
// Explanations: cosine(E_h, E_i) per history item. Primary. No options of its own.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ranking/option_fields.h"
#include "ranking/signal.h"

namespace hybridrec {


// Null without embeddings.
std::shared_ptr<const Signal> MakeContentSignal(const SignalInputs& in, const RankerOptions& options);

}  // namespace hybridrec
