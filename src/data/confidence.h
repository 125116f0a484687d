// Confidence transforms of raw interaction strengths (SPEC 1). Pure functions; thread-safe.
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
  float alpha = 1.0f;   // confidence scale a
  float eps = 1.0f;     // log scaling epsilon
  float bm25_k1 = 100.f;
  float bm25_b = 0.8f;
};

Result<ConfidenceKind> ParseConfidenceKind(const std::string& name);
std::string ConfidenceKindName(ConfidenceKind kind);

// Returns a copy of `raw` (both orientations) with values replaced by c_ui.
InteractionMatrix ApplyConfidence(const InteractionMatrix& raw, const ConfidenceOptions& options);

}  // namespace hybridrec
