// The building blocks of one ALS sweep, shared by AlsModel::Fit and the distributed trainer
// (dist/): the per-entry confidence transform, the per-row regularisation, the seeded initial
// factors and one half-step (every row of a matrix re-solved against the other side's factors).
// A caller that solves a subset of the rows (a rank's users or items) with these functions gets
// bit-for-bit the rows a single process computes, given the same other-side factors and Gram.
// Thread-safety: stateless; each call threads over rows itself (core/parallel.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "collab/als.h"
#include "data/csr_matrix.h"

namespace hybridrec::als {

// Per-entry confidence c = f(raw strength); kPrecomputed when the matrix already holds c.
struct ConfidenceFn {
  enum Mode { kPrecomputed, kLinear, kLog } mode = kLinear;
  float alpha = 1.f;
  float eps = 1.f;
  float operator()(float r) const;
};

// The linear or log transform of `c`; BM25 (whole-matrix statistics) falls back to linear.
ConfidenceFn PerEntryConfidence(const ConfidenceOptions& c);

// lambda_r = regularization * (n_r + reg_offset)^reg_exponent (als.h).
float RowRegularization(const AlsOptions& o, uint64_t row_length);

// Initial factors of rows [first_row, first_row + rows) of a matrix seeded with `seed`: row r
// draws k N(0, scale^2) values from its own SplitSeed(seed, r) stream, so any slice of rows
// equals the same slice of the whole matrix. `out` is resized to rows x k.
void InitFactorRows(std::vector<float>& out, uint64_t first_row, uint32_t rows, int k, uint64_t seed, float scale);

// Re-solves every row of `m` (rows x cols, raw strengths through `fn`) against `other`
// (cols x k, Gram `gram`) with o.solver, writing `self` (rows x k; CG warm-starts from it);
// reg[r] is row r's lambda. Threads over rows with o.threads; bit-identical for any count.
void HalfStep(const CsrMatrix& m, const ConfidenceFn& fn, std::span<const float> other, std::span<const float> gram,
              std::span<float> self, std::span<const float> reg, const AlsOptions& o);
void HalfStep(const CsrView& m, const ConfidenceFn& fn, std::span<const float> other, std::span<const float> gram,
              std::span<float> self, std::span<const float> reg, const AlsOptions& o);

}  // namespace hybridrec::als
