// Implicit-feedback ALS (Hu, Koren, Volinsky 2008), SPEC 3.
//
// AlsModel owns the factor matrices and the threads; the math lives in pure kernels
// (collab/als_kernels.h). After Fit the model is immutable and const methods are thread-safe.
// (API sketch laid out by the foundation; the collab implementation may extend it.)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "data/confidence.h"
#include "data/recommender.h"

namespace hybridrec {

enum class AlsSolver { kConjugateGradient, kCholesky };

struct AlsOptions {
  int factors = 64;                 // latent dimension k
  float regularization = 0.01f;     // lambda
  float alpha = 1.0f;               // confidence scale a in c = 1 + a * r (see ConfidenceOptions)
  ConfidenceOptions confidence;     // linear (default) / log / bm25 transform of raw strengths
  int iterations = 15;
  AlsSolver solver = AlsSolver::kConjugateGradient;
  int cg_steps = 3;                 // CG steps per solve, warm-started from previous factors
  int threads = 0;                  // 0 = all hardware threads
  uint64_t seed = 0;                // initialisation seed
  bool compute_loss = false;        // evaluate the SPEC 3 objective after each iteration (costs a pass)
  bool quiet = true;                // no progress display
};

}  // namespace hybridrec
