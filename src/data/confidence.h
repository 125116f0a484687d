// Confidence transforms of raw interaction strengths. Pure functions; thread-safe.
//
// The ALS objective weights each observed pair by c_ui = 1 + alpha * w(r_ui). The kinds differ in w:
//   linear: w = r                      (Hu, Koren, Volinsky 2008; the default)
//   log:    w = log(1 + r / eps)       (same paper; damps heavy users/items)
//   bm25:   w = BM25 weight of r, as in the `implicit` library's bm25_weight over the
//           user x item matrix: idf_i = log(n_users) - log(1 + df_i) with df_i the number of
//           users of item i; len_u = sum of user u's raw strengths, avg = mean len over all users;
//           w = r * (K1 + 1) / (K1 * ((1 - B) + B * len_u / avg) + r) * idf_i.
//           Unlike `implicit` we clamp w at 0 (an item used by every user would get a negative
//           idf, hence c < 1, which breaks the positive-definiteness the ALS solvers rely on).
// linear and log are computed in float exactly as written (1.f + alpha * r,
// 1.f + alpha * std::log1p(r / eps)) so per-entry evaluation elsewhere gives identical values.
#pragma once

#include <string>

#include "core/status.h"
#include "data/csr_matrix.h"

namespace hybridrec {

enum class ConfidenceKind {
  kLinear,  // c = 1 + alpha * r                           (default)
  kLog,     // c = 1 + alpha * log(1 + r / eps)
  kBm25,    // r' = BM25 weight of r (K1, B over users' row lengths); c = 1 + alpha * r'
};

struct ConfidenceOptions {
  ConfidenceKind kind = ConfidenceKind::kLinear;
  float alpha = 1.0f;  // confidence scale a
  float eps = 1.0f;    // log scaling epsilon
  float bm25_k1 = 100.f;
  float bm25_b = 0.8f;
};

// "linear" | "log" | "bm25" (case-sensitive); InvalidArgument listing them otherwise.
Result<ConfidenceKind> ParseConfidenceKind(const std::string& name);
std::string ConfidenceKindName(ConfidenceKind kind);

// Returns a copy of `raw` (both orientations) with values replaced by c_ui. Both orientations
// get bit-identical values for the same (u, i). Deterministic.
// Throws std::invalid_argument when alpha is negative or not finite, eps <= 0, bm25_k1 < 0,
// bm25_b outside [0, 1], or the two orientations of `raw` disagree in shape or nnz.
InteractionMatrix ApplyConfidence(const InteractionMatrix& raw, const ConfidenceOptions& options);

}  // namespace hybridrec
