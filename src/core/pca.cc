#include "core/pca.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hybridrec {
namespace {

// Largest-eigenvalue direction of the covariance of `centred` (n x dim) orthogonal to `prev`,
// by power iteration (the covariance is never formed: C v = X^T (X v) / n).
std::vector<double> TopComponent(const std::vector<double>& centred, size_t n, size_t dim,
                                 const std::vector<std::vector<double>>& prev) {
  std::vector<double> v(dim), xv(n), next(dim);
  // Deterministic, non-degenerate start vector.
  for (size_t j = 0; j < dim; ++j) v[j] = 1.0 + 0.01 * static_cast<double>(j % 7);
  auto orthonormalise = [&](std::vector<double>& w) {
    for (const auto& p : prev) {
      double d = 0;
      for (size_t j = 0; j < dim; ++j) d += w[j] * p[j];
      for (size_t j = 0; j < dim; ++j) w[j] -= d * p[j];
    }
    double norm = 0;
    for (double x : w) norm += x * x;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (double& x : w) x /= norm;
    return norm;
  };
  orthonormalise(v);
  for (int it = 0; it < 200; ++it) {
    for (size_t i = 0; i < n; ++i) {
      double s = 0;
      for (size_t j = 0; j < dim; ++j) s += centred[i * dim + j] * v[j];
      xv[i] = s;
    }
    std::fill(next.begin(), next.end(), 0.0);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < dim; ++j) next[j] += centred[i * dim + j] * xv[i];
    if (orthonormalise(next) == 0) break;  // no variance left in this subspace
    double delta = 0;
    for (size_t j = 0; j < dim; ++j) delta += std::abs(next[j] - v[j]);
    v.swap(next);
    if (delta < 1e-9) break;
  }
  return v;
}

}  // namespace

std::vector<float> Pca2D(std::span<const float> data, size_t n, size_t dim) {
  if (dim == 0 || data.size() != n * dim) throw std::invalid_argument("Pca2D: data.size() must be n * dim, dim >= 1");
  std::vector<double> centred(data.begin(), data.end());
  for (size_t j = 0; j < dim; ++j) {
    double mean = 0;
    for (size_t i = 0; i < n; ++i) mean += centred[i * dim + j];
    mean /= n > 0 ? static_cast<double>(n) : 1.0;
    for (size_t i = 0; i < n; ++i) centred[i * dim + j] -= mean;
  }
  std::vector<std::vector<double>> comps;
  comps.push_back(TopComponent(centred, n, dim, comps));
  comps.push_back(TopComponent(centred, n, dim, comps));
  std::vector<float> out(n * 2, 0.f);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < 2; ++c) {
      double s = 0;
      for (size_t j = 0; j < dim; ++j) s += centred[i * dim + j] * comps[c][j];
      out[i * 2 + c] = static_cast<float>(s);
    }
  return out;
}

}  // namespace hybridrec
