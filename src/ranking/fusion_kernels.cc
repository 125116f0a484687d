#include "ranking/fusion_kernels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hybridrec {

void ZScore(std::span<const float> scores, std::span<const uint8_t> present, std::span<float> out, float sigma_floor) {
  if (out.size() != scores.size() || (!present.empty() && present.size() != scores.size()))
    throw std::invalid_argument("ZScore: scores, present and out must have the same size");
  auto used = [&](size_t i) { return (present.empty() || present[i] != 0) && std::isfinite(scores[i]); };
  // Two-pass mean/variance in double: candidate sets are small (hundreds), precision matters
  // more than speed here.
  double sum = 0.0;
  size_t n = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    if (used(i)) { sum += scores[i]; ++n; }
  const double mean = n ? sum / static_cast<double>(n) : 0.0;
  double var = 0.0;
  for (size_t i = 0; i < scores.size(); ++i)
    if (used(i)) { const double d = scores[i] - mean; var += d * d; }
  const double sd = n ? std::sqrt(var / static_cast<double>(n)) : 0.0;
  const bool constant = !(sd >= static_cast<double>(sigma_floor)) || sd == 0.0;
  for (size_t i = 0; i < scores.size(); ++i)
    out[i] = (!used(i) || constant) ? 0.f : static_cast<float>((scores[i] - mean) / sd);
}

float AdaptiveWeight(size_t history_size, float T, float w_max, bool has_collab_factor) {
  if (!has_collab_factor || history_size == 0) return 0.f;
  if (!std::isfinite(w_max)) return 0.f;
  return std::clamp(w_max * HistoryRamp(history_size, T), 0.f, 1.f);
}

float HistoryRamp(size_t history_size, float T) {
  return T <= 0.f ? 1.f : std::min(1.f, static_cast<float>(history_size) / T);
}

void FuseScores(std::span<const float> z_collab, std::span<const float> z_content, float w, std::span<float> out) {
  if (z_collab.size() != out.size() || z_content.size() != out.size())
    throw std::invalid_argument("FuseScores: inputs and out must have the same size");
  for (size_t i = 0; i < out.size(); ++i) out[i] = w * z_collab[i] + (1.f - w) * z_content[i];
}

}  // namespace hybridrec
