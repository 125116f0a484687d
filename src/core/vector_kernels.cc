#include "core/vector_kernels.h"

#include <cmath>

namespace hybridrec {

float InvNorm(const float* v, size_t n) {
  double n2 = 0.0;
  for (size_t c = 0; c < n; ++c) n2 += static_cast<double>(v[c]) * v[c];
  return n2 > 0.0 ? static_cast<float>(1.0 / std::sqrt(n2)) : 0.f;
}

}  // namespace hybridrec
