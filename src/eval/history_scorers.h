// HistoryScoreFn adapters (eval/evaluator.h) for the stock models, so the cold-users protocol can
// score a held-out user from a revealed history alone. The returned functions keep a reference
// to the model: REQUIRES the model outlives them and is fitted before they are called.
// Thread-safe after Fit (they only call the models' const methods).
#pragma once

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "eval/evaluator.h"

namespace hybridrec {

// ALS fold-in: solves the user's factor from the history against the trained Y
// (AlsModel::FoldInUser) and scores x . y_i. `regularization` < 0 uses the training lambda;
// a larger value pulls new users towards popular items (cold-users protocol).
HistoryScoreFn AlsFoldInScorer(const AlsModel& model, float regularization = -1.f);

// Popularity ignores the history: every new user gets the item popularity scores.
HistoryScoreFn PopularityHistoryScorer(const PopularityModel& model);

}  // namespace hybridrec
