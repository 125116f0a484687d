#include "content/minilm/fast_math.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace hybridrec {
namespace {

// exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln2 / 2, exp(r) by a degree-6
// polynomial (Cephes expf coefficients), 2^n built directly in the exponent bits.
inline float ExpOne(float x) {
  // Written so that GCC vectorises the calling loops without -ffast-math: a ternary clamp
  // and round-to-nearest by adding 1.5 * 2^23 (std::floor and std::clamp block it).
  // The first comparison is written so that NaN (every comparison false) also clamps to -87:
  // converting a NaN `n` to int below would be undefined behaviour (found by fuzz_safetensors
  // with NaN weights).
  x = x > -87.0f ? (x > 88.0f ? 88.0f : x) : -87.0f;
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;  // ln 2 split in a high part exact in float ...
  r = r - n * -2.12194440e-4f;     // ... and the low remainder
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return er * std::bit_cast<float>(bits);
}

}  // namespace

void ExpInPlace(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = ExpOne(x[i]);
}

void GeluInPlace(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float u = x[i];
    const float z = std::fabs(u) * 0.70710678118654752f;  // |u| / sqrt 2
    const float t = 1.0f / (1.0f + 0.3275911f * z);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    const float erf_abs = 1.0f - poly * t * ExpOne(-z * z);
    const float erf = u < 0.0f ? -erf_abs : erf_abs;
    x[i] = 0.5f * u * (1.0f + erf);
  }
}

void SoftmaxInPlace(float* x, size_t n) {
  if (n == 0) return;
  float m = x[0];
  for (size_t i = 1; i < n; ++i) m = std::max(m, x[i]);
  for (size_t i = 0; i < n; ++i) x[i] -= m;
  ExpInPlace(x, n);
  float s = 0.0f;
  for (size_t i = 0; i < n; ++i) s += x[i];
  const float inv = 1.0f / s;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace hybridrec
