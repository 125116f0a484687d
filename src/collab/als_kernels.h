// Pure numeric kernels of implicit ALS over raw spans (no ownership, no threads unless a
// `threads` argument says so). Factor matrices are row-major n x k float32. A row's observed
// entries are given as (indices, confidences) where confidences are already c_ui (>= 1 for the
// usual transforms); unobserved entries have c = 1 and p = 0, observed ones p = 1.
//
// For one row u with other-side factors Y (n x k), the normal equations are
//   A x = b,  A = YtY + reg*I + sum_i (c_ui - 1) y_i y_i^T,  b = sum_i c_ui y_i
// (the YtY trick: the unobserved part of Y^T C_u Y is folded into the shared Gram matrix).
//
// Determinism: every function gives bit-identical output whatever `threads` is (reductions are
// done over fixed chunks combined in chunk order). Thread-safe: stateless.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hybridrec::als {

// out (k x k, row-major, symmetric) = Y^T Y for Y (n x k). REQUIRES: y.size() == n*k,
// out.size() == k*k.
void ComputeGram(std::span<const float> y, uint32_t n, int k, int threads, std::span<float> out);

// ComputeGram in two steps, for callers that spread the chunks over processes (dist/): the
// rows are cut into fixed chunks of 512 (GramChunks(n) of them); ComputeGramChunks writes the
// partial Grams of chunks [first, last) into out ((last - first) x k x k), and SumGramChunks
// adds all `chunks` partials in chunk order. Together they give exactly ComputeGram's output.
size_t GramChunks(uint32_t n);
void ComputeGramChunks(std::span<const float> y, uint32_t n, int k, size_t first, size_t last, int threads,
                       std::span<float> out);
void SumGramChunks(std::span<const float> partials, size_t chunks, int k, std::span<float> out);

// Scratch space for the per-row solvers; one per thread, reused across rows. Each solver sizes
// only what it uses (allocating the Cholesky buffers per CG block cost ~10% of a CG sweep).
struct RowScratch {
  std::vector<float> r, p, ap;  // CG vectors (k each); r is also Cholesky's float b
  std::vector<float> tmp;       // Cholesky: A accumulated in float (k*k)
  std::vector<double> a, b;     // Cholesky system solved in double (k*k, k)
  void ResizeCg(int k);
  void ResizeCholesky(int k);
};

// Conjugate-gradient update of one row, warm-started from `x` (size k, updated in place), as
// in the CPU CG solver of the `implicit` library: `steps` CG iterations on A x = b.
void SolveRowCg(std::span<const float> gram, float reg, std::span<const float> y, int k,
                std::span<const uint32_t> indices, std::span<const float> conf, int steps,
                std::span<float> x, RowScratch& scratch);

// Exact update of one row: builds A and b (float products accumulated in double) and solves
// with a Cholesky factorisation in double (core/cholesky.h). Writes x (size k). Throws
// std::invalid_argument when A is not positive definite (reg = 0 with a rank-deficient Y).
void SolveRowCholesky(std::span<const float> gram, float reg, std::span<const float> y, int k,
                      std::span<const uint32_t> indices, std::span<const float> conf,
                      std::span<float> x, RowScratch& scratch);

// Slow reference for tests: forms the dense normal equations (Y^T C_u Y + reg I) x = Y^T C_u p_u
// in double over ALL n rows of Y (no Gram trick), and solves them by Gaussian elimination with
// partial pivoting. Returns x in double.
std::vector<double> SolveRowReference(std::span<const float> y, uint32_t n, int k, float reg,
                                      std::span<const uint32_t> indices, std::span<const float> conf);

// The ALS objective computed exactly over all (u, i) pairs, in double:
//   sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + sum_u reg_u ||x_u||^2 + sum_i reg_i ||y_i||^2.
// Unobserved pairs are summed through x_u^T (Y^T Y) x_u (exact algebra, no sampling) and
// corrected on the observed pairs. indptr/indices/conf describe the user-major (CSR) matrix of
// confidences; reg_users/reg_items hold the per-row lambdas.
double Loss(std::span<const float> x, uint32_t num_users, std::span<const float> y, uint32_t num_items,
            int k, std::span<const uint64_t> indptr, std::span<const uint32_t> indices,
            std::span<const float> conf, std::span<const float> reg_users,
            std::span<const float> reg_items, int threads);

}  // namespace hybridrec::als
