// Pca2D: a small linear-algebra helper projecting row vectors (item embeddings) onto their
// first two principal components, for 2-D maps of a catalogue (the evaluation report's chart
// and the service's GET /v1/embedding-map). Pure and deterministic; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace hybridrec {

// Projects the rows of `data` (n x dim, row-major) onto their first two principal components
// (centred; components found by power iteration with deflation, deterministic start vector).
// Returns n x 2 row-major. REQUIRES data.size() == n * dim, dim >= 1 (std::invalid_argument).
std::vector<float> Pca2D(std::span<const float> data, size_t n, size_t dim);

}  // namespace hybridrec
