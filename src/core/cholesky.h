// Dense Cholesky factorisation and solve in double for the small symmetric positive definite
// systems of the ALS row solver, the explanation decomposition and the content-to-factor map.
// Matrices are row-major n x n. Thread-safe: stateless.
#pragma once

#include <cstddef>
#include <span>

namespace hybridrec {

// Factors a = L L^T in place: column by column, L's entries overwrite a's lower triangle
// (diagonal included); the strict upper triangle is neither read nor written. Each entry below
// the diagonal is its residual times the reciprocal of the column's pivot. Returns false, with a
// partly overwritten, when a pivot is not positive and finite: a is not (numerically) positive
// definite, or holds NaN or infinity. Throws std::invalid_argument when a.size() != n * n.
bool CholeskyFactor(std::span<double> a, size_t n);

// Solves L L^T x = b in place (b becomes x), with L from CholeskyFactor: forward substitution,
// then back substitution through L^T. Throws std::invalid_argument when l.size() != n * n or
// b.size() != n.
void CholeskySolve(std::span<const double> l, size_t n, std::span<double> b);

}  // namespace hybridrec
