// Recommender: the contract every model implements (popularity, collab, content, hybrid), so the
// evaluation harness and the contract test suite can run them side by side.
//
// Lifecycle: Fit once on training data, then Score* from any number of threads (const methods
// must be thread-safe after Fit).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"
#include "data/csr_matrix.h"
#include "data/dataset.h"

namespace hybridrec {

struct FitInput {
  const Dataset* dataset = nullptr;           // ids and item text; never null
  const InteractionMatrix* train = nullptr;   // raw strengths of the training interactions; never null
  bool quiet = true;                          // no progress display
};

class Recommender {
 public:
  virtual ~Recommender() = default;
  virtual std::string name() const = 0;
  virtual Status Fit(const FitInput& input) = 0;

  // Scores every item for the known (training) user `user` into `scores` (size num_items).
  // Higher is better. Items the user has in train are NOT masked here; the caller does that.
  virtual void ScoreUser(uint32_t user, std::span<float> scores) const = 0;

  // Scores a batch of users: out is users.size() x num_items, row-major. The default loops over
  // ScoreUser; models with a faster batched path (GEMM) override it.
  virtual void ScoreUsers(std::span<const uint32_t> users, std::span<float> out, uint32_t num_items) const {
    for (size_t i = 0; i < users.size(); ++i) ScoreUser(users[i], out.subspan(i * num_items, num_items));
  }
};

}  // namespace hybridrec
