// Element-wise kernels for the BERT forward pass, written as plain loops over spans that the
// compiler vectorises (no libm calls inside the loops, which would block vectorisation).
// Accuracy (checked against std::exp / std::erf in fast_math_test.cc):
//   ExpInPlace: relative error < 2e-7 for x in [-87, 88]; inputs below -87 give ~0.
//   GeluInPlace: u/2 (1 + erf(u/sqrt 2)) with erf from Abramowitz & Stegun 7.1.26
//     (|error| <= 1.5e-7), so the GELU absolute error is below 2e-7 * max(1, |u|).
//   Inputs below -87 to ExpInPlace are clamped to -87 (result ~1e-38, not 0).
// Stateless and thread-safe.
#pragma once

#include <cstddef>

namespace hybridrec {

void ExpInPlace(float* x, size_t n);
void GeluInPlace(float* x, size_t n);
// Numerically stable softmax of one row in place.
void SoftmaxInPlace(float* x, size_t n);

}  // namespace hybridrec
