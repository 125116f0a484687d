// Train/test splits for offline evaluation. Every split is a pure function of
// (dataset, options): the same seed gives the same split on every platform and thread count
// (core/random.h; no std:: distributions).
//
// Protocols (fraction f = SplitOptions::test_fraction, default 0.2):
// - random:        per user, a seeded random round(f * n_u) of the user's n_u interactions go to
//                  test, capped at n_u - 1 so a user with >= 2 interactions keeps >= 1 in train
//                  (a user with 1 interaction, or with round(f * n_u) == 0, has no test items and
//                  is skipped by the evaluator).
// - global-random: a seeded random round(f * N) of all N interactions go to test, whatever the
//                  user; a user may end up with all of them in test (evaluated with an empty
//                  history) or none (skipped).
// - temporal:      per user, the latest round(f * n_u) by timestamp (same cap as random; equal
//                  timestamps keep file order, later rows count as later). InvalidArgument when
//                  the dataset has no timestamps.
// - cold-items:    a seeded random round(cold_item_fraction * #items with interactions) items
//                  go to test with ALL their interactions; they never appear in train.
// - cold-users:    a seeded random round(cold_user_fraction * #users) users are held out
//                  entirely: their first `reveal` interactions by time (seeded random order when
//                  the dataset has no timestamps) go to Split::revealed, the rest to test, none
//                  to train. The evaluator scores these users from their revealed history alone
//                  (fold-in; see EvalModel::score_history) and masks the revealed items.
//
// Validation: with `validation` true the same protocol, with a derived seed, is applied to the
// train part only, giving validation_train (fit data for tuning) and validation (tuning
// targets), plus validation_revealed for cold-users. The test part is never looked at while
// tuning, and the test part does not depend on whether validation is asked for.
//
// Output vectors keep the dataset's interaction order (stable), so they are easy to diff.
// Thread-compatible value types; functions are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/csr_matrix.h"
#include "data/dataset.h"

namespace hybridrec {

enum class SplitProtocol { kRandom, kGlobalRandom, kTemporal, kColdItems, kColdUsers };

// "random" | "global-random" | "temporal" | "cold-items" | "cold-users".
Result<SplitProtocol> ParseSplitProtocol(std::string_view name);
std::string SplitProtocolName(SplitProtocol protocol);

struct SplitOptions {
  SplitProtocol protocol = SplitProtocol::kRandom;
  double test_fraction = 0.2;        // random / global-random / temporal; in [0, 1)
  double cold_item_fraction = 0.1;   // cold-items; in [0, 1)
  double cold_user_fraction = 0.1;   // cold-users; in [0, 1)
  uint32_t reveal = 5;               // cold-users: interactions revealed per held-out user
  uint64_t seed = 0;
  bool validation = false;           // also carve a validation split from train
};

// One interaction list split in two (the building block of Split).
struct Holdout {
  std::vector<Interaction> train;
  std::vector<Interaction> test;
  std::vector<uint32_t> cold_items;       // cold-items: held-out items, ascending
  std::vector<uint32_t> cold_users;       // cold-users: held-out users, ascending
  std::vector<Interaction> revealed;      // cold-users: held-out users' revealed rows (not in train)
};

// Applies `options.protocol` (validation ignored) to `interactions`, whose user/item ids are
// below num_users/num_items. `has_timestamps` as in Dataset. Errors: InvalidArgument for a bad
// fraction or a temporal split without timestamps.
Result<Holdout> SplitInteractions(const std::vector<Interaction>& interactions, uint32_t num_users,
                                  uint32_t num_items, bool has_timestamps, const SplitOptions& options);

struct Split {
  SplitOptions options;
  std::vector<Interaction> train;             // fit data for the final evaluation
  std::vector<Interaction> test;              // touched once, by the final evaluation
  std::vector<Interaction> validation_train;  // train minus validation (empty unless options.validation)
  std::vector<Interaction> validation;        // tuning targets, a subset of train
  std::vector<uint32_t> cold_items;           // see Holdout
  std::vector<uint32_t> cold_users;
  std::vector<Interaction> revealed;          // cold-users: test users' revealed histories
  std::vector<Interaction> validation_revealed;  // cold-users: validation users' revealed histories
  // Matrices over the full dataset id space (num_users x num_items), raw strengths.
  InteractionMatrix train_matrix;
  InteractionMatrix test_matrix;
  InteractionMatrix validation_train_matrix;  // empty (0 x 0) unless options.validation
  InteractionMatrix validation_matrix;
  InteractionMatrix revealed_matrix;             // cold-users only (else 0 x 0)
  InteractionMatrix validation_revealed_matrix;  // cold-users with validation only
};

// A Split with validation parts only: validation_train / validation / validation_revealed (and
// their matrices) are h's train / test / revealed, cold_items / cold_users h's, and its options
// are `options` with validation set.
Split ValidationOnlySplit(uint32_t num_users, uint32_t num_items, const SplitOptions& options, Holdout h);

Result<Split> MakeSplit(const Dataset& dataset, const SplitOptions& options);

// Writes train.csv, test.csv and, when the split has one, validation.csv (a subset of
// train.csv: the tuning fit data is train.csv minus validation.csv; for cold-users also minus
// validation_revealed.csv), plus revealed.csv for cold-users, into `dir` (created if
// missing), each with the header `user,item,strength,timestamp` and the dataset's EXTERNAL
// ids (quoted per RFC 4180 when they contain a comma, quote or newline). Strengths are printed
// in shortest round-trip form. Files are written atomically.
Status SaveSplit(const Dataset& dataset, const Split& split, const std::filesystem::path& dir);

}  // namespace hybridrec
