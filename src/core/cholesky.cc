#include "core/cholesky.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace hybridrec {

bool CholeskyFactor(std::span<double> a, size_t n) {
  if (a.size() != n * n)
    throw std::invalid_argument("CholeskyFactor: " + std::to_string(a.size()) + " entries for a " +
                                std::to_string(n) + " x " + std::to_string(n) + " matrix");
  for (size_t j = 0; j < n; ++j) {
    double* aj = a.data() + j * n;
    double d = aj[j];
    for (size_t t = 0; t < j; ++t) d -= aj[t] * aj[t];
    if (!(d > 0.0) || !std::isfinite(d)) return false;
    const double ljj = std::sqrt(d);
    aj[j] = ljj;
    const double inv = 1.0 / ljj;
    for (size_t i = j + 1; i < n; ++i) {
      double* ai = a.data() + i * n;
      double s = ai[j];
      for (size_t t = 0; t < j; ++t) s -= ai[t] * aj[t];
      ai[j] = s * inv;
    }
  }
  return true;
}

void CholeskySolve(std::span<const double> l, size_t n, std::span<double> b) {
  if (l.size() != n * n || b.size() != n)
    throw std::invalid_argument("CholeskySolve: " + std::to_string(l.size()) + " factor entries and " +
                                std::to_string(b.size()) + " right-hand side entries for n = " + std::to_string(n));
  for (size_t i = 0; i < n; ++i) {  // L z = b
    const double* li = l.data() + i * n;
    double s = b[i];
    for (size_t t = 0; t < i; ++t) s -= li[t] * b[t];
    b[i] = s / li[i];
  }
  for (size_t i = n; i-- > 0;) {  // L^T x = z
    double s = b[i];
    for (size_t t = i + 1; t < n; ++t) s -= l[t * n + i] * b[t];
    b[i] = s / l[i * n + i];
  }
}

}  // namespace hybridrec
