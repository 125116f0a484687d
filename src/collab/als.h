// Options of implicit-feedback ALS (Hu, Koren, Volinsky 2008),
//
// The model itself is collab/als_model.h (AlsModel); the math lives in pure kernels
// (collab/als_kernels.h). This header only holds the plain option types so that the CLI, the
// model manifest and the tuner can share them without pulling the implementation in.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "data/confidence.h"

namespace hybridrec {

enum class AlsSolver {
  kConjugateGradient,  // a few CG steps per row, warm-started from the previous factor (fast)
  kCholesky,           // exact solve of each row's k x k normal equations (slower, exact)
};

Result<AlsSolver> ParseAlsSolver(const std::string& name);  // "cg" | "cholesky"
std::string AlsSolverName(AlsSolver solver);

// Objective minimised (with per-row regularisation):
//   sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + sum_u lambda_u ||x_u||^2 + sum_i lambda_i ||y_i||^2
// with p_ui = 1 for observed pairs, c_ui from `confidence` (1 for unobserved pairs) and
//   lambda_r = regularization * (n_r + reg_offset)^reg_exponent
// where n_r is the number of observed entries of row r (a user's items, an item's users).
// reg_exponent = 0 gives the classic constant lambda; reg_exponent > 0 is the
// frequency-scaled regularisation of Rendle et al. 2021 ("Revisiting the performance of
// iALS"), whose alpha0 * |I| term plays the role of reg_offset.
//
// Defaults were tuned on ML-100K (strength = rating 1..5), per-user random 80/20 split, seed 0
// (bench/bench_als.cc `mode=tune`; table in the README): NDCG@10 0.459 there, against 0.449 for
// the best constant lambda (30) and 0.22 for popularity. The optimum is a strong, frequency-
// scaled regularisation: lambda_r = 3.5 * sqrt(n_r + 1). Too strong a lambda collapses every
// factor towards 0 (NDCG falls fast beyond ~2x the default), so tune lambda downwards first on
// a new dataset; with reg_exponent = 0, lambda about 30 is the ML-100K optimum.
struct AlsOptions {
  int factors = 64;                 // latent dimension k (>= 1)
  float regularization = 3.5f;      // lambda (>= 0), scaled per row as above
  float reg_exponent = 0.5f;        // nu in the frequency scaling above (0 = constant lambda)
  float reg_offset = 1.0f;          // added to n_r before the power (> 0 when reg_exponent != 0)
  ConfidenceOptions confidence;     // c = 1 + alpha * r (linear, default) / log / bm25; the
                                    // single source of the confidence scale: confidence.alpha
  int iterations = 15;              // full ALS sweeps (users then items)
  AlsSolver solver = AlsSolver::kConjugateGradient;
  int cg_steps = 3;                 // CG steps per row solve (>= 1), warm-started
  int threads = 0;                  // 0 = all hardware threads; results do not depend on it
  uint64_t seed = 0;                // initialisation seed (factors ~ N(0, init_scale^2) per row)
  float init_scale = 0.01f;         // standard deviation of the initial factors
  bool compute_loss = false;        // evaluate the objective after each iteration (one more pass)
  bool quiet = true;                // no progress display (see AlsModel::Fit)

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

}  // namespace hybridrec
