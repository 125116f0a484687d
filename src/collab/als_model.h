// AlsModel: implicit-feedback matrix factorisation trained with ALS, a Recommender.
//
// Fit runs `iterations` sweeps (all users given Y, then all items given X) with the CG or
// Cholesky row solvers of collab/als_kernels.h, threads over rows (core/parallel.h). The result
// is bit-identical whatever `threads` is: rows are independent, initial factors come from a
// per-row SplitSeed stream, and reductions (Gram, loss) go over fixed chunks.
//
// Confidence: linear and log transforms (data/confidence.h) are applied per entry on the fly,
// which gives exactly the values of ApplyConfidence without a second copy of the matrix (the
// memory target of the synthetic benchmark); BM25 needs whole-matrix statistics and goes
// through ApplyConfidence (one extra copy during Fit).
//
// Thread-safety: Fit and the constructors are not thread-safe; after them the model is
// immutable and every const method may be called from any number of threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "collab/als.h"
#include "data/recommender.h"

namespace hybridrec {

class AlsModel : public Recommender {
 public:
  // Throws std::invalid_argument when the options are invalid (AlsOptions::Validate).
  explicit AlsModel(AlsOptions options = {});

  // Builds a trained model from saved factors (row-major num_users x k and num_items x k), e.g.
  // when loading a model directory. `options` should be the ones it was trained with (fold-in
  // uses its confidence transform and regularisation). Throws std::invalid_argument when the
  // sizes do not match options.factors.
  AlsModel(AlsOptions options, uint32_t num_users, uint32_t num_items, std::vector<float> user_factors,
           std::vector<float> item_factors);

  std::string name() const override { return "collab"; }

  // Trains on input.train (raw strengths). Progress (iteration, elapsed, loss) goes to stderr
  // when it is a terminal and input.quiet or options.quiet is false (either may ask for it).
  // Errors: InvalidArgument when the matrix is empty or inconsistent.
  Status Fit(const FitInput& input) override;

  // Trains on a users x items matrix of raw strengths read in place (no copy of its arrays,
  // e.g. a SciPy CSR matrix's buffers); only its transpose is built, as Fit builds it from a
  // dataset. Gives exactly the factors Fit gives on the same matrix. With BM25 confidence the
  // matrix is copied once (BM25 weights need whole-matrix statistics). `quiet` as in FitInput.
  // Errors: InvalidArgument when the matrix is empty or fails CsrView::Validate.
  Status FitCsr(const CsrView& user_items, bool quiet = true);

  // scores[i] = x_u . y_i for every item. REQUIRES: user < num_users(), scores.size() == num_items().
  void ScoreUser(uint32_t user, std::span<float> scores) const override;
  // Batched scoring (register-tiled kernel over an item-major copy of Y), spread over
  // options.threads threads (pass threads = 1 in the options when the caller already runs
  // ScoreUsers from several threads). Bit-identical to a ScoreUser loop.
  void ScoreUsers(std::span<const uint32_t> users, std::span<float> out, uint32_t num_items) const override;
  // Scores of an arbitrary user vector (e.g. a fold-in result), size k.
  void ScoreVector(std::span<const float> user_vector, std::span<float> scores) const;

  // Solves one user's factor from (item, raw strength) pairs against the trained Y with the exact
  // Cholesky solver (same confidence transform as training; for BM25 the per-entry linear form
  // c = 1 + alpha * r is used, since BM25 weights need the whole matrix: an approximation).
  // `regularization` < 0 means the training lambda scaled as in training for this row length.
  // Duplicate items are summed. Throws std::invalid_argument for an item id out of range or a
  // negative/non-finite strength. Cost O(n k^2 + k^3); about 0.1 ms for k = 64.
  std::vector<float> FoldInUser(std::span<const std::pair<uint32_t, float>> item_strengths,
                                float regularization = -1.f) const;
  // Same for a new item from (user, raw strength) pairs against X.
  std::vector<float> FoldInItem(std::span<const std::pair<uint32_t, float>> user_strengths,
                                float regularization = -1.f) const;

  uint32_t num_users() const { return num_users_; }
  uint32_t num_items() const { return num_items_; }
  int factors() const { return options_.factors; }
  const AlsOptions& options() const { return options_; }
  // Row-major num_users x k and num_items x k.
  std::span<const float> user_factors() const { return x_; }
  std::span<const float> item_factors() const { return y_; }
  // Filled by Fit: loss after each iteration (empty unless compute_loss) and seconds per iteration.
  const std::vector<double>& loss_history() const { return loss_history_; }
  const std::vector<double>& iteration_seconds() const { return iteration_seconds_; }
  // Bytes held by the model's arrays (factors, item-major copy of Y, Gram caches).
  size_t MemoryBytes() const;

 private:
  void FinishFactors();  // builds the caches used by scoring and fold-in
  // The ALS sweeps over both orientations of one matrix (by_user: CsrMatrix or CsrView).
  template <typename ByUser>
  void FitSweeps(const ByUser& by_user, const CsrMatrix& by_item, bool quiet);
  float RowReg(uint64_t row_length) const;
  std::vector<float> FoldIn(std::span<const std::pair<uint32_t, float>> strengths, uint32_t limit,
                            std::span<const float> other, std::span<const float> other_gram,
                            float regularization) const;

  AlsOptions options_;
  uint32_t num_users_ = 0;
  uint32_t num_items_ = 0;
  std::vector<float> x_, y_;        // factors, row-major
  std::vector<float> y_t_;          // k x num_items copy of Y for tiled scoring
  std::vector<float> gram_x_, gram_y_;  // X^T X and Y^T Y (k x k), cached for fold-in
  std::vector<double> loss_history_;
  std::vector<double> iteration_seconds_;
};

}  // namespace hybridrec
